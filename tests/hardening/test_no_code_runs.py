"""No code runs from strings: every string that becomes an expression is read by symcnn's own
parser, in every entry point. Each case passes text that would create a file if evaluated;
the file must not appear, and the error must be a SymcnnError saying what was received.
"""

import builtins
import json
import os

import pytest
import sympy

import symcnn as sc
from symcnn.cli import main

n = sc.symbols("n")


def code(path) -> str:
    return f"__import__('os').system('touch {path}')"


WATCHED = ("__import__", "2*n + 1", "160*n")


@pytest.fixture
def no_eval(monkeypatch):
    """eval, exec and SymPy's parser fail the test if anything calls them."""
    import sympy.parsing.sympy_parser

    def guard(real):
        def check(source, *args, **kwargs):  # libraries eval their own code: that is fine
            if isinstance(source, str) and any(w in source for w in WATCHED):
                raise AssertionError(f"text was evaluated: {source!r}")
            return real(source, *args, **kwargs)
        return check

    def refuse(*args, **kwargs):
        raise AssertionError(f"SymPy's parser was called on {args[:1]!r}")

    monkeypatch.setattr(builtins, "eval", guard(builtins.eval))
    monkeypatch.setattr(builtins, "exec", guard(builtins.exec))
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", refuse)
    return refuse


ENTRY_POINTS = [
    ("sweep dict", lambda s: sc.sweep({"a": s}, n=[1]), r"sweep: `a` is text that is not a size "
     r"expression: expression: unexpected character \"'\" at position 12"),
    ("sweep dict with or", lambda s: sc.sweep({"a": s + " or n"}, n=[1]), r"sweep: `a`"),
    ("sweep target", lambda s: sc.sweep(s, n=[1]), r"sweep: the target must be"),
    ("plot", lambda s: sc.plot(s + " or n", n=range(1, 3)), r"plot: `value` is text"),
    ("plot dict", lambda s: sc.plot({"a": s}, n=range(1, 3)), r"plot: `a` is text"),
    ("format_count", lambda s: sc.format_count(s), r"format_count: `value` is text"),
    ("show", lambda s: sc.show(s), r"show: `expr` is text"),
    ("solve_budget", lambda s: sc.solve_budget(s, 10, "n"), r"`expr` must be a number"),
    ("solve budget text", lambda s: sc.solve_budget(n, s, "n"), r"`budget` must be a number"),
    ("solve", lambda s: sc.solve(s, 10, "n"), r"must be"),
    ("layer size", lambda s: sc.Dense(s), r"Dense: `units`.*A string must be a symbol name"),
    ("size assertion", lambda s: sc.nn.SizeAssert(s, 1),  # it ran the code (sympify)
     r"SizeAssert: `lhs`.*A string must be a symbol name"),
    ("size assertion rhs", lambda s: sc.nn.SizeAssert(n, s), r"SizeAssert: `rhs`"),
    ("input shape", lambda s: sc.Input((s, 3)), r"`shape`"),
    ("model subs", lambda s: sc.zoo.textbook.free_width().subs(n=s), r"Received: n="),
    ("parse_expression", lambda s: sc.parse_expression(s), r"unexpected character"),
]


@pytest.mark.parametrize("call, pattern", [c[1:] for c in ENTRY_POINTS],
                         ids=[c[0] for c in ENTRY_POINTS])
def test_code_in_a_string_never_runs(tmp_path, no_eval, call, pattern):
    marker = tmp_path / "X"
    with pytest.raises(sc.SymcnnError, match=pattern):
        call(code(marker))
    assert not marker.exists()


def test_text_that_is_a_size_expression_still_works_through_the_safe_parser(no_eval):
    assert sc.sweep({"a": "2*n + 1"}, n=[1, 2])["a"].tolist() == [3, 5]
    assert sc.format_count("160*n + 48320") == "160*n + 48320"


@pytest.mark.parametrize("where", ["units", "input", "subs", "symbols", "size assertion"])
def test_model_files_and_the_command_line_never_run_code(tmp_path, where):
    marker = tmp_path / "X"
    doc = {"input": [8], "symbols": ["n"], "layers": [{"Dense": {"units": "n"}}]}
    subs = ["--subs", "n=3"]
    if where == "units":
        doc["layers"][0]["Dense"]["units"] = code(marker)
    elif where == "size assertion":  # an nn.SizeAssert entry ran it through sympify
        doc["layers"].insert(0, {"nn.SizeAssert": {"lhs": code(marker) + " or 1", "rhs": 1}})
    elif where == "input":
        doc["input"] = [code(marker)]
    elif where == "symbols":
        doc["symbols"] = [code(marker)]
    else:
        subs = ["--subs", f"n={code(marker)}"]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    assert main(["summary", str(path), *subs]) in (2, 3)
    assert not marker.exists()
    assert os.listdir(tmp_path) == ["m.json"]


def test_the_unicode_digits_and_true_are_not_numbers():
    with pytest.raises(sc.ExpressionError, match=r"unexpected character '٣' at position 1"):
        sc.parse_expression("\u0663")
    with pytest.raises(sc.ExpressionError, match=r"unexpected character '１'"):
        sc.parse_expression("\uff11 + 2")
    with pytest.raises(sc.ExpressionError, match=r"unknown name 'true'"):
        sc.parse_expression("true")
    assert sympy.Integer(3) == sc.parse_expression("3")


def test_a_size_assertion_in_a_model_file_reads_its_sizes_as_expressions(tmp_path, no_eval):
    """The reader parses `lhs` and `rhs` as sizes (symcnn's parser), as from_torch writes them."""
    doc = {"input": [3, "H", "H"], "symbols": ["H"],
           "layers": [{"nn.SizeAssert": {"lhs": "H", "rhs": 224, "message": "224 only"}}]}
    model = sc.model_from_spec(doc)
    assert model.constraints == [sympy.Eq(sc.symbols("H"), 224)]
    assert sc.model_from_spec(sc.model_to_spec(model)).constraints == model.constraints
