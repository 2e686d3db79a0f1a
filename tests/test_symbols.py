"""Symbols: what ``sc.symbols`` makes and refuses, which names a symbol may have wherever a
symbol is made, and the fresh symbols of unknown (``None``) input sizes."""

from __future__ import annotations

import io
import json
import sys

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.cli import main
from symcnn.expr_parser import FUNCTIONS
from symcnn.symbols import FUNCTION_NAMES, MAX_SYMBOLS, UnknownSize


def run_cli(*argv) -> tuple:
    """``(exit code, stderr)`` of ``symcnn argv`` run in-process."""
    err, saved = io.StringIO(), sys.stderr
    sys.stderr = err
    try:
        code = main([str(a) for a in argv], out=io.StringIO())
    finally:
        sys.stderr = saved
    return code, err.getvalue()


# -- names ------------------------------------------------------------------------------------

#: Names that read as a value or as a function of the expression language, and what the
#: error says they are.
RESERVED = [("inf", "infinity"), ("nan", "not a number"), ("oo", "SymPy's infinity"),
            ("None", "Python's None"), ("True", "Python's True"), ("False", "Python's False"),
            *[(f, "a function of symcnn expressions") for f in sorted(FUNCTION_NAMES)],
            # SymPy's LaTeX and MathML printers read ``__`` as a superscript and ``_`` as a
            # subscript: n__2 printed as n squared, ``_`` broke pdflatex
            ("n__2", "printed as a power"), ("a__b", "printed as a power"),
            ("_x", "printed with a misplaced subscript"), ("n_", "printed with a misplaced"),
            ("_", "printed with a misplaced subscript")]


def test_the_function_names_symbols_refuse_are_the_expression_readers_functions():
    assert FUNCTION_NAMES == set(FUNCTIONS)


@pytest.mark.parametrize("name, meaning", RESERVED)
def test_a_name_that_reads_as_a_value_or_a_function_names_no_symbol_in_python(name, meaning):
    for make in (sc.symbols, sc.multiplier, lambda n: sc.Input((n, 4)), lambda n: sc.Dense(n)):
        with pytest.raises(sc.LayerArgumentError,
                           match=f"symbol name '{name}', which is {meaning}"):
            make(name)


@pytest.mark.parametrize("name, meaning", [r for r in RESERVED if r[0] not in FUNCTION_NAMES])
def test_a_name_that_reads_as_a_value_is_no_new_symbol_in_text(name, meaning):
    """``--subs n=inf`` printed ``160*inf + 48320``; ``--input inf,inf,3`` printed
    ``Constraints: inf >= 12``."""
    with pytest.raises(sc.ExpressionError, match=f"the name '{name}' cannot be a new symbol: it "
                                                 f"is {meaning}"):
        sc.parse_expression(f"2*{name}", declare=True)
    code, err = run_cli("summary", "examples/models/free_width.json", "--subs", f"n={name}")
    assert code == 2 and f"cannot be a new symbol: it is {meaning}" in err
    code, err = run_cli("zoo", "textbook.lenet_table", "--input", f"{name},{name},3")
    assert code == 2 and f"cannot be a new symbol: it is {meaning}" in err


@pytest.mark.parametrize("name, meaning", RESERVED)
def test_a_model_file_declares_no_symbol_that_reads_as_a_value(name, meaning):
    """``symbols: [inf, oo]`` with ``Dense: oo`` printed ``5*oo``."""
    for key in ("symbols", "multipliers"):
        doc = {key: [name], "input": [4], "layers": ["Flatten"]}
        with pytest.raises(sc.SpecError, match=f"`{key}`"):
            sc.model_from_spec(doc)


@pytest.mark.parametrize("name", ["E", "I", "N", "S", "Q", "pi", "lambda", "oo_1", "nan_x", "x_1",
                                  "Float", "exp", "sqrt", "sin", "alpha"])
def test_every_name_sc_symbols_takes_reads_back_from_the_model_file_written(name):
    """``sc.symbols("floor")`` was accepted and written to a model file that the reader
    refused; ``E``, ``pi`` and ``lambda`` are plain symbols."""
    s = sc.symbols(name)
    model = sc.Sequential([sc.Input((s, 4)), sc.Conv1D(s, 3, padding="same"), sc.Flatten(),
                           sc.Dense(3)])
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    again = sc.model_from_spec(doc)
    assert again.params == model.params and again.output_shape == model.output_shape
    assert sc.parse_expression(str(model.params), {name: s}) == model.params


# -- sc.symbols' arguments ----------------------------------------------------------------

