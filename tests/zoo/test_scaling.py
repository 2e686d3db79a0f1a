"""Width and depth multipliers: make_divisible, round_repeats, as_multiplier."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import symcnn as sc
from symcnn.zoo.scaling import as_multiplier, make_divisible, round_repeats


def torchvision_make_divisible(v, divisor=8):
    """torchvision's ``_make_divisible`` as it is written (float arithmetic)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def exact_make_divisible(v: Fraction, divisor: int) -> int:
    """The same rule on an exact rational, by brute force over multiples of the divisor."""
    nearest = max(m for m in range(0, int(v) + 2 * divisor, divisor) if m <= v + Fraction(divisor, 2))
    n = max(divisor, nearest)
    return n + divisor if n < Fraction(9, 10) * v else n


@given(c=st.integers(1, 2000), alpha=st.floats(0.01, 4.0, allow_nan=False))
def test_float_multiplier_rounds_as_torchvision_does(c, alpha):
    assert make_divisible(c * as_multiplier(alpha, "alpha", "t"), 8) == \
        torchvision_make_divisible(c * alpha)


@given(v=st.fractions(Fraction(1, 100), 3000, max_denominator=100),
       divisor=st.sampled_from([1, 2, 4, 8, 16]))
def test_rational_multiplier_rounds_exactly(v, divisor):
    value = make_divisible(sympy.Rational(v.numerator, v.denominator), divisor)
    assert value == exact_make_divisible(v, divisor)
    assert value % divisor == 0 and value >= divisor


def test_ties_follow_float_arithmetic_for_floats_and_exact_arithmetic_for_rationals():
    # 400*0.29 is 115.99999999999999 in floating point but exactly 116 as a fraction.
    assert make_divisible(400 * as_multiplier(0.29, "alpha", "t"), 8) == 112
    assert make_divisible(400 * as_multiplier(Fraction(29, 100), "alpha", "t"), 8) == 120


def test_symbolic_width_stays_an_integer_valued_function_until_substituted():
    alpha = as_multiplier("alpha", "alpha", "t")
    width = make_divisible(96 * alpha, 8)
    assert width.is_integer and width.is_positive
    assert width.subs(alpha, sympy.Rational(1, 2)) == 48
    assert width.subs(alpha, 0.35) == torchvision_make_divisible(96 * 0.35)


@given(k=st.integers(1, 12), c=st.integers(1, 500), alpha=st.floats(0.05, 3.0))
def test_a_multiple_of_a_rounded_width_rounds_to_itself(k, c, alpha):
    a = as_multiplier("a", "a", "t")
    symbolic = make_divisible(k * make_divisible(c * a, 8), 8)
    assert symbolic == k * make_divisible(c * a, 8)
    value = make_divisible(c * as_multiplier(alpha, "a", "t"), 8)
    assert make_divisible(k * value, 8) == k * value


@given(n=st.integers(1, 40), depth=st.floats(0.05, 4.0))
def test_round_repeats_is_torchvision_ceil_of_the_float_product(n, depth):
    assert round_repeats(n, as_multiplier(depth, "d", "t")) == math.ceil(n * depth)


@pytest.mark.parametrize("bad", [0, -1.5, "1x", None, True, [1], sympy.Symbol("z", negative=True)])
def test_multipliers_must_be_positive(bad):
    with pytest.raises(sc.LayerArgumentError, match=r"`alpha` must be a positive number.*Received: alpha="):
        sc.zoo.mobilenet_v2(alpha=bad)


# Names that read as infinity or not-a-number. Before, a string multiplier was taken as a
# symbol name whatever it was: `mobilenet_v2(alpha="oo")` printed `make_divisible(16*oo, 8)`,
# which reads as infinity, and `symcnn zoo mobilenet_v2 --arg alpha=nan` exited 0.

@pytest.mark.parametrize("name, meaning", [
    ("oo", "SymPy's infinity"), ("zoo", "SymPy's complex infinity"), ("nan", "not a number"),
    ("NaN", "not a number"), ("inf", "infinity"), ("Infinity", "infinity"),
])
def test_a_multiplier_name_that_reads_as_a_value_is_refused(name, meaning):
    with pytest.raises(sc.LayerArgumentError,
                       match=rf"^mobilenet_v2: `alpha` must not use the symbol name '{name}', "
                             rf"which is {meaning}; give another name\. Received: "
                             rf"alpha='{name}'$"):
        sc.zoo.mobilenet_v2(alpha=name)


