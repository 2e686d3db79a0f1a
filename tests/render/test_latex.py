"""LaTeX output (symcnn.render.latex): booktabs tables, derivations, standalone documents."""

from __future__ import annotations

import re

import pytest
import sympy

import symcnn as sc
from symcnn.render.latex import escape, model_to_latex
from symcnn.zoo import textbook


def test_table_is_booktabs_with_total_trainable_and_non_trainable_rows():
    tex = textbook.cifar().to_latex()
    assert tex.startswith(r"\begin{tabular}{@{}lllr@{}}")
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in tex
    assert r"\multicolumn{3}{@{}l}{Total params} & $1{,}580{,}976$ \\" in tex
    assert r"\multicolumn{3}{@{}l}{Trainable params} & $1{,}579{,}056$ \\" in tex
    assert r"\multicolumn{3}{@{}l}{Non-trainable params} & $1{,}920$ \\" in tex


def test_parameters_cell_is_working_equals_value_with_thousands_grouping():
    tex = textbook.cifar().to_latex()
    assert (r"\texttt{conv2d\_3} & Conv2D & $(1, 1, 512)$ & "
            r"$256 \cdot 3 \cdot 3 \cdot 512 + 512 = 1{,}180{,}160$ \\") in tex


def test_symbols_print_as_the_user_named_them():
    W_in, H_in = sc.symbols("W_in H_in")
    m = sc.Sequential([sc.Input((H_in, W_in, 3)), sc.MaxPooling2D(2)])
    tex = m.to_latex()
    assert r"\left\lfloor{\frac{W_{\mathrm{in}}}{2}}\right\rfloor" in tex
    assert "W_in" not in tex


def test_a_word_subscript_is_upright_and_a_one_letter_index_italic():
    """``H_{\\mathrm{in}}``, ``d_{\\mathrm{model}}`` (labels) but ``K_{h}``, ``n_{1}``
    (indices) and ``x_{\\alpha}``, in tables, derivations and ``sympy.latex(derivation)``."""
    import sympy

    d_model, n_1 = sc.symbols("d_model n_1")
    m = sc.Sequential([sc.Input((d_model,)), sc.Dense(n_1)])
    tex = m.to_latex(style="derivation")
    assert r"N_{\mathrm{in}} U" in tex and r"d_{\mathrm{model}} n_{1}" in tex
    assert r"K_{h}" in textbook.free_width().to_latex(style="derivation")
    alone = sympy.latex(m.layers[0].derivation)  # SymPy's printer hands over to symcnn's
    assert r"N_{\mathrm{in}}" in alone and "N_{in}" not in alone


def swin_pieces():
    """A pad and a slice, which number their axes (``N1_in``, key ``N1_out``)."""
    x = sc.Input((57, 56, 96))
    y = sc.nn.StridedSlice(((1, None, 2), (None, 55, 3)))(
        sc.nn.PadToMultiple((2, 2), axes=(0, 1))(x))
    return sc.Model(x, y, name="swin_pieces")


def test_a_per_axis_size_sets_its_axis_and_its_label_apart_by_a_comma():
    r"""``N1_out`` (axis 1, out) was set as ``N_{1 \mathrm{out}}``, which reads "1out"."""
    tex = swin_pieces().to_latex(style="derivation")
    assert r"N_{1,\mathrm{out}} &= M \cdot \left\lceil \frac{N_{1,\mathrm{in}}}{M}" in tex
    assert r"N_{2,\mathrm{out}}" in tex
    assert r"N_{1 \mathrm{out}}" not in tex and r"N_{1 \mathrm{in}}" not in tex


def test_floors_and_ceilings_in_the_working_use_left_right_delimiters():
    tex = textbook.free_width().to_latex(style="derivation")
    assert r"\left\lfloor \frac{39 + 2 \cdot 0 - 4}{1} \right\rfloor + 1 = 36" in tex
    same = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3, strides=2, padding="same")])
    assert r"\left\lceil \frac{32}{2} \right\rceil = 16" in same.to_latex(style="derivation")