def test_an_assumption_contradicting_a_size_is_one_sentence_naming_it():
    """It was SymPy's 25-line dictionary of assumptions."""
    with pytest.raises(sc.SymbolError) as err:
        sc.symbols("n", real=False)
    message = str(err.value)
    assert "\n" not in message and "algebraic" not in message
    assert "the assumptions real=False contradict those of a size, integer=True and " \
           "positive=True" in message and message.endswith("Received: real=False")


@pytest.mark.parametrize("options, message", [
    ({"cls": sympy.Function}, r"`cls` must be sympy.Symbol or a subclass of it .* "
                              r"Received: cls=Function"),
    ({"cls": 3}, r"Received: cls=3"),
    ({"postive": True}, r"unknown assumption 'postive' .* Did you mean 'positive'\?"),
    ({"integer": "yes"}, r"`integer` must be True, False or None. Received: integer='yes'"),
])
def test_an_argument_of_symbols_that_makes_no_size_symbol_is_named(options, message):
    with pytest.raises(sc.SymbolError, match=message):
        sc.symbols("n", **options)


def test_the_options_sympy_takes_for_symbols_still_work():
    assert sc.symbols("n", seq=True) == (sc.symbols("n"),)
    assert sc.symbols("x:3") == sc.symbols("x0 x1 x2")
    assert isinstance(sc.symbols("d", cls=sympy.Dummy), sympy.Dummy)
    assert sc.symbols("m", integer=None, positive=None).is_integer is None


@pytest.mark.parametrize("names, count", [("x:1000000", 10**6), ("x:" + "9" * 30, 10**30 - 1),
                                          ("a:z(:1000)", 26_000)])
def test_a_range_of_symbols_is_bounded_before_any_is_made(names, count):
    """``sc.symbols("x:1000000")`` made a million symbols in 20 s."""
    with pytest.raises(sc.SymbolError, match=f"would make {count:,} symbols, more than the "
                                             f"{MAX_SYMBOLS:,} one call makes"):
        sc.symbols(names)
    assert len(sc.symbols(f"x:{MAX_SYMBOLS}")) == MAX_SYMBOLS


# -- unknown input sizes ----------------------------------------------------------------------

def test_an_unknown_input_size_takes_no_name_of_a_symbol_made_before():
    """After ``sc.symbols("T_1")``, ``Input((None, 8))`` got that very ``T_1``: two
    independent lengths became one (a concatenation of ``2*T_1``, attention MACs in
    ``T_1**2``)."""
    taken = sc.symbols("T_1 H_1 W_1")
    mine = sc.Input((taken[0], 8))
    other = sc.Input((None, 8))
    image = sc.Input((None, None, 3))
    assert other.shape[0] not in taken and other.shape[0].name.startswith("T_")
    assert other.shape[0].name != "T_1" and image.shape[0].name not in ("H_1",)
    model = sc.Model([mine, other], sc.Concatenate(axis=1)([mine, other]))
    assert model.output_shape == (taken[0] + other.shape[0], 8)
    attention = sc.Model([mine, other], sc.MultiHeadAttention(2, 4)(mine, other))
    assert not attention.macs.has(taken[0] ** 2)


def test_a_later_symbol_named_as_an_unknown_size_is_another_size_and_refused_beside_it():
    x = sc.Input((None, 8))
    late = sc.symbols(x.shape[0].name)
    assert isinstance(x.shape[0], UnknownSize) and late != x.shape[0]
    y = sc.Input((late, 8))
    with pytest.raises(sc.SymbolError, match=rf"two different symbols are both named "
                                             rf"'{late.name}': an unknown input size .* "
                                             rf"pass the symbol itself"):
        sc.Model([x, y], sc.Concatenate(axis=1)([x, y]))
    same = sc.Input((x.shape[0], 8))  # the unknown size itself: one size
    assert sc.Model([x, same], sc.Add()([x, same])).output_shape == (x.shape[0], 8)


def test_a_model_on_unknown_sizes_round_trips_through_a_model_file():
    x = sc.Input((None, None, 3))
    model = sc.Model(x, sc.GlobalAveragePooling2D()(sc.Conv2D(8, 3)(x)))
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    h, w = x.shape[:2]
    assert doc["symbols"] == [h.name, w.name]
    again = sc.model_from_spec(doc)
    assert sc.model_to_spec(again) == doc and again.params == model.params
    assert str(again.constraints) == str(model.constraints) == f"[{h} >= 3, {w} >= 3]"
    assert model.subs({h.name: 10, w.name: 12}).output_shape == (8,)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=1, max_size=9), st.sampled_from([0, -1]))
