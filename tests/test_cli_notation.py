"""``--notation``: the command line writes formulas in a lecture's names, as the API does."""

from __future__ import annotations

import pytest

import symcnn as sc
from symcnn.cli import options
from symcnn.model import Model
from symcnn.render.notation import NOTATIONS

from .test_cli import FREE_WIDTH, run
from .test_cli_startup import _heavy_modules

PRESETS = list(NOTATIONS)


@pytest.mark.parametrize("notation", PRESETS)
@pytest.mark.parametrize("style", ["table", "derivation"])
def test_latex_with_a_notation_is_the_printers_output(notation, style):
    code, out, err = run("latex", FREE_WIDTH, "--style", style, "--notation", notation)
    assert code == 0, err
    model = sc.load_spec(FREE_WIDTH)
    assert out.rstrip("\n") == model.to_latex(style=style, notation=notation).rstrip("\n")


def test_each_preset_gives_its_own_derivation():
    pages = {n: run("latex", FREE_WIDTH, "--style", "derivation", "--notation", n)[1]
             for n in PRESETS}
    assert len(set(pages.values())) == len(PRESETS)
    assert pages["keras"] == run("latex", FREE_WIDTH, "--style", "derivation")[1]


def test_the_derivation_reads_in_the_lectures_names():
    code, out, _ = run("latex", FREE_WIDTH, "--style", "derivation", "--notation", "cs231n")
    assert code == 0 and "H_{2}" in out and "H_{out}" not in out


@pytest.fixture
def asked(monkeypatch):
    """The ``notation=`` each call of ``Model.to_markdown``/``to_latex`` received ("absent"
    when not given): a table's cells are values, equal in every notation, so the output
    alone cannot show that the command passed the preset on."""
    calls = []
    for name in ("to_markdown", "to_latex"):
        printer = getattr(Model, name)

        def spy(self, *args, _printer=printer, _name=name, **kwargs):
            calls.append((_name, kwargs.get("notation", "absent")))
            return _printer(self, *args, **kwargs)

        monkeypatch.setattr(Model, name, spy)
    return calls


@pytest.mark.parametrize("notation", PRESETS)
@pytest.mark.parametrize("fmt, printer", [("markdown", "to_markdown"), ("latex", "to_latex")])
def test_zoo_and_summary_tables_are_the_printers_output_in_the_notation(notation, fmt, printer,
                                                                         asked):
    code, out, err = run("zoo", "textbook.cifar", "--format", fmt, "--notation", notation)
    assert code == 0, err
    assert asked == [(printer, notation)]
    model = sc.zoo.textbook.cifar()
    assert out.rstrip("\n") == getattr(model, printer)(notation=notation).rstrip("\n")
    asked.clear()
    code, out, err = run("summary", FREE_WIDTH, "--format", fmt, "--notation", notation)
    assert code == 0, err
    assert asked == [(printer, notation)]
    model = sc.load_spec(FREE_WIDTH)
    assert out.rstrip("\n") == getattr(model, printer)(notation=notation).rstrip("\n")


def test_without_the_option_the_printer_keeps_its_default(asked):
    assert run("summary", FREE_WIDTH, "--format", "latex")[0] == 0
    assert asked == [("to_latex", "absent")]


@pytest.mark.parametrize("command", ["latex", "summary", "zoo", "exercises"])
def test_an_unknown_notation_is_a_usage_error_naming_the_value_and_the_choices(command):
    target = {"zoo": "textbook.cifar", "exercises": "params"}.get(command, FREE_WIDTH)
    code, _, err = run(command, target, "--notation", "andrew_ng")
    assert code == 2
    assert "invalid choice: 'andrew_ng'" in err and all(repr(p) in err for p in PRESETS)


def test_a_near_miss_is_answered_with_the_preset():
    code, _, err = run("latex", FREE_WIDTH, "--notation", "cs231")
    assert code == 2 and "Did you mean 'cs231n'?" in err


@pytest.mark.parametrize("command", ["summary", "zoo"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_notation_with_an_output_that_has_none_is_a_usage_error(command, fmt):
    target = "textbook.cifar" if command == "zoo" else FREE_WIDTH
    code, out, err = run(command, target, "--format", fmt, "--notation", "d2l")
    assert code == 2 and out == ""
    assert err.startswith(f"symcnn {command}: error: --notation applies to --format "
                          f"markdown and latex, not {fmt}")
    assert "Received: --notation d2l" in err


def test_the_zoo_list_takes_no_notation():
    code, out, err = run("zoo", "--notation", "dumoulin")
    assert code == 2 and out == ""
    assert "--notation applies to one model's table" in err
    assert "Received: --notation dumoulin" in err


def test_the_zoo_list_names_every_option_it_refuses_in_one_message():
    code, out, err = run("zoo", "--format", "latex", "--notation", "d2l", "--columns", "layer")
    assert code == 2 and out == ""
    assert "--columns, --notation, --format latex apply to one model's table" in err
    assert "Received: --columns layer; --notation d2l; --format latex" in err


def test_a_refused_notation_is_said_before_the_file_is_read(tmp_path):
    missing = tmp_path / "missing.yaml"
    assert run("summary", missing, "--notation", "d2l")[0] == 2  # text, the default
    code, _, err = run("summary", missing, "--format", "latex", "--notation", "d2l")
    assert code == 3 and "missing.yaml" in err  # a notation that applies: the file's error


@pytest.mark.parametrize("argv", [["latex", "x.yaml", "--notation", "nope"],
                                  ["summary", "x.yaml", "--notation", "d2l"],
                                  ["zoo", "resnet50", "--format", "json", "--notation", "d2l"],
                                  ["zoo", "--notation", "d2l"],
                                  ["exercises", "params", "--notation", "nope"],
                                  ["latex", "--help"], ["exercises", "--help"]])
def test_notation_usage_errors_and_help_import_no_sympy(argv):
    setup = (f"from symcnn.cli import main\n"
             f"code = main({argv!r})\n"
             f"assert code in (0, 2), code")
    assert _heavy_modules(setup) == "[]"


@pytest.mark.parametrize("command", ["summary", "exercises"])
def test_the_help_offers_every_preset_of_the_notation_module(command, capsys):
    assert run(command, "--help")[0] == 0
    shown = capsys.readouterr().out
    assert "{" + ",".join(NOTATIONS) + "}" in shown and options.NOTATIONS == tuple(NOTATIONS)


@pytest.mark.parametrize("notation", PRESETS)
@pytest.mark.parametrize("fmt", ["latex", "markdown", "html", "moodle"])
def test_exercises_with_a_notation_are_the_librarys_sheet_in_every_format(notation, fmt):
    """An exercise sheet's own text is in the preset, so every --format takes --notation."""
    code, out, err = run("exercises", "padding_for_same", "-n", "3", "--format", fmt,
                         "--notation", notation)
    assert code == 0, err
    items = sc.exercises.generate("padding_for_same", n=3, seed=1, notation=notation)
    assert out == sc.exercises.sheet(items, format=fmt)


def test_each_preset_gives_its_own_exercise_sheet_and_keras_is_the_default():
    sheets = {n: run("exercises", "macs", "-n", "4", "--format", "markdown", "--notation",
                     n)[1] for n in PRESETS}
    assert len(set(sheets.values())) == len(PRESETS)
    assert sheets["keras"] == run("exercises", "macs", "-n", "4", "--format", "markdown")[1]
    assert "MACs = H_2*W_2*" in sheets["cs231n"] and "H_out" not in sheets["cs231n"]
