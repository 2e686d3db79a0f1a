"""The safe expression reader: exact arithmetic, Python's precedence, and hostile text refused.

Oracles: Python's own integer arithmetic (``fractions.Fraction``, ``math.floor``) on the same
expression trees, and Python's evaluation of generated integer-only text for precedence.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
import os
import pathlib
import re
import time
from fractions import Fraction

import pytest
import sympy
from .conftest import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import expr_parser
from symcnn.expr_parser import MAX_LENGTH, parse_expression, parse_size

H, W, n = sc.symbols("H W n")
SYMBOLS = {"H": H, "W": W, "n": n}


class Forbidden(BaseException):
    """Raised if anything reaches eval/exec or SymPy's string parser (escapes `except Exception`)."""


@contextlib.contextmanager
def nothing_may_execute():
    """Make eval, exec and SymPy's parse_expr (behind sympify(str)) blow up while inside."""
    import sympy.parsing.sympy_parser as sympy_parser

    saved = builtins.eval, builtins.exec, sympy_parser.parse_expr

    def forbidden(*args, **kwargs):
        raise Forbidden(f"forbidden call with {args[:1]!r}")

    def exec_of_module_code_only(code, *args, **kwargs):
        # the import system executes modules' code objects; anything else is forbidden
        if isinstance(code, str) or code.co_filename.startswith("<"):
            forbidden(code)
        return saved[1](code, *args, **kwargs)

    builtins.eval = sympy_parser.parse_expr = forbidden
    builtins.exec = exec_of_module_code_only
    try:
        yield
    finally:
        builtins.eval, builtins.exec, sympy_parser.parse_expr = saved


# -- expression trees with a Python oracle ----------------------------------------------------

def lit(v):
    return ("lit", v)


leaves = st.one_of(st.integers(0, 60).map(lit), st.sampled_from(["H", "W", "n"]).map(
    lambda s: ("var", s)))
divisors = st.one_of(st.integers(1, 9).map(lit), st.sampled_from(["H", "W", "n"]).map(
    lambda s: ("var", s)))


def _extend(kids):
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*"]), kids, kids),
        st.tuples(st.sampled_from(["//", "/"]), kids, divisors),
        st.tuples(st.just("**"), kids, st.integers(0, 3).map(lit)),
        st.tuples(st.sampled_from(["floor", "ceiling"]), kids, divisors),
        st.tuples(st.sampled_from(["min", "max"]), kids, kids),
        st.tuples(st.just("neg"), kids),
    )


trees = st.recursive(leaves, _extend, max_leaves=10)


def render(t) -> str:
    kind = t[0]
    if kind == "lit":
        return str(t[1])
    if kind == "var":
        return t[1]
    if kind == "neg":
        return f"-({render(t[1])})"
    if kind in ("floor", "ceiling"):
        return f"{kind}(({render(t[1])})/({render(t[2])}))"
    if kind in ("min", "max"):
        return f"{kind}({render(t[1])}, {render(t[2])})"
    return f"({render(t[1])}){kind}({render(t[2])})"


def value(t, env) -> Fraction:
    kind = t[0]
    if kind == "lit":
        return Fraction(t[1])
    if kind == "var":
        return Fraction(env[t[1]])
    if kind == "neg":
        return -value(t[1], env)
    a = value(t[1], env)
    b = value(t[2], env)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if kind == "/":
        return a / b
    if kind == "//":
        return Fraction(math.floor(a / b))
    if kind == "**":
        return a ** int(b)
    if kind == "floor":
        return Fraction(math.floor(a / b))
    if kind == "ceiling":
        return Fraction(math.ceil(a / b))
    return min(a, b) if kind == "min" else max(a, b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, st.integers(1, 40), st.integers(1, 40), st.integers(1, 40))
def test_parsed_expression_equals_python_arithmetic_at_every_point(tree, h, w, k):
    assert_parsed_as_python(tree, value, h, w, k)


def assert_parsed_as_python(tree, evaluate, h: int, w: int, k: int) -> None:
    """``tree``'s text, parsed with nothing run, at ``H, W, n = h, w, k``, equals
    ``evaluate(tree, env)``, Python's own arithmetic on it."""
    text = render(tree)
    with nothing_may_execute():
        expr = parse_expression(text, SYMBOLS)
    got = expr.xreplace({H: h, W: w, n: k})
    assert got == sympy.Rational(*evaluate(tree, {"H": h, "W": w, "n": k})
                                 .as_integer_ratio()), text


int_tokens = st.one_of(st.integers(0, 30).map(str), st.sampled_from(["+", "-", "*", "//", "(", ")"]))