def test_a_size_is_refused_as_never_positive_only_when_no_value_makes_it_large_enough(
        coeffs, bound):
    """as_size refuses an expression only when it is provably at most 0 (or -1 for a
    minimum of 0), read off its terms for a long polynomial: sound against brute force."""
    from symcnn.symbols import _at_most
    n, m = sc.symbols("n m")
    value = sympy.expand(sum(c * n**i * m**(i % 2) for i, c in enumerate(coeffs)))
    if value.is_Integer:
        return
    if _at_most(value, bound):
        assert all(value.subs({n: a, m: b}) <= bound for a in range(1, 12) for b in range(1, 4))


@pytest.mark.parametrize("size", [
    sympy.Min(sc.symbols("n"), 2) - 2, 3 - sympy.Max(sc.symbols("n"), 3),
    sympy.floor(sympy.Min(sc.symbols("n"), 3) / 4), sympy.Mod(sc.symbols("n"), 4) - 4])
def test_a_size_capped_below_1_is_refused_where_it_is_given(size):
    """``Min(n, 2) - 2`` is at most 0 for every n, which SymPy's assumptions do not see: it
    built silently (as an Input size, with the unsatisfiable condition Min(2, n) >= 3)."""
    n = sc.symbols("n")
    assert all(size.subs(n, v) <= 0 for v in [*range(1, 50), 10**9])  # brute force
    with pytest.raises(sc.LayerArgumentError) as err:
        sc.Sequential([sc.Input((size, 8, 3)), sc.Conv2D(4, 3)])
    assert str(err.value) == (
        f"InputLayer: `shape` must be a positive integer, a symbol name or a positive-integer "
        f"SymPy expression. It is below 1 for every value of n. Received: shape={size}")
    with pytest.raises(sc.LayerArgumentError, match=r"Dense: `units` must be .* It is below 1"):
        sc.Dense(size)


def test_a_capped_size_that_some_value_makes_positive_is_kept_with_its_condition():
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((sympy.Min(n, 2) - 1, 8, 3)), sc.Flatten()])
    assert model.constraints == [sympy.Min(2, n) >= 2]
    assert model.subs(n=2).output_shape == (24,)


@settings(max_examples=150, deadline=None)
@given(st.integers(-6, 6), st.integers(1, 9), st.integers(-6, 6), st.sampled_from([0, -1]))
def test_a_capped_size_is_refused_only_when_no_value_makes_it_large_enough(a, cap, c, bound):
    """Sound against brute force: refused only when every value is at most ``bound``."""
    from symcnn.symbols import _at_most
    n = sc.symbols("n")
    value = a * sympy.Min(n, cap) + c
    if value.is_Integer:
        return
    if _at_most(value, bound):
        assert all(value.subs(n, v) <= bound for v in [*range(1, 30), 10**6])
    else:  # a Min of one symbol and a constant: the structural bound is exact
        assert any(value.subs(n, v) > bound for v in [*range(1, 30), 10**6])


def test_a_long_polynomial_substituted_for_a_size_is_exact():
    """Its sign was asked of SymPy, which looks for real roots (3 s for degree 40)."""
    n, H = sc.symbols("n H")
    model = sc.Sequential([sc.Input((H, 8, 3)), sc.Conv2D(4, 3), sc.Flatten(), sc.Dense(5)])
    value = sum(sympy.Integer(7)**i * n**i for i in range(40)) + 2
    assert model.subs(H=value).params == sympy.expand(model.params.subs(H, value))
    with pytest.raises(sc.LayerArgumentError, match="`H` must be a positive integer"):
        model.subs(H=-value + 1)



def test_a_fractional_size_of_one_symbol_is_refused_with_the_substitution_that_makes_it_whole():
    """``W=H/2`` is no size for odd H; the message shows the substitution that is one, and
    following it gives the model at every even H."""
    model = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 3, strides=2), sc.Flatten(),
                           sc.Dense(10)])
    with pytest.raises(sc.LayerArgumentError, match=r"H = 2\*k makes it k\. Received: W=H/2"):
        model.subs(W="H/2")
    tied = model.subs(H="2*k", W="k")
    for k in range(3, 12):
        assert tied.subs(k=k).params == model.subs(H=2 * k, W=k).params
    with pytest.raises(sc.LayerArgumentError, match=r"H = 3\*k makes it k \+ 1"):
        model.subs(W=sc.symbols("H") / 3 + 1)
