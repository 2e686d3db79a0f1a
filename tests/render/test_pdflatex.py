"""The standalone LaTeX compiles with pdflatex (worked examples B and D, both styles).

Skips with a message when pdflatex is not installed; ``.ci/run`` installs it
(texlive-latex-base, texlive-latex-recommended) so these run in CI.
"""

from __future__ import annotations

import shutil

import pytest

import symcnn as sc
from symcnn.render.latex import compile_pdf
from symcnn.zoo import textbook

from .test_latex import tower

pytestmark = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex is not installed: apt-get install texlive-latex-base "
           "texlive-latex-recommended (as .ci/run does) to run the LaTeX compile tests")

H, W = sc.symbols("H W")

DOCUMENTS = {
    "b_cifar_table": lambda: textbook.cifar().to_latex(standalone=True),
    "b_cifar_derivation": lambda: textbook.cifar().to_latex(style="derivation",
                                                            standalone=True),
    "d_free_width_table": lambda: textbook.free_width().to_latex(standalone=True),
    "d_free_width_derivation": lambda: textbook.free_width().to_latex(style="derivation",
                                                                      standalone=True),
    "b_cifar_symbolic_assumed": lambda: textbook.cifar((H, W, 3)).to_latex(
        style="derivation", standalone=True, assume_divisible={H: 32, W: 32}),
    "b_cifar_symbolic_table": lambda: textbook.cifar((H, W, 3)).to_latex(standalone=True),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_standalone_latex_compiles_with_pdflatex_without_errors(name, tmp_path):
    pdf = compile_pdf(DOCUMENTS[name](), tmp_path, name)
    assert pdf.exists() and pdf.stat().st_size > 1000
    log = (tmp_path / f"{name}.log").read_text(encoding="latin-1")
    assert "Overfull \\hbox" not in log, "the rendering runs off the page"


def test_a_derivations_jupyter_latex_with_its_notes_compiles_too(tmp_path):
    """``_repr_latex_`` (what Jupyter shows, and what nbconvert puts in a PDF): its notes
    are math rows now, with text, symbols, code and roundings in them."""
    shown = "\n\n".join(record.derivation._repr_latex_() for record in tower().layers)
    document = ("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
                + shown + "\n\\end{document}\n")
    assert compile_pdf(document, tmp_path, "notes").exists()


def test_a_models_jupyter_table_compiles_too(tmp_path):
    model = sc.Sequential([sc.Input((8, 8, 3), name="in_put"),
                           sc.Conv2D(4, 3, name="conv_50%_#1")], name="m")
    document = ("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
                + model._repr_latex_() + "\n\\end{document}\n")
    assert compile_pdf(document, tmp_path, "table").exists()


def test_a_latex_error_is_reported_with_pdflatex_s_message(tmp_path):
    broken = "\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}"
    with pytest.raises(sc.SymcnnError, match="Undefined control sequence"):
        compile_pdf(broken, tmp_path, "broken")


def _has_lmodern() -> bool:
    import subprocess

    found = subprocess.run(["kpsewhich", "lmodern.sty"], capture_output=True, text=True)
    return bool(found.stdout.strip())


@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("kpsewhich") is None
                    or not _has_lmodern(),
                    reason="pdftotext or Latin Modern is not installed: apt-get install "
                           "poppler-utils lmodern (texlive-base recommends lmodern)")
def test_text_copied_out_of_a_standalone_pdf_reads_as_typed(tmp_path):
    """Names with ``_`` and ``<``, and code such as ``padding='same'``, come back out of the
    PDF as typed (TeX's default OT1 fonts print ``<`` as an inverted exclamation mark and
    ``_`` as a rule that copies as a space)."""
    import subprocess

    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name="conv1_conv"),
                           sc.ReLU(name="a<b")], name="net<1>")
    documents = {
        "model": model.to_latex(standalone=True),
        "sheet": sc.exercises.sheet(sc.exercises.generate("params", n=1, seed=1),
                                    title="Sizes < 5"),
    }
    for name, tex in documents.items():
        pdf = compile_pdf(tex, tmp_path, name)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        expected = ["conv1_conv", "a<b", "net<1>"] if name == "model" else ["Sizes < 5"]
        for typed in expected:
            assert typed in text, (name, typed, text[:400])


CAPTION = "Free width: 50% of #params & $n$ ~ {x}_^ \\ é"


def test_a_caption_and_label_are_set_as_typed(tmp_path):
    """TeX's special characters in a caption are escaped, as in names, and come out of the
    PDF as typed; the label resolves."""
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is needed to read the PDF back")
    tex = textbook.free_width().to_latex(caption=CAPTION, label="tab:free-width_1")
    document = ("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{amsmath,"
                "booktabs}\n\\begin{document}\n" + tex + "See Table~\\ref{tab:free-width_1}."
                "\n\\end{document}\n")
    compile_pdf(document, tmp_path, "caption")
    pdf = compile_pdf(document, tmp_path, "caption")  # twice: the label resolves
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"Table 1: {CAPTION}" in text and "See Table 1." in text



def test_a_long_fragment_compiles_in_a_document_with_the_documented_preamble(tmp_path):
    """``to_latex(long=True)`` as a fragment, in the user's own document with
    :data:`~symcnn.render.latex.PREAMBLE` added (as the docs say): it needs ``longtable`` and
    ``array``, which PREAMBLE lacked ("Environment longtable undefined"), and it fits."""
    from symcnn.render.latex import PREAMBLE

    n = [sc.symbols(f"n_{i}") for i in range(5)]
    layers = [sc.Input((H, W, 3))]
    for i, width in enumerate(n):
        layers.append(sc.Conv2D(width, 3, padding="same", name=f"convolution_{i}"))
    model = sc.Sequential(layers, name="five_widths")
    document = ("\\documentclass{article}\n\\usepackage[margin=2.5cm]{geometry}\n" + PREAMBLE
                + "\n\\begin{document}\n" + model.to_latex(long=True) + "\n\\end{document}\n")
    assert compile_pdf(document, tmp_path, "fragment").exists()
    log = (tmp_path / "fragment.log").read_text(encoding="latin-1")
    assert "Overfull \\hbox" not in log