@st.composite
def integer_texts(draw):
    """Unparenthesised integer text, to compare precedence and associativity with Python."""
    parts = [str(draw(st.integers(0, 30)))]
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["+", "-", "*", "//", "**", "+-", "*-", "-(-"]))
        if op == "**":
            if parts[-1].startswith("**"):  # no towers: the oracle would compute 2**3**3**3
                continue
            parts.append("**" + str(draw(st.integers(0, 3))))
            continue
        divisor = draw(st.integers(1, 30))
        if op == "-(-":
            parts.append(f"-(-{divisor})")
        else:
            parts.append(op + str(divisor))
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(integer_texts())
def test_precedence_and_associativity_are_pythons(text):
    expected = eval(compile(ast.parse(text, mode="eval"), "<oracle>", "eval"),  # test oracle only
                    {"__builtins__": {}})
    assert parse_expression(text) == expected


def test_floor_division_of_a_size_is_symcnns_canonical_rounding():
    assert parse_expression("(H - 1)//2 + 1", SYMBOLS) == sympy.ceiling(H / 2)
    assert parse_expression("floor((floor((H - 1)/2) + 1 - 1)/2) + 1", SYMBOLS) == \
        sympy.ceiling(H / 4)


def test_numbers_are_read_exactly():
    assert parse_expression("5e6") == 5_000_000 and parse_expression("5e6").is_Integer
    assert parse_expression("1_000_000") == 10**6
    assert parse_expression("0.1") == sympy.Rational(1, 10)
    assert parse_expression("2.5e-1") == sympy.Rational(1, 4)
    assert parse_expression(str(2**100)) == 2**100


def test_parse_size_gives_python_ints_for_numbers_and_expressions_otherwise():
    assert type(parse_size("2*3")) is int and parse_size("2*3") == 6
    assert parse_size("2*w + 1", declare=True) == 2 * sc.symbols("w") + 1


def test_printed_closed_forms_read_back_equal():
    exprs = [sc.zoo.textbook.cifar(("H", "W", 3)).get_layer("activation_3").output_shape[0],
             sympy.Max(H, 2 * W) + sympy.floor((H + 20) / 32), 160 * n + 48320]
    for e in exprs:
        assert parse_expression(str(e), SYMBOLS) == e


def test_undeclared_names_are_refused_with_the_declared_ones_listed():
    with pytest.raises(sc.ExpressionError, match=r"unknown name 'k' \(declared symbols: H, W, n\)"):
        parse_expression("2*k", SYMBOLS)


def test_declare_makes_positive_integer_symbols():
    k = parse_expression("k", declare=True)
    assert k.is_integer and k.is_positive


# -- hostile and malformed text ----------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('touch pwned')",
    "__import__(\"os\").system(\"touch pwned\")",
    "().__class__.__bases__[0].__subclasses__()",
    "exec('open(\"pwned\", \"w\")')",
    "eval('1')",
    "open('pwned', 'w')",
    "lambda: 1",
    "H.__class__",
    "[1, 2]",
    "{1: 2}",
    "1; import os",
    "1 if H else 2",
    "H @ W",
    "H & 2",
    "H == W",
    "not H",
    "f'{H}'",
    "Symbol('x')",
    "sympify('1')",
    "__builtins__",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_and_nothing_runs(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with nothing_may_execute(), pytest.raises(sc.ExpressionError) as info:
        parse_expression(text, SYMBOLS, declare=True)
    assert "Received:" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_the_touch_pwned_payload_names_the_offending_character(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sc.ExpressionError, match=r"unexpected character \"'\" at position 12"):
        parse_expression("__import__('os').system('touch pwned')")
    assert not (tmp_path / "pwned").exists()


def test_a_ten_megabyte_expression_is_refused_before_reading_it():
    text = "1+" * 5_000_000 + "1"
    with pytest.raises(sc.ExpressionError, match=f"longer than {MAX_LENGTH:,} characters"):
        parse_expression(text)


@pytest.mark.parametrize("text, problem", [
    ("(" * 100 + "1" + ")" * 100, "nesting deeper than 64"),
    ("-" * 500 + "1", "nesting deeper than 64"),
    ("2**2**2**2**2", "exponent 65536 makes the power larger than 4096 bits"),
    ("10**100000", "exponent 100000"),
    ("H**W", "both base and exponent are symbolic"),
    ("((H**64)**64)**64", "the expression has degree 4096 in its symbols (at most 64)"),
    ("H**64*H", "degree 65"),
    ("H**32*W**33", "degree 65"),
    ("H**0.5", "is not an integer"),
    ("(-2)**H", "needs a positive integer base"),
    ("9" * 2000, "too large"),
    ("1e99999", "too large"),
    ("+".join(["H//2"] * 260), "more than 256 uses"),
    ("+".join(["floor(H/3)"] * 260), "more than 256 uses of //, floor, ceiling, min, max"),
    ("min(" + ",".join(["1"] * 70) + ")", "more than 64 arguments"),
    ("1/0", "division by zero"),
    ("H//(W - W)", "division by zero"),
    ("0**-1", "division by zero"),
    ("floor(1, 2)", "takes 1 argument"),
    ("max()", "takes at least 1"),
    ("floor", "is a function"),
    ("", "empty"),
    ("   ", "no expression"),
    ("1 2", "unexpected '2'"),
    ("(1", "expected ')'"),
    ("1__0", "malformed number"),
])
def test_malformed_or_oversized_text_gets_a_clear_error(text, problem):
    with pytest.raises(sc.ExpressionError, match=re.escape(problem)):
        parse_expression(text, SYMBOLS)


def test_non_text_is_refused():
    with pytest.raises(sc.ExpressionError, match="expected text"):
        parse_expression(12)


fuzz_tokens = st.sampled_from([
    "__import__", "(", ")", "'", '"', "os", ".", "system", "touch", "pwned", "lambda", ":",
    "[", "]", "{", "}", ",", "1", "0", "9" * 30, "H", "W", "n", "k", "+", "-", "*", "/", "//",
    "**", "floor", "ceiling", "min", "max", "e", "E", "_", " ", "\n", "\\", "#", "%", "@",
    "getattr", "__class__", "eval", "exec", "1e9", ".5", "1_0", "\x00", "é", "ℌ", "１",
])


@settings(max_examples=fuzz_examples(500), deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(fuzz_tokens, max_size=25).map("".join)))
def test_random_and_hostile_text_gives_an_expression_or_an_expression_error(text):
    with empty_working_directory() as folder, nothing_may_execute():
        try:
            result = parse_expression(text, SYMBOLS, declare=True)
        except sc.ExpressionError as err:
            assert str(err).startswith("expression:")
        else:
            assert isinstance(result, sympy.Expr)
            assert not result.has(sympy.zoo, sympy.nan, sympy.oo)
        assert os.listdir(folder) == []


