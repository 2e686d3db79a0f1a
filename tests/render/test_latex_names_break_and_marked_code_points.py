"""LaTeX tables: a long layer name without underscores breaks inside its column instead of
running over the next ones; a character pdflatex cannot set (Chinese, Japanese, Korean: no
fonts in TeX Live's base and recommended packages) is marked as a code point, ``⟨U+5377⟩``,
and a standalone document says what that means."""

from __future__ import annotations

import shutil

import pytest

import symcnn as sc
from symcnn.render.latex import compile_pdf
from symcnn.render.latex_long import CODE_POINT_NOTE, NAME_RUN, break_name, escape, text_math

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                               reason="pdflatex is needed (texlive-latex-base)")

NAMES = ["a" * 80, "<script>alert(1)</script>",
         "conv2_block1_1_conv_with_averyveryverylongsegment", "\u5377\u79ef"]


def _model():
    layers = [sc.Input((16, 16, 3))] + [sc.Conv2D(4, 3, name=n) for n in NAMES]
    return sc.Sequential(layers, name="names")


@needs_tex
@pytest.mark.parametrize("style", ["table", "derivation"])
def test_long_names_fit_their_column_and_the_page(style, tmp_path):
    """The table's 80-character name ran 274 pt into the next columns, ``<script>...``
    14 pt."""
    tex = _model().to_latex(style=style, standalone=True)
    compile_pdf(tex, tmp_path, style)
    log = (tmp_path / f"{style}.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log


def test_a_long_run_may_break_anywhere_a_short_name_as_before():
    assert break_name(escape("conv2_block1_1_conv")) == \
        r"conv2\_\allowbreak{}block1\_\allowbreak{}1\_\allowbreak{}conv"
    assert break_name(escape("x" * NAME_RUN)) == "x" * NAME_RUN  # a run of 14: whole
    long = break_name(escape("a" * 80))
    assert long.replace(r"\penalty50{}", "") == "a" * 80
    assert long.count(r"\penalty50{}") == 79
    # a word's end ("/", ".") is a free break
    assert r"/\allowbreak{}s\penalty50{}c" in break_name(escape("<script>alert(1)</script>"))
    # an escape stays whole: \% and \textbackslash{} are never cut
    escapes = break_name(escape("50%\\" * 6))
    assert escapes.count(r"\%\penalty50{}") == 6 and r"\penalty50{}%" not in escapes
    assert escapes.count(r"\textbackslash{}\penalty50{}") == 5


def test_a_cjk_name_is_marked_as_code_points_and_the_document_says_so():
    assert escape("\u5377\u79ef") == r"$\langle$\texttt{U+5377}$\rangle$" \
                                     r"$\langle$\texttt{U+79EF}$\rangle$"
    assert text_math("\u5377") == r"\langle\mathtt{U+5377}\rangle"
    tex = _model().to_latex(standalone=True)
    assert r"$\langle$\texttt{U+5377}$\rangle$" in tex and CODE_POINT_NOTE in tex
    plain = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3)]).to_latex(standalone=True)
    assert CODE_POINT_NOTE not in plain  # said only where a name has one


@needs_tex
def test_a_very_long_name_breaks_in_a_derivations_heading_and_the_title(tmp_path):
    """A 120-character layer name ran 146 pt past the page in its heading."""
    model = sc.Sequential([sc.Input((16, 16, 3), name="i" * 100),
                           sc.Conv2D(4, 3, name="b" * 120),
                           sc.Conv2D(4, 3, name="_".join(["block"] * 20))], name="m" * 100)
    for style in ("derivation", "table"):
        compile_pdf(model.to_latex(style=style, standalone=True), tmp_path, style)
        log = (tmp_path / f"{style}.log").read_text(errors="replace")
        assert "Overfull \\hbox" not in log, style
    short = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name="conv_1")])
    assert r"\paragraph{\texttt{conv\_1} (Conv2D)}" in short.to_latex(style="derivation")


@needs_tex
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils)")
@pytest.mark.parametrize("style", ["table", "derivation"])
def test_names_and_code_are_set_as_typed_not_as_ligatures_or_curly_quotes(style, tmp_path):
    """``a--b`` printed as an en dash, ``<<x>>`` as guillemets, ``q'r`` with a curly quote,
    ``!`z`` as an inverted exclamation mark: the PDF's text is each name as written."""
    import subprocess

    names = ["a--b", "<<x>>", "``x''", ",,y", "!`z", "?`w", "q'r", 'd"q', "p|q", "a---b"]
    model = sc.Sequential([sc.Input((4,))] + [sc.Dense(2, name=n) for n in names],
                          name="lig--test")
    pdf = compile_pdf(model.to_latex(style=style, standalone=True), tmp_path, style)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = set(text.split())
    for name in [*names, "lig--test"]:
        assert name in words, (name, text)
