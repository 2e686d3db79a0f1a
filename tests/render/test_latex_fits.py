"""Lecture notes that fit the page: every standalone document compiles with pdflatex with no
box overflowing by more than 5 pt, and its totals are in the PDF's text (pdftotext)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import sympy

import symcnn as sc
from symcnn.render.latex import compile_pdf
from symcnn.render.latex_long import TIMES_BREAK

H, W, w = sc.symbols("H W w")
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext")
                               is None, reason="pdflatex and pdftotext are needed")


def issue_model():
    return sc.Sequential([
        sc.Input((H, W, 3)), sc.Conv2D(8 * w, 3), sc.MaxPooling2D(2),
        sc.Conv2D(16 * w, 3, strides=2), sc.MaxPooling2D(2), sc.Flatten(), sc.Dense(10),
    ], name="issue")


MODELS = {
    "issue": issue_model,
    "resnet18_224": lambda: sc.zoo.resnet18(input_shape=(224, 224, 3)),
    "resnet18": lambda: sc.zoo.resnet18(),
    "resnet50": lambda: sc.zoo.resnet50(),
}


def overflows(log: str) -> list:
    return [float(x) for x in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)",
                                         log)]


@needs_tex
@pytest.mark.parametrize("style", ["table", "derivation"])
@pytest.mark.parametrize("name", list(MODELS))
def test_standalone_latex_fits_the_page_and_shows_the_totals(name, style, tmp_path):
    model = MODELS[name]()
    pdf = compile_pdf(model.to_latex(style=style, standalone=True), tmp_path, name)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert max(overflows(log), default=0) <= 5, [x for x in overflows(log) if x > 5]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Total params" in text and "Trainable params" in text
    if model.params.is_Integer:
        assert f"{int(model.params):,}" in text


@needs_tex
def test_a_long_sum_in_parentheses_breaks_across_lines(tmp_path):
    """EfficientNet with symbolic coefficients: a Repeat's parameters, (ceil(d) - 1) times a
    long sum, were one unbreakable \\left( \\right) group that ran 450 pt past the page in
    the derivation and 477 pt past its column in the table; a squeeze-excitation width,
    max(1, floor(make_divisible(32 w, 8)/4)), ran 83 pt past the shape column. Both fit:
    long groups break after "+" and after an argument's comma, and the table names the
    make_divisible calls."""
    model = sc.zoo.efficientnet_b0(width_coefficient="w", depth_coefficient="d")
    for style, bound in (("derivation", 5), ("table", 5)):
        compile_pdf(model.to_latex(style=style, standalone=True), tmp_path, style)
        log = (tmp_path / f"{style}.log").read_text(errors="replace")
        assert max(overflows(log), default=0) <= bound, (style, sorted(overflows(log))[-3:])


@needs_tex
def test_a_long_table_repeats_its_header_and_ends_with_the_totals(tmp_path):
    pdf = compile_pdf(sc.zoo.resnet50().to_latex(standalone=True), tmp_path, "r50")
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 3
    assert all("Output shape" in p for p in pages)
    assert "(continued)" in pages[1] and "Total params" in pages[-1]
    assert "Total params" not in "".join(pages[:-1])


@needs_tex
def test_landscape_on_request(tmp_path):
    tex = issue_model().to_latex(standalone=True, landscape=True)
    assert "landscape" in tex
    pdf = compile_pdf(tex, tmp_path, "wide")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout \
        if shutil.which("pdfinfo") else "Page size: 842 x 595"
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height


def test_a_one_element_shape_keeps_its_comma():
    model = sc.Sequential([sc.Input((2048,)), sc.Dense(1000)])
    tex = model.to_latex()
    assert "$(1000,)$" in tex and "(1000)$" not in tex
    assert "$(1000,)$" in model.to_markdown(math=True)


def test_derivations_skip_repeated_steps_and_empty_parameter_blocks():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, strides=2, padding="same")])
    tex = model.to_latex(style="derivation")
    row = next(line for line in tex.splitlines() if line.startswith(r"H_{\mathrm{out}}"))
    assert row.count(r"\left\lceil") == 2, row  # formula, then the working that is the value
    page = issue_model().to_latex(style="derivation")
    assert r"\text{params} &= 0" not in page and "no parameters" in page


def test_the_divisibility_assumption_is_stated_once():
    tex = sc.zoo.resnet18().to_latex(style="derivation", assume_divisible={"H": 32, "W": 32})
    assert tex.count("divisible by") == 1


def test_notes_are_typeset():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, padding="same")])
    tex = model.to_latex(style="derivation")
    assert r"\texttt{padding=\textquotesingle{}same\textquotesingle{}}" in tex and r"$\lceil \mathit{input}/\mathit{stride} \rceil$" in tex


def test_make_divisible_is_one_upright_name_whose_arguments_may_break():
    latex = sc.zoo.mobilenet_v2(alpha=sc.multiplier("alpha")).to_latex(style="derivation")
    assert r"\operatorname{make}" not in latex  # SymPy's default: make with a subscript
    assert r"\operatorname{make\_divisible}(32 \alpha,\allowbreak 8)" in latex
    # a coefficient keeps its factor: no line may end in "= 1,000" before "(... + 1)"
    assert r"= 1{,}000 \left(c_{1280} + 1\right)" in latex


def test_a_table_names_each_make_divisible_call_once_under_it():
    """A cell cannot hold make_divisible(32 alpha, 8) several times: the table writes c_32
    (after the published width it multiplies) and defines every name in its notes."""
    model = sc.zoo.mobilenet_v2(alpha=sc.multiplier("alpha"))
    for long in (False, True):
        latex = model.to_latex(long=long)
        body, notes = latex.split(r"\bottomrule")
        assert r"make\_divisible" not in body
        assert r"$c_{32} = \operatorname{make\_divisible}(32 \alpha,\allowbreak 8)$" in notes
        assert r"c_{1280} = \operatorname{make\_divisible}(1280 \max\left(1, \alpha\right)" \
            in notes
        assert r"1{,}000 \left(c_{1280} + 1\right)" in body  # the classifier's parameters
        assert "nearest multiple of $d$" in notes
    # a model whose own symbol is c_32 keeps it; the call takes another name
    c = sc.symbols("c_32")
    clash = sc.Sequential([sc.Input((8, 8, c)), sc.Conv2D(sc.zoo.make_divisible(32 * c, 8), 1)])
    latex = clash.to_latex()
    assert r"$m_{1} = \operatorname{make\_divisible}(32 c_{32},\allowbreak 8)$" in latex
    # the derivation names them alike, above its first layer; the text summary writes the
    # calls out unless asked for a where block
    derivation = model.to_latex(style="derivation")
    assert r"$c_{32} = \operatorname{make\_divisible}(32 \alpha,\allowbreak 8)$" in \
        derivation.split(r"\paragraph")[0]
    assert "make_divisible(32*alpha, 8)" in model.summary_text()


@needs_tex
def test_count_columns_are_typeset_as_math_and_fit_the_page(tmp_path):
    model = sc.zoo.textbook.cifar((H, W, 3))
    tex = model.to_latex(columns=["layer", "type", "output_shape", "params", "macs"],
                         standalone=True)
    assert "floor(" not in tex and "*H" not in tex  # not the summary's text
    # a product may break, with a \cdot at the end of its line (TIMES_BREAK)
    assert r"$73{,}728 \left\lfloor{\frac{H}{2}}\right\rfloor " + TIMES_BREAK in tex
    pdf = compile_pdf(tex, tmp_path, "macs")
    log = (tmp_path / "macs.log").read_text(errors="replace")
    assert max(overflows(log), default=0) <= 5, overflows(log)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Total MACs" in text and "26,100" in text


@needs_tex
@pytest.mark.parametrize("name", ["mobilenet_v2_alpha", "densenet121_k"])
def test_derivations_with_long_totals_and_shapes_fit_the_page(name, tmp_path):
    # the totals' value line was one line of 3,176 pt, and headings such as "Input (...),
    # output (...)" of a concatenation ran 50 pt into the margin
    model = (sc.zoo.mobilenet_v2(alpha=sc.multiplier("alpha")) if name.startswith("mobile")
             else sc.zoo.densenet121(growth_rate="k"))
    compile_pdf(model.to_latex(style="derivation", standalone=True), tmp_path, name)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert max(overflows(log), default=0) <= 5, [x for x in overflows(log) if x > 5]


def test_a_long_total_breaks_between_its_terms_and_a_layers_sum_in_big_parentheses():
    from symcnn.render.exprs import latex_printer
    from symcnn.render.latex_long import LINE_CHARS, plain
    from symcnn.render.latex_steps import _sum_rows

    n = sc.symbols("n")
    values = [sympy.expand((n + i) ** 2 + 7 * n) for i in range(1, 7)]
    rows = _sum_rows("Total params", values, sympy.expand(sum(values)), latex_printer())
    lines = rows.split("\\\\\n")
    assert len(lines) > 3 and all(len(plain(line)) <= LINE_CHARS + 12 for line in lines)
    assert rows.count(r"\bigl(") == rows.count(r"\bigr)") == 6
    assert lines[-1].startswith("  &= 6 n^{2}")


@needs_tex
def test_names_beyond_latin_1_compile_greek_as_math(tmp_path):
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name="conv_\u03b1"),
                           sc.Flatten(name="flat\u2192ten"), sc.Dense(2)], name="net_\u03b2")
    tex = model.to_latex(standalone=True)  # pdflatex stopped at "Unicode character α"
    assert r"\allowbreak{}$\alpha$}" in tex and r"\texttt{U+2192}" in tex
    compile_pdf(tex, tmp_path, "names")
    compile_pdf(model.to_latex(style="derivation", standalone=True), tmp_path, "names_d")


@pytest.mark.parametrize("name, words", [
    ("Conv2DTranspose", ["Conv2D", "Transpose"]),
    ("GlobalAveragePooling2D", ["Global", "Average", "Pooling2D"]),
    ("MultiHeadAttention", ["Multi", "Head", "Attention"]),
    ("SeparableConv1D", ["Separable", "Conv1D"]),
])
def test_a_long_type_name_breaks_between_words_never_inside_conv2d(name, words):
    from symcnn.render.latex_long import break_type
    assert break_type(name).split(r"\allowbreak{}") == words