@contextlib.contextmanager
def empty_working_directory():
    import tempfile

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(cwd)


def test_the_parser_source_calls_no_eval_exec_or_sympy_string_parsing():
    bare = {"eval", "exec", "compile", "sympify", "parse_expr", "S", "__import__"}
    methods = {"eval", "exec", "sympify", "parse_expr", "S"}
    for module in (expr_parser, sc.spec):
        tree = ast.parse(pathlib.Path(module.__file__).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                bad = (isinstance(f, ast.Name) and f.id in bare) or (
                    isinstance(f, ast.Attribute) and f.attr in methods)
                assert not bad, (module.__name__, ast.unparse(node))


# --- the bit bound of a power: the real bit length, as for a number written out -------------


def test_a_power_within_the_bit_bound_is_read_exactly():
    """``2**3000`` has 3,001 bits, within the 4,096 that a number written out may have; the
    estimate was twice that (2 bits of base times the exponent) and refused it."""
    assert parse_expression("2**3000") == 2**3000
    assert parse_expression("10**1200") == 10**1200  # 3,987 bits: estimated 4,800
    H = sc.symbols("H")
    assert parse_expression("ceiling(H/2**4000)", {"H": H}) == sympy.ceiling(H / 2**4000)


@settings(max_examples=200, deadline=None)
@given(base=st.integers(2, 5000), offset=st.integers(-40, 40))
def test_a_power_is_refused_exactly_when_its_value_exceeds_the_bit_bound(base, offset):
    """At the edge of the bound, ``b**e`` is read exactly when its value has at most
    MAX_BITS bits: what the same number written out in digits gets."""
    exponent = max(1, round(expr_parser.MAX_BITS / math.log2(base)) + offset)
    value = base**exponent
    fits = value.bit_length() <= expr_parser.MAX_BITS
    for text in (f"{base}**{exponent}", f"{base}**-{exponent}"):
        if fits:
            got = parse_expression(text)
            assert got == (value if "-" not in text else sympy.Rational(1, value))
        else:
            with pytest.raises(sc.ExpressionError, match="makes the power larger than"):
                parse_expression(text)
    if len(str(value)) <= 1000:  # the digits the reader takes in a literal
        if fits:
            assert parse_expression(str(value)) == value
        else:
            with pytest.raises(sc.ExpressionError, match="too large"):
                parse_expression(str(value))


@pytest.mark.parametrize("text", ["9**9**9**9", "2**2**2**2**2**2", "(10**9)**(10**9)",
                                  "3**(2**4000)", "7**-(5**20)"])
def test_a_tower_is_refused_at_once(text):
    start = time.perf_counter()
    with pytest.raises(sc.ExpressionError, match="larger than 4096 bits|too large"):
        parse_expression(text)
    assert time.perf_counter() - start < 0.1


def test_mod_reads_back_as_sympy_prints_it():
    import symcnn as sc
    n = sc.symbols("n")
    for expr in (sympy.Mod(n, 3) + 1, 5 * sympy.Mod(n + 5, 4), sympy.Mod(n**2 + 2 * n, 5)):
        assert parse_expression(str(expr), {"n": n}) == expr
    assert parse_expression("mod(7, 3)") == 1


@pytest.mark.parametrize("text,problem", [
    ("Mod(n, 0)", "divisor must be a positive integer"),
    ("Mod(n, -3)", "divisor must be a positive integer"),
    ("Mod(n, 1/2)", "divisor must be a positive integer"),
    ("Mod(n)", "takes 2 argument"),
    ("Mod(n, 2**5000)", "larger than 4096 bits"),
    ("Mod(" * 70 + "n" + ", 3)" * 70, "nesting deeper than 64"),
    ("+".join(["Mod(n, 3)"] * 260), "more than 256 uses"),
])
def test_mod_refuses_hostile_forms(text, problem):
    import symcnn as sc
    with pytest.raises(sc.ExpressionError, match=re.escape(problem)):
        parse_expression(text, {"n": sc.symbols("n")})


# -- the remainder: % and Mod by a size --------------------------------------------------------

def _with_remainder(kids):
    return st.one_of(_extend(kids), st.tuples(st.just("%"), kids, divisors))


remainder_trees = st.recursive(leaves, _with_remainder, max_leaves=10)


def remainder_value(t, env) -> Fraction:
    """:func:`value`, and ``%`` as Python's on exact fractions."""
    if t[0] == "%":
        return remainder_value(t[1], env) % remainder_value(t[2], env)
    if t[0] in ("lit", "var"):
        return value(t, env)
    if t[0] == "neg":
        return -remainder_value(t[1], env)
    a, b = (remainder_value(c, env) for c in t[1:])
    return value((t[0], lit(a), lit(b)), env)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(remainder_trees, st.integers(1, 40), st.integers(1, 40), st.integers(1, 40))
def test_a_remainder_by_a_number_or_a_size_is_pythons_at_every_point(tree, h, w, k):
    """``%`` was refused ("unexpected character '%'"), and so was ``Mod(H, k)`` by a size."""
    assert_parsed_as_python(tree, remainder_value, h, w, k)


@st.composite
def remainder_texts(draw):
    """Unparenthesised integer text with ``%`` among ``* // + -``, to compare with Python."""
    parts = [str(draw(st.integers(-30, 30)))]
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["%", "%", "+", "-", "*", "//", "**"]))
        if op == "**":
            if parts[-1].startswith("**"):
                continue
            parts.append("**" + str(draw(st.integers(0, 3))))
            continue
        parts.append(op + str(draw(st.integers(1, 30))))
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(remainder_texts())
def test_the_remainder_has_pythons_precedence_and_sign(text):
    expected = eval(compile(ast.parse(text, mode="eval"), "<oracle>", "eval"),  # test oracle only
                    {"__builtins__": {}})
    assert parse_expression(text) == expected, text


