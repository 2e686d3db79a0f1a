"""The receptive-field columns of the summary (``receptive_field``, ``jump``, ``rf_start``) in
every printer: text, Markdown, LaTeX and HTML show the same cells.

Per-axis values are joined as written: ``7x7`` for numbers, ``(H + 26) x 7`` for closed
forms (the ``x`` set off by spaces), and the start's ``-1, -1`` or
``(H - 2*ceiling(H/2)), (W - 2*ceiling(W/2))`` with a comma and one space (it printed
``(H - 2*ceiling(H/2)) , (W - 2*ceiling(W/2))``).

A row whose field cannot be stated (a ``Repeat`` whose field is not computed for a
symbolic count, and every layer after it) shows ``-`` in these columns, and the reason,
the error ``model.receptive_field`` raises, is one note under the table; the table is no
longer refused as a whole.
"""

from __future__ import annotations

import html
import re

import pytest

import symcnn as sc
from symcnn.render.cost_columns import axes_text
from symcnn.render.latex_long import escape_code
from symcnn.render.markdown import prose

H, W = sc.symbols("H W")
COLUMNS = ["layer", "output_shape", "receptive_field", "jump", "rf_start"]


def strided():
    """A 3x3 stride-2 'same' convolution on H x W: its field starts at H - 2*ceiling(H/2)."""
    return sc.Sequential([sc.Input((H, W, 2)), sc.Conv2D(2, 3, strides=2, padding="same")],
                         name="strided")


def printed(model, columns=COLUMNS) -> dict:
    """Each printer's output, as a reader sees its text (HTML's entities decoded; the text
    summary on lines long enough not to wrap a cell)."""
    return {"text": model.summary_text(columns=columns, line_length=200),
            "markdown": model.to_markdown(columns=columns),
            "latex": model.to_latex(columns=columns),
            "html": html.unescape(model.to_html(columns=columns))}


def test_per_axis_values_of_closed_forms_are_joined_as_written():
    assert axes_text([H - 1, -1], ", ") == "(H - 1), -1"
    assert axes_text([-1, -1], ", ") == "-1, -1"
    assert axes_text([H + 26, 7]) == "(H + 26) x 7"
    assert axes_text([7, 7]) == "7x7"


@pytest.mark.parametrize("printer", ["text", "markdown", "latex", "html"])
def test_the_start_of_a_symbolic_field_has_a_comma_and_one_space_between_axes(printer):
    out = printed(strided())[printer]
    if printer == "latex":  # escape() writes the closed form as typed, but for TeX's specials
        out = out.replace(r"\_", "_")
    assert "(H - 2*ceiling(H/2)), (W - 2*ceiling(W/2))" in out
    assert " , " not in out


@pytest.mark.parametrize("printer", ["text", "markdown", "latex", "html"])
def test_a_numeric_start_and_symbolic_sizes_keep_their_separators(printer):
    model = sc.Sequential([sc.Input((H, W, 2)), sc.Conv2D(2, 3, padding="same"),
                           sc.GlobalAveragePooling2D()], name="pooled")
    out = printed(model)[printer]
    assert "3x3" in out and "1x1" in out and "-1, -1" in out
    assert "(H + 2) x (W + 2)" in out  # the global pooling reads the whole padded input


# ----------------------------------------------------------------------------- not stated


def unstated():
    """A ``Repeat`` whose field is not computed for a symbolic count (a stride ``s`` that
    may be 1: no closed form here), between two layers."""
    return sc.Sequential([sc.Input((1, 2)), sc.Conv1D(2, 1),
                          sc.Repeat(sc.Conv1D(2, 3, strides="s", padding="same"), "L"),
                          sc.Conv1D(2, 1)], name="unstated")


def reason(model) -> str:
    with pytest.raises(sc.CostError) as err:
        model.receptive_field
    return str(err.value)


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_table_shows_a_dash_where_the_field_is_not_stated_and_says_why_once():
    model = unstated()
    message = reason(model)
    assert message.startswith("Repeat layer 'repeat': ")  # as the rows name it
    data = model.summary_data(columns=COLUMNS)
    assert [row[2:] for row in data.rows] == [["1", "1", "0"], ["-"] * 3, ["-"] * 3]
    assert data.notes == [f"Receptive field (-): {message}"]  # once, for three columns
    text = model.summary_text(columns=COLUMNS)
    assert words(text).endswith(f"Non-trainable params: 0 Receptive field (-): {message}")
    assert max(len(line) for line in text.splitlines()) <= len(text.splitlines()[1])


@pytest.mark.parametrize("printer", ["text", "markdown", "latex", "html"])
def test_every_printer_states_the_reason_under_its_table(printer):
    model = unstated()
    message = f"Receptive field (-): {reason(model)}"
    out = printed(model)[printer]
    expected = {"text": message, "markdown": prose(message), "latex": escape_code(message),
                "html": message}[printer]
    assert words(out).count(words(expected)) == 1
    cells = {"text": r"\(Repeat\) +\(1, 2\) +- +- +-",
             "markdown": r"\| `repeat` \| \(1, 2\) \| - \| - \| - \|",
             "latex": r"\\texttt\{repeat\} & \$\(1, 2\)\$ & - & - & -",
             "html": r"<code>repeat</code></td><td>.*?</td><td>-</td><td>-</td><td>-</td>"}
    assert re.search(cells[printer], out)


def test_a_long_latex_table_wraps_the_reason_in_its_notes():
    model = unstated()
    tex = model.to_latex(columns=COLUMNS, standalone=True)
    assert r"\begin{longtable}" in tex
    note = escape_code(f"Receptive field (-): {reason(model)}")
    (line,) = [line for line in tex.splitlines() if note in line]
    assert re.match(r"\\multicolumn\{5\}\{@\{\}(>\{\\raggedright\\arraybackslash\})?p\{",
                    line)  # a paragraph column: it wraps


def test_an_undefined_field_is_a_dash_without_a_note():
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.Reshape((36, 4)),
                           sc.Conv1D(2, 3)], name="reshaped")
    assert model.receptive_field is None
    assert model.summary_data(columns=COLUMNS).notes == []
    assert "Receptive field (-)" not in "".join(printed(model).values())