@pytest.mark.parametrize("build, arg", [
    (sc.zoo.efficientnet_b0, "width_coefficient"), (sc.zoo.efficientnet_b0, "depth_coefficient"),
    (sc.zoo.mobilenet_v3_large, "alpha"), (sc.zoo.mobilenet_v3_small, "alpha"),
])
def test_every_multiplier_argument_refuses_such_names(build, arg):
    with pytest.raises(sc.LayerArgumentError, match=rf"`{arg}` must not use the symbol name 'nan'"):
        build(**{arg: "nan"})


def test_such_a_symbol_cannot_be_made_at_all():
    for make in (sc.multiplier, sc.symbols):
        with pytest.raises(sc.LayerArgumentError, match=r"must not use the symbol name 'nan'"):
            make("nan")


@pytest.mark.parametrize("name", ["alpha", "a", "e", "E", "pi", "beta", "gamma", "w_1", "S", "N",
                                  "info"])
def test_ordinary_names_remain_multipliers(name):
    assert as_multiplier(name, "alpha", "t") == sc.multiplier(name)


def test_the_command_line_refuses_such_a_name_with_an_error_exit(capsys):
    from symcnn.cli import EXIT_CODES, main

    # refused as text, before the builder sees it, as --subs n=nan and --input nan,nan,3 are
    assert main(["zoo", "mobilenet_v2", "--arg", "alpha=nan"]) == EXIT_CODES["usage"]
    assert "--arg: expression: the name 'nan' cannot be a new symbol: it is not a number" in \
        capsys.readouterr().err


# NumPy floats of every width. Before, np.float64(0.35) (a float subclass) was accepted and
# np.float32(0.35) refused as "not a positive number".

def test_numpy_floats_of_every_width_are_multipliers_read_as_the_decimal_they_print():
    np = pytest.importorskip("numpy")
    for kind in (np.float16, np.float32, np.float64, np.longdouble):
        assert as_multiplier(kind(0.5), "alpha", "t") == as_multiplier(0.5, "alpha", "t")
    assert as_multiplier(np.float32(0.35), "alpha", "t") == as_multiplier(0.35, "alpha", "t")
    # float(np.float32(1.3)) is 1.2999999523..., and 40 times it rounds to 48; 1.3 as the
    # user wrote it (and as a Python float) gives 56, torchvision's width for 1.3
    assert make_divisible(40 * as_multiplier(np.float32(1.3), "alpha", "t"), 8) == 56
    assert torchvision_make_divisible(40 * float(np.float32(1.3))) == 48
    assert sc.zoo.mobilenet_v2(alpha=np.float32(0.35)).trainable_params == \
        sc.zoo.mobilenet_v2(alpha=0.35).trainable_params


@pytest.mark.parametrize("text", ["nan", "inf", "-0.5", "0"])
def test_numpy_floats_that_are_not_positive_numbers_are_refused(text):
    np = pytest.importorskip("numpy")
    with pytest.raises(sc.LayerArgumentError, match=r"`alpha` must be a positive number.*Received: alpha="):
        sc.zoo.mobilenet_v2(alpha=np.float32(text))


def test_a_decimal_or_a_number_written_as_text_is_an_exact_multiplier():
    """Decimal("0.35") and the text "0.35" were refused ("not a positive number"; the text
    was taken for a bad symbol name). Both are 7/20 exactly, as model.subs reads them."""
    import decimal

    expected = sc.zoo.mobilenet_v2(alpha=Fraction(7, 20)).trainable_params
    for given in (decimal.Decimal("0.35"), "0.35", "7/20"):
        assert as_multiplier(given, "alpha", "t") == sympy.Rational(7, 20)
        assert sc.zoo.mobilenet_v2(alpha=given).trainable_params == expected
    for bad in ("-0.5", "0", decimal.Decimal("nan"), decimal.Decimal("-1")):
        with pytest.raises(sc.LayerArgumentError, match=r"`alpha` must be a positive number"):
            as_multiplier(bad, "alpha", "mobilenet_v2")