def test_a_remainder_by_a_size_is_written_out_and_reads_as_python_computes_it():
    k = sc.symbols("k")
    names = {"H": H, "k": k, "n": n}
    assert parse_expression("H % 2", names) == sympy.Mod(H, 2)  # as SymPy prints it
    for text in ("H % k", "Mod(H, k)", "mod(H, k)"):
        expr = parse_expression(text, names)
        assert all(expr.xreplace({H: h, k: d}) == h % d
                   for h in range(1, 40) for d in range(1, 12))
    assert parse_expression("Mod(n, n)", names) == 0
    assert parse_expression("(H - H % 2)/2", names).xreplace({H: 7}) == 3
    assert parse_expression("H//2 + H%2", names).xreplace({H: 7}) == 4


@pytest.mark.parametrize("text,problem", [
    ("H % 0", "division by zero"),
    ("H % (n - 1)", "the divisor must be a positive integer or a size"),
    ("H % 0.5", "the divisor must be a positive integer or a size"),
    ("H % -2", "the divisor must be a positive integer or a size"),
    ("Mod(H, n - 1)", "the divisor must be a positive integer or a size"),
    ("H %", "expected a number, a name or '('"),
    ("% H", "expected a number, a name or '('"),
    ("H %% 2", "expected a number, a name or '('"),
    ("+".join(["n % 3"] * 260), "more than 256 uses"),
    ("n" + " % n" * 300, "more than 256 uses"),
    ("n**40 % (n**40 + 1)", "degree"),
])
def test_a_remainder_keeps_the_readers_limits(text, problem):
    with nothing_may_execute(), pytest.raises(sc.ExpressionError, match=re.escape(problem)):
        parse_expression(text, SYMBOLS)
