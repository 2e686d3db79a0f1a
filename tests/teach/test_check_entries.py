"""Entries of every kind are marked, never a crash: a decimal against a closed form
(``160.02`` for ``160*n`` raised TypeError, and ``symcnn check`` exited 70), a NumPy
scalar (``np.float64(1792)`` was ``unreadable``: its text is ``np.float64(1792.0)``), and
integers of more digits than Python prints (a raw ValueError, for a claim and for
``exercises.generate(seed=...)``)."""

from __future__ import annotations

import io
import json
import pathlib

import pytest
import sympy

import symcnn as sc
from symcnn.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
H, W, n = sc.symbols("H W n")
HUGE = 10 ** 5000


def symbolic():
    return sc.Sequential([sc.Input((160,)), sc.Dense(n, use_bias=False)])


@pytest.mark.parametrize("claim", [{"params": "160.02"}, {"params": 160.5},
                                   {"params": "1.5e2"}, {"output_shape": "(3.33,)"}])
def test_a_decimal_against_a_closed_form_is_marked_wrong(claim):
    report = sc.check(symbolic(), [{"layer": 0, **claim}])
    assert not report.ok and report.rows[0].diagnosis == "unexplained"
    assert "wrong" in str(report)


def test_a_decimal_in_a_shape_with_symbols_is_marked_size_by_size():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(n, 3), sc.Flatten(), sc.Dense(4)])
    report = sc.check(model, [{"layer": 0, "output_shape": "(3.33, 5.5, n)"},
                              {"layer": 1, "output_shape": "(3.33*n,)"},
                              {"layer": 2, "params": "4.5"}])
    assert [r.diagnosis for r in report.rows] == ["unexplained", "unexplained", "unexplained"]
    assert report.marks == (0, 3)
    right = sc.check(model, [{"layer": 0, "output_shape": "(H - 2, W - 2, n)"}])
    assert right.ok


def test_the_command_line_marks_a_decimal_against_a_closed_form(tmp_path):
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps([{"layer": "dense", "params": "160.02"}]))
    out = io.StringIO()
    code = main(["check", str(ROOT / "examples" / "models" / "free_width.yaml"), str(claims)],
                out=out)
    assert code == 1 and "[unexplained]" in out.getvalue()  # 70 (an internal error) before


def test_numpy_scalars_are_read_as_the_python_numbers_they_hold():
    np = pytest.importorskip("numpy")
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3)])
    params = 3 * 3 * 3 * 64 + 64
    for value in (np.float64(params), np.int64(params), np.float32(params), np.uint16(params)):
        report = sc.check(model, [{"layer": np.int64(0), "params": value,
                                   "output_shape": np.array([30, 30, 64])}])
        assert report.ok, (type(value), report)
    for value in (np.float64(params + 1), np.int32(params - 64)):
        mark = sc.check(model, [{"layer": 0, "params": value}]).rows[0].marks[0]
        assert mark.diagnosis == sc.check(model, [{"layer": 0, "params": value.item()}]
                                          ).rows[0].diagnosis != "unreadable"
    report = sc.check(model, [{"layer": 0, "output_shape": (np.int64(30), np.float64(30),
                                                            np.int8(64))}])
    assert report.ok


def test_an_integer_too_long_to_print_is_an_unreadable_entry_naming_the_quantity():
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3)])
    report = sc.check(model, [{"layer": 0, "params": HUGE, "output_shape": (HUGE, 30, 64)},
                              {"layer": 0, "params": sympy.Integer(HUGE)}])
    assert [r.diagnoses for r in report.rows] == [
        {"output_shape": "unreadable", "params": "unreadable"}, {"params": "unreadable"}]
    reason = report.rows[0].marks[1].claimed.reason
    assert "parameter count" in reason and "5,001 digits" in reason
    assert "claimed (<an integer of 5,001 digits>, 30, 64)" in str(report)
    for text in (report.to_markdown(), report.to_latex(), report.to_html()):
        plain = text.replace(r"\allowbreak{}", "").replace(r"\penalty50{}", "")
        assert plain.count("5,001 digits") >= 4 and len(text) < 20_000
    row = sc.check(model, [{"layer": HUGE, "params": 3}]).rows[0]
    assert row.diagnosis == "unknown_layer" and row.layer == "<an integer of 5,001 digits>"
    assert "Received: layer=<an integer of 5,001 digits>" in row.problem


def test_a_seed_too_long_to_print_is_an_error_naming_the_seed():
    with pytest.raises(sc.SymcnnError, match=r"`seed` must be an integer of at most .*digits"
                                             r".*Received: seed=<an integer of 5,001 digits>"):
        sc.exercises.generate("params", n=1, seed=HUGE)
    big = 10 ** 300  # an integer Python prints is a seed like any other
    assert sc.exercises.generate("params", n=2, seed=big) == \
        sc.exercises.generate("params", n=2, seed=big)