def test_derivation_has_an_align_block_per_layer_with_formula_working_and_value():
    model = textbook.free_width()
    tex = model.to_latex(style="derivation")
    assert tex.count(r"\begin{align*}") == len(model.layers) + 1  # every layer, and totals
    assert (r"\text{params} &= C_{\mathrm{in}} K_{h} K_{w} F \\" "\n"
            r"  &= 20 \cdot 3 \cdot 3 \cdot 40 = 7{,}200") in tex
    assert r"&= 160 n + 48{,}320" in tex


def test_layers_with_nothing_to_derive_take_one_line():
    tex = textbook.cifar().to_latex(style="derivation")
    assert (r"\paragraph{\texttt{activation} (Activation)} Output $(32, 32, 64)$, "
            r"no parameters.") in tex


def test_standalone_is_a_complete_document():
    tex = textbook.cifar().to_latex(standalone=True)
    assert tex.startswith(r"\documentclass{article}")
    assert r"\usepackage{booktabs}" in tex and tex.rstrip().endswith(r"\end{document}")


def test_caption_and_label_make_a_table_float():
    tex = textbook.cifar().to_latex(caption="CIFAR net (50% smaller)", label="tab:cifar")
    assert tex.startswith("\\begin{table}[ht]\n\\centering\n")
    assert r"\caption{CIFAR net (50\% smaller)}" in tex and r"\label{tab:cifar}" in tex


def test_columns_choose_and_order_the_table_columns():
    tex = textbook.free_width().to_latex(columns=["layer", "params"])
    assert r"Layer & Parameters \\" in tex
    assert r"\texttt{conv2d\_1} & $7{,}200$ \\" in tex
    with_macs = textbook.free_width().to_latex(columns=["layer", "working", "macs"])
    assert "MACs" in with_macs and "Total MACs" in with_macs


def test_layer_names_are_escaped():
    m = sc.Sequential([sc.Input((4,)), sc.Dense(2, name="fc_#1&2")])
    assert r"\texttt{fc\_\#1\&2}" in m.to_latex()
    assert escape("a~b^c\\") == r"a\textasciitilde{}b\textasciicircum{}c\textbackslash{}"


def test_constraints_are_stated_under_the_table():
    H, W = sc.symbols("H W")
    tex = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3)]).to_latex()
    assert r"Valid for $H \geq 3$, $W \geq 3$." in tex


@pytest.mark.parametrize("kwargs, message", [
    ({"style": "poster"}, "`style` must be one of 'table', 'derivation'. Received: style='poster'"),
    ({"style": "derivation", "columns": ["layer"]}, "apply to style='table'"),
    ({"columns": ["speed"]}, "unknown column(s) 'speed'"),
])
def test_bad_options_are_clear_errors(kwargs, message):
    with pytest.raises(sc.SymcnnError, match=re.escape(message)):
        textbook.cifar().to_latex(**kwargs)


def test_record_derivation_displays_as_latex_in_jupyter():
    record = textbook.cifar().get_layer("conv2d")
    shown = record._repr_latex_()
    assert shown.startswith("$\\displaystyle \\begin{aligned}") and shown.endswith("$")
    assert sympy.latex(record.derivation) in shown


def tower():
    """A block of five Conv2D + BatchNormalization pairs, then a convolution and its
    normalization: notes with symbols (``(P_1)``, ``(2C)``), code and a rounding."""
    x = y = sc.Input((8, 8, 4))
    for _ in range(5):
        y = sc.BatchNormalization()(sc.Conv2D(4, 3, padding="same")(y))
    block = sc.Model(x, sc.Add()([x, y]), name="tower")
    return sc.Sequential([sc.Input((8, 8, 4)), block, sc.Conv2D(4, 3, padding="same"),
                          sc.BatchNormalization()])


