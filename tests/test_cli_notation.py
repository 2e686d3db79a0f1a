"""``--notation``: the command line writes formulas in a lecture's names, as the API does."""

from __future__ import annotations

import pytest

import symcnn as sc
from symcnn.render.notation import NOTATIONS

from .test_cli import FREE_WIDTH, run

PRESETS = list(NOTATIONS)


@pytest.mark.parametrize("notation", PRESETS)
@pytest.mark.parametrize("style", ["table", "derivation"])
def test_latex_with_a_notation_is_the_printers_output(notation, style):
    code, out, err = run("latex", FREE_WIDTH, "--style", style, "--notation", notation)
    assert code == 0, err
    model = sc.load_spec(FREE_WIDTH)
    assert out.rstrip("\n") == model.to_latex(style=style, notation=notation).rstrip("\n")


@pytest.mark.parametrize("notation", PRESETS)
@pytest.mark.parametrize("fmt, printer", [("markdown", "to_markdown"), ("latex", "to_latex")])
def test_summary_and_zoo_tables_take_the_notation(notation, fmt, printer):
    model = sc.zoo.textbook.cifar()
    code, out, err = run("zoo", "textbook.cifar", "--format", fmt, "--notation", notation)
    assert code == 0, err
    assert out.rstrip("\n") == getattr(model, printer)(notation=notation).rstrip("\n")
    code, out, err = run("summary", FREE_WIDTH, "--format", fmt, "--notation", notation)
    assert code == 0, err
    assert out.rstrip("\n") == getattr(sc.load_spec(FREE_WIDTH), printer)(
        notation=notation).rstrip("\n")


def test_the_derivation_reads_in_the_lectures_names():
    code, out, _ = run("latex", FREE_WIDTH, "--style", "derivation", "--notation", "cs231n")
    assert code == 0 and "H_{2}" in out and "H_{out}" not in out


def test_an_unknown_notation_is_a_usage_error_naming_the_value_and_the_choices():
    code, _, err = run("latex", FREE_WIDTH, "--notation", "andrew_ng")
    assert code == 2
    assert "invalid choice: 'andrew_ng'" in err and all(p in err for p in PRESETS)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_notation_with_an_output_that_has_none_is_a_usage_error(fmt):
    code, _, err = run("summary", FREE_WIDTH, "--format", fmt, "--notation", "d2l")
    assert code == 2
    assert f"--notation applies to --format markdown and latex, not {fmt}" in err
    assert "Received: --notation d2l" in err
