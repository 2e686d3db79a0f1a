"""The text summary's cells: a number is never split between two digits when a narrow
column wraps it (it breaks after a thousands separator, or runs over the column), and a
name with wide characters (CJK: two columns each in a terminal) keeps the columns after
it in place."""

from __future__ import annotations

import re
import unicodedata

import pytest

import symcnn as sc
from symcnn.render.keras_summary import _wrap
from symcnn.teach.tables import aligned_cells


def _huge():
    return sc.Sequential([sc.Input((10 ** 12,)), sc.Dense(10 ** 15)], name="huge")


CELLS = ["1,000,000,000,001,000,000,000,000,000", "(1000000000000000,)", "1000000000000000",
         "(1000000000000000, 1000000000000000, 3)", "160*n + 1000000000000000",
         "12345678901234567890*n**2 + 48320"]


def _digit_splits(lines: list) -> list:
    """Places where a line ends in a digit and the next (its indent aside) starts with one."""
    return [(a, b) for a, b in zip(lines, lines[1:])
            if a.rstrip()[-1:].isdigit() and b.lstrip()[:1].isdigit()]


@pytest.mark.parametrize("cell", CELLS)
def test_a_wrapped_cell_never_splits_a_number(cell):
    for width in range(4, len(cell) + 1):
        lines = _wrap(cell, width)
        assert not _digit_splits(lines), (width, lines)
        assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", cell)  # nothing lost


def test_a_grouped_count_breaks_after_a_thousands_separator():
    lines = _wrap("1,000,000,000,001,000,000,000,000,000", 31)
    assert len(lines) > 1 and all(line.rstrip().endswith(",") for line in lines[:-1])


@pytest.mark.parametrize("line_length", [40, 50, 60, 70])
def test_the_summary_of_a_huge_model_keeps_its_numbers_whole(line_length):
    model = _huge()
    text = model.summary_text(line_length=line_length)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if set(line) == {"-"}) + 1
    body = lines[start:next(i for i in range(start, len(lines)) if set(lines[i]) == {"="})]
    # each column's pieces, line by line: no piece ends in a digit continued by a digit
    pieces = [re.split(r"\s{2,}", line.strip()) for line in body]
    for column in range(3):
        lines = [p[column] for p in pieces if len(p) > column]
        assert not _digit_splits(lines), (line_length, body)
    # every number of the model appears in full, its groups in order
    joined = "".join(p[-1] for p in pieces)
    assert joined == f"{int(model.params):,}"


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


@pytest.mark.parametrize("line_length", [None, 44, 60])
def test_a_wide_name_keeps_the_columns_after_it_in_place(line_length):
    """``卷积层_一 (Conv2D)`` is 14 characters but 19 columns: its row's shape started 5
    columns right of the others'."""
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name="卷积层_一"),
                           sc.Conv2D(4, 3), sc.Conv2D(4, 3, name="层")], name="宽")
    lines = model.summary_text(line_length=line_length).splitlines()
    header = next(line for line in lines if line.startswith("Layer"))
    shape_at = _columns(header[:header.index("Output")])
    rows = [line for line in lines if re.search(r"\(\d+, \d+, 4\)", line)]
    assert len(rows) == 3
    for row in rows:
        shape = re.search(r"\(\d+, \d+, 4\)", row)
        assert _columns(row[:shape.start()]) == shape_at, (row, header)
        assert _columns(row.rstrip()) == _columns(rows[1].rstrip())  # counts end alike
    rule = next(line for line in lines if set(line) == {"="})
    assert all(_columns(line) <= len(rule) for line in rows)


def test_a_summary_with_wide_names_is_read_back_cell_by_cell():
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name="卷积层_一"),
                           sc.Flatten(name="平坦化_层_非常长的名字_第二部分"), sc.Dense(3)])
    for line_length in (None, 44):
        rows = aligned_cells(model.summary_text(line_length=line_length))
        assert [cells[0] for _, cells in rows[1:]] == \
            [f"{r.name} ({r.type})" for r in model.layers]
        assert sc.check(model, model.summary_text(line_length=line_length)).ok