def test_a_derivations_notes_set_their_math_as_math_in_jupyter():
    r"""The notes were ``\text{... (P\_1) ...}``: MathJax shows a text-mode escape as it is
    ("P\_1"), and LaTeX an underscore where the formula above has a subscript."""
    block, conv, norm = (record.derivation._repr_latex_() for record in tower().layers)
    assert (r"the 5 Conv2D layers (}P_{1}\text{); the 5 BatchNormalization layers (}P_{2}"
            r"\text{).}") in block
    assert r"\text{With }\texttt{padding='same'}\text{ the output is }" \
           r"\lceil \mathit{input}/\mathit{stride} \rceil" in conv
    assert r"\text{Gamma and beta (}2C\text{) are trainable" in norm
    for shown in (block, conv, norm):  # no escape inside text, where MathJax shows it
        assert not any("\\" in text for text in re.findall(r"\\text\{([^}]*)\}", shown))
        assert "P\\_1" not in shown and "ceiling(" not in shown


def test_a_models_jupyter_table_sets_names_with_underscores_as_math():
    r"""Layer names were ``\texttt{input\_layer}``: MathJax (Jupyter) shows the text-mode
    escape as it is, "input\_layer"; pdflatex and MathJax both read the math ``\_``."""
    model = sc.Sequential([sc.Input((8, 8, 3), name="in_put"),
                           sc.Conv2D(4, 3, name="conv_50%_#1")], name="m")
    shown = model._repr_latex_()
    assert r"\texttt{in}\_\texttt{put} & \text{InputLayer}" in shown
    assert r"\texttt{conv}\_\texttt{50}\%\_\#\texttt{1} & \text{Conv2D}" in shown
    for text in re.findall(r"\\text(?:tt)?\{([^}]*)\}", shown):
        assert "\\" not in text, text  # no escape inside text, where MathJax shows it


def test_model_to_latex_is_what_to_latex_returns():
    m = textbook.free_width()
    assert model_to_latex(m, style="derivation") == m.to_latex(style="derivation")


def test_a_long_heading_is_ragged_right_and_may_break_after_each_comma():
    H, W = sc.symbols("H W")
    tex = textbook.cifar((H, W, 3)).to_latex(style="derivation").splitlines()
    long = next(l for l in tex if r"\texttt{conv2d\_3}" in l)
    assert long.startswith(r"{\raggedright \paragraph{") and long.endswith(r"\par}")
    assert r",\allowbreak \left\lfloor{\frac{W + 20}{32}}" in long
    numeric = textbook.cifar().to_latex(style="derivation").splitlines()
    short = next(l for l in numeric if r"\texttt{conv2d} " in l)  # numbers that fit: as it was
    assert short == r"\paragraph{\texttt{conv2d} (Conv2D)} Input $(32, 32, 3)$, output $(32, 32, 64)$."


def test_sizes_in_shapes_are_not_grouped_so_a_comma_always_separates_two_sizes():
    model = sc.Sequential([sc.Input((1, 768)), sc.Flatten(), sc.Dense(1000)])
    assert r"& $(1000,)$ & $768 \cdot 1{,}000 + 1{,}000 = 769{,}000$" in model.to_latex()
    assert "<mn>1000</mn>" in model.to_html() and "(1{,}000" not in model.to_latex()


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\t", "\n", "\x85",
                                       "\u2028", "\u202e"])
def test_a_caption_with_a_control_character_is_refused_as_a_name_is(character):
    """A control character went into ``\\caption{...}`` as it was: pdflatex stops at NUL, DEL
    and ESC ("invalid character", "Unicode character ^^["); names refuse them already."""
    model = textbook.free_width()
    with pytest.raises(sc.SymcnnError, match=r"`caption` must be printable.*Received: "
                                             r"caption='a\\"):
        model.to_latex(caption=f"a{character}b")
    with pytest.raises(sc.LayerArgumentError, match="`name` must be printable"):
        sc.Dense(3, name=f"a{character}b")


@pytest.mark.parametrize("label", ["a}b", "a{b", "a%b", "a#b", "a\\b", "a~b", "a\x00b"])
def test_a_label_that_would_break_label_is_refused(label):
    with pytest.raises(sc.SymcnnError, match=r"`label` (cannot hold|must be printable)"):
        textbook.free_width().to_latex(label=label)
