"""Width multipliers: exact substitution, symbolic roundings and solving on a grid."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given, settings, strategies as st

import symcnn as sc
from symcnn.zoo.scaling import make_divisible
from tests.conftest import require

ALPHAS = ("0.35", "0.5", "0.75", "1.0", "1.3", "1.4")


def _twin_params(width_mult: float) -> int:
    torch = require("torch")
    from tests.support import torch_models as tm

    with torch.device("meta"):  # counts only: no memory, no initialisation
        return tm.count_parameters(tm.MobileNetV2(width_mult=width_mult))


def test_symbolic_mobilenet_v2_substituted_equals_pytorch_at_the_published_multipliers():
    alpha = sc.multiplier("alpha")
    model = sc.zoo.mobilenet_v2(input_shape=(224, 224, 3), alpha=alpha)
    for text in ALPHAS:
        counted = model.subs(alpha=text).trainable_params
        assert counted == _twin_params(float(text)), text
        assert counted == model.trainable_params.subs(alpha, sympy.Rational(text))


def _torchvision_params(width_mult: float) -> int:
    from tests.support.torchvision_ref import classifier

    net = classifier("mobilenet_v2", device="meta", width_mult=width_mult)
    return sum(p.numel() for p in net.parameters())


def test_symbolic_mobilenet_v2_substituted_equals_torchvision():
    alpha = sc.multiplier("alpha")
    model = sc.zoo.mobilenet_v2(input_shape=(224, 224, 3), alpha=alpha)
    for text in ALPHAS:
        assert model.subs(alpha=text).trainable_params == _torchvision_params(float(text))


def test_largest_alpha_on_the_005_grid_under_3m_equals_brute_force_over_torchvision():
    alpha = sc.multiplier("alpha")
    params = sc.zoo.mobilenet_v2(input_shape=(224, 224, 3), alpha=alpha).trainable_params
    within = [k for k in range(1, 31) if _torchvision_params(k / 20) <= 3_000_000]
    assert within == list(range(1, max(within) + 1)) and max(within) < 30
    assert sc.solve_budget(params, 3_000_000, alpha, step=Fraction(1, 20)) == \
        sympy.Rational(max(within), 20)


def test_subs_takes_decimals_and_fractions_exactly():
    alpha = sc.multiplier("alpha")
    model = sc.zoo.mobilenet_v2(alpha=alpha, include_top=False)
    counts = {model.subs(alpha=v).trainable_params
              for v in ("0.75", "3/4", 0.75, Fraction(3, 4), sympy.Rational(3, 4))}
    assert len(counts) == 1
    assert model.subs(alpha="0.35").get_layer("stem").output_shape[-1] == 16  # 32*7/20 -> 16
    for bad in ("-0.5", "0", "alpha + 1", "__import__('os')", "nan", True):
        with pytest.raises(sc.SymcnnError, match="alpha"):
            model.subs(alpha=bad)


def test_subs_takes_numpy_numbers_as_the_decimals_they_print():
    np = pytest.importorskip("numpy")
    alpha = sc.multiplier("alpha")
    model = sc.zoo.mobilenet_v2(alpha=alpha, include_top=False)
    expected = model.subs(alpha="0.75").trainable_params
    for value in (np.float64(0.75), np.float32(0.75), np.float64(1.5) / 2):
        assert model.subs(alpha=value).trainable_params == expected
    assert model.subs(alpha=np.int64(2)).trainable_params == model.subs(alpha=2).trainable_params
    # 0.75 is exact in binary; 0.35 is not, and float32's nearest value printed 0.35 but was
    # taken as 699999988079071/2000000000000000
    from symcnn.multipliers import exact_value

    assert exact_value(np.float32(0.35), "alpha", "subs") == sympy.Rational(7, 20)
    for bad in (np.float64("nan"), np.float64("inf"), np.float64(-0.75), np.float32(0)):
        with pytest.raises(sc.LayerArgumentError, match=r"`alpha` must be a positive number.*"
                                                        r"Received: alpha="):
            model.subs(alpha=bad)


def test_multiplier_is_a_positive_rational_symbol():
    alpha = sc.multiplier("alpha")
    assert alpha.is_rational and alpha.is_positive and alpha.is_integer is None
    assert sc.zoo.mobilenet_v2(alpha="alpha").free_symbols >= {alpha}
    with pytest.raises(sc.SymcnnError, match="name"):
        sc.multiplier("2x")


def _torchvision_make_divisible(v: Fraction, d: int) -> Fraction:
    """torchvision's rule, in exact arithmetic."""
    n = max(d, int(v + Fraction(d, 2)) // d * d)
    return n + d if n < Fraction(9, 10) * v else n


@given(st.fractions(min_value=Fraction(1, 60), max_value=200, max_denominator=60),
       st.integers(1, 16))
def test_make_divisible_equals_the_rule_and_its_floor_form_past_5d(v, d):
    value = make_divisible(sympy.Rational(v.numerator, v.denominator), d)
    assert value == _torchvision_make_divisible(v, d)
    a = sc.multiplier("a")
    form, requirement = make_divisible(a, d).eventual_form()
    if v >= 5 * d:
        assert form.subs(a, sympy.Rational(v.numerator, v.denominator)) == value


@settings(max_examples=20)
@given(st.lists(st.tuples(st.integers(1, 400), st.integers(1, 5)), min_size=1, max_size=3),
       st.integers(1, 20), st.integers(1, 400_000))
def test_solve_on_a_grid_equals_brute_force(terms, denominator, budget):
    alpha = sc.multiplier("alpha")
    expr = sum(c * make_divisible(w * alpha, 8) ** 2 for w, c in terms) + sympy.Max(1, alpha)
    step = Fraction(1, denominator)
    values = [expr.subs(alpha, sympy.Rational(k, denominator)) for k in range(1, 121)]
    assume(values[-1] > budget)  # the brute force reaches past the answer
    inside = [k for k, v in enumerate(values, start=1) if v <= budget]
    try:
        found = sc.solve_budget(expr, budget, alpha, step=step)
    except sc.SolveError:
        assert inside and inside != list(range(1, max(inside) + 1))
        return
    if not inside:
        assert found is None
    else:
        assert inside == list(range(1, max(inside) + 1))
        assert found == sympy.Rational(max(inside), denominator)


def test_efficientnet_coefficients_as_multipliers_equal_the_numeric_builds():
    w, d = sc.multiplier("w"), sc.multiplier("d")
    model = sc.zoo.efficientnet_b0(width_coefficient=w, depth_coefficient=d, include_top=False)
    for name in ("b0", "b2", "b4"):
        wc, dc = sc.zoo.EFFICIENTNET_COEFFICIENTS[name]
        numeric = sc.zoo.efficientnet_b0(width_coefficient=Fraction(str(wc)),
                                         depth_coefficient=Fraction(str(dc)), include_top=False)
        assert model.subs(w=str(wc), d=str(dc)).trainable_params == numeric.trainable_params


def test_a_grid_too_fine_to_settle_soon_is_refused_quickly():
    """Below the point where make_divisible settles, the grid values are evaluated one by
    one: with step=1e-7 that was 12.5 million of them (killed after 20 s)."""
    alpha = sc.multiplier("alpha")
    expr = 100 * make_divisible(32 * alpha, 8)
    with pytest.raises(sc.SolveError, match=r"12,500,000 grid values below.*at most 5,000.*"
                                            r"coarser step.*step=1/10000000"):
        sc.solve_budget(expr, 5000, alpha, step=1e-7)
    assert sc.solve_budget(expr, 5000, alpha, step=0.01) == sympy.Rational(81, 50)


def test_an_expression_outside_the_grid_language_is_refused_in_the_users_names():
    """The grid index is named in the message (n, or another name when the multiplier is
    called n), never SymPy's internal ``_k``."""
    alpha = sc.multiplier("alpha")
    with pytest.raises(sc.SolveError, match=r"on the grid alpha = 3\*n/20 \(n = 1, 2, \.\.\.\): "
                                            r"the power 1/n is not") as caught:
        sc.solve_budget(sympy.floor(10 / alpha) + alpha, 100, alpha, step=0.15)
    assert "_k" not in str(caught.value)
    n = sc.multiplier("n")
    with pytest.raises(sc.SolveError, match=r"on the grid n = k/20 \(k = 1, .*the power 1/k is"):
        sc.solve_budget(sympy.floor(10 / n) + n, 100, n, step=0.05)


def test_a_decimal_multiplier_is_the_decimal_it_shows_in_subs_as_in_the_zoo():
    from decimal import Decimal

    import symcnn as sc

    template = sc.zoo.mobilenet_v2(alpha="alpha")
    for value in ("0.35", "0.75", "1.4"):
        assert template.subs(alpha=Decimal(value)).params == \
            sc.zoo.mobilenet_v2(alpha=Decimal(value)).params == \
            sc.zoo.mobilenet_v2(alpha=value).params
    for bad in ("NaN", "Infinity", "-0.5", "0"):
        with pytest.raises(sc.LayerArgumentError, match=r"`alpha` must be a positive number"):
            template.subs(alpha=Decimal(bad))
