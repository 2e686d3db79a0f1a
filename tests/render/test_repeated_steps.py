"""A derivation step never shows the same thing twice in a row, in any renderer: not
``params = 2*C + 1 = 2*U + 1 = 2*U + 1`` (a working and its value that SymPy orders
differently but that print alike), not d2l's ``c_o = c_o = 8`` (a formula that is the key
itself), not a total ``2CL + 2C`` whose layers' sum prints as the total does."""

from __future__ import annotations

import re

import pytest

import symcnn as sc
from symcnn.render.latex_long import plain


def _normalization():
    U = sc.symbols("U")
    return sc.Sequential([sc.Input((U,)), sc.Normalization()], name="norm")


def _conv():
    return sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(8, 3)], name="conv")


def _nested():
    """A block, repeated L times and then once more: the non-trainable total (the
    BatchNormalization's moving statistics) adds up two layers' counts."""
    H, W, C, L = sc.symbols("H W C L")
    inner = sc.Sequential([sc.Input((H, W, C)), sc.Conv2D(C, 3, padding="same"),
                           sc.BatchNormalization()], name="inner_block")
    x = sc.Input((H, W, C))
    y = inner(sc.Repeat(inner, L, name="rep")(x))
    return sc.Model(x, sc.Dense(10)(sc.GlobalAveragePooling2D()(y)), name="nested")


MODELS = {"normalization": _normalization, "conv": _conv, "nested": _nested}


def _text_steps(markdown: str) -> list:
    """The step lines of a Markdown derivation's ``text`` blocks."""
    blocks = re.findall(r"```text\n(.*?)\n```", markdown, re.S)
    return [line for block in blocks for line in block.splitlines()]


def _no_repeats(parts: list) -> bool:
    return all(a != b for a, b in zip(parts, parts[1:]))


@pytest.mark.parametrize("notation", ["keras", "cs231n", "d2l"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_markdown_derivation_step_never_repeats_its_key_or_a_part(name, notation):
    steps = _text_steps(MODELS[name]().to_markdown(style="derivation", notation=notation))
    assert steps
    for line in steps:
        parts = line.split(" = ")
        assert len(parts) >= 2 and _no_repeats(parts), line


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_summary_working_column_never_repeats_a_part(name):
    model = MODELS[name]()
    for record in model.layers:
        working = sc.render.text.working_text(record.derivation.params)
        assert _no_repeats(working.split(" = ")), (record.name, working)
    # and as the summary prints it
    text = model.summary_text(columns=["layer", "params", "working"], line_length=200)
    for line in text.splitlines():
        assert " = " not in line or _no_repeats(line.split("  ")[-1].strip().split(" = ")), line


@pytest.mark.parametrize("notation", ["keras", "cs231n", "d2l"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_latex_derivation_rows_never_repeat_the_row_before(name, notation):
    """Every ``align*`` row of a derivation page, totals included: a continued row
    (``&= ...``) never shows what the row before it shows."""
    tex = MODELS[name]().to_latex(style="derivation", notation=notation)
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", tex, re.S):
        rows = [r.split("&", 1)[1].lstrip("=").strip() for r in block.split(" \\\\\n")
                if "&=" in r]
        heads = [r.split("&", 1)[0].strip() for r in block.split(" \\\\\n") if "&=" in r]
        for before, row, head in zip(rows, rows[1:], heads[1:]):
            if not head:  # a continuation of the same quantity
                assert plain(row) != plain(before), block


def test_the_nested_models_non_trainable_total_is_shown_once():
    tex = _nested().to_latex(style="derivation")
    totals = tex[tex.index(r"\paragraph{Totals}"):]
    row = totals[totals.index(r"\text{Non-trainable params}"):].split(r"\end{align*}")[0]
    assert row.count("&=") == 1, row


def test_d2l_markdown_and_latex_show_the_same_parts_of_a_size_step():
    """d2l names the filters c_o, the key of the channel step: Markdown printed
    ``c_o = c_o = 8`` where LaTeX printed ``c_{o} = 8``."""
    model = _conv()
    md = [line for line in _text_steps(model.to_markdown(style="derivation", notation="d2l"))
          if line.startswith("c_o ")]
    tex = [row for row in model.to_latex(style="derivation", notation="d2l").splitlines()
           if row.startswith("c_{o} &=")]
    assert len(md) == len(tex) == 1
    assert len(md[0].split(" = ")) == len(re.split(r" = |&=", tex[0]))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_markdown_table_cell_never_repeats_its_working_as_its_value(name):
    """``| `2*U + 1` = `2*U + 1` |``: the working and the value SymPy orders differently."""
    for line in MODELS[name]().to_markdown().splitlines():
        if line.startswith("| `"):
            cell = line.rstrip(" |").rsplit(" | ", 1)[-1].replace("`", "")
            assert _no_repeats(cell.split(" = ")), line


def _times_dropped(mathml: str) -> str:
    """A MathML part with its multiplication signs, visible or not, left out."""
    return re.sub(r"<mo>(·|\u2062|&InvisibleTimes;)</mo>", "", mathml)


@pytest.mark.parametrize("notation", ["keras", "cs231n", "d2l"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_an_html_derivation_step_never_repeats_its_key_or_a_part(name, notation):
    """HTML showed ``params = 2·C+1 = 2·U+1 = 2U+1`` and d2l's ``c_o = c_o = 8``."""
    page = MODELS[name]().to_html(style="derivation", notation=notation)
    steps = re.findall(r'<div class="step"><math[^>]*><mrow>(.*?)</mrow></math></div>', page)
    assert steps
    for step in steps:
        parts = [_times_dropped(p) for p in step.split("<mo>=</mo>")]
        assert len(parts) >= 2 and _no_repeats(parts), step


def test_a_latex_table_cell_shows_a_working_that_is_its_value_once():
    """The free-width model's Dense row read ``160 \\cdot n = 160 n``."""
    tex = sc.zoo.textbook.free_width().to_latex()
    row = next(line for line in tex.splitlines() if line.startswith(r"\texttt{dense}"))
    assert row.endswith(r"$160 n$ \\"), row
