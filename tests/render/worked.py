"""The worked examples and the renderings the golden files and totals tests pin."""

from __future__ import annotations

from symcnn.zoo import textbook

SUMMARY_COLUMNS = ["layer", "output_shape", "params", "working"]


def examples() -> dict:
    """Every worked example of shared/reference/worked-examples.md, by golden-file stem."""
    out = {f"a{i + 1}_single_convolution": m
           for i, m in enumerate(textbook.single_convolutions())}
    out.update({
        "b_cifar": textbook.cifar(),
        "c_lenet_table": textbook.lenet_table(),
        "c_lenet_code": textbook.lenet_code(),
        "d_free_width": textbook.free_width(),
        "e_vgg_style": textbook.vgg_style(),
        "f_alexnet_towers": textbook.alexnet_two_tower_convs(),
    })
    return out


def text(model) -> str:
    """The summary with its working column, then every layer's derivation."""
    parts = [model.summary_text(columns=SUMMARY_COLUMNS), ""]
    parts += [str(r.derivation) for r in model.layers]
    return "\n".join(parts) + "\n"


#: Golden-file suffix -> rendering.
RENDERINGS = {
    ".txt": text,
    ".md": lambda m: m.to_markdown(),
    ".derivation.md": lambda m: m.to_markdown(style="derivation"),
    ".tex": lambda m: m.to_latex(),
    ".derivation.tex": lambda m: m.to_latex(style="derivation"),
    ".html": lambda m: m.to_html(),
    ".derivation.html": lambda m: m.to_html(style="derivation"),
}
