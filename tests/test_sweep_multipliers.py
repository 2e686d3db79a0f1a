"""sc.sweep and sc.plot take a multiplier's fractional values (0.5, Fraction(1, 2), "3/4"),
read exactly; an integer size still refuses them."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

import symcnn as sc


@pytest.fixture(scope="module")
def mnet():
    return sc.zoo.mobilenet_v2(alpha=sc.multiplier("alpha"), input_shape=(32, 32, 3))


def test_a_model_is_swept_at_fractional_multipliers_as_keras_counts(mnet):
    keras = pytest.importorskip("keras")
    got = sc.sweep(mnet, "params", alpha=[0.5, 0.75, 1])
    assert got.valid.tolist() == [True, True, True]
    for alpha, params in zip((0.5, 0.75, 1.0), got["params"].tolist()):
        net = keras.applications.MobileNetV2(alpha=alpha, weights=None,
                                             input_shape=(32, 32, 3))
        assert params == net.count_params() == mnet.subs(alpha=alpha).params
    # the same values however they are written, and fixed as a scalar
    same = sc.sweep(mnet, "params", alpha=[Fraction(1, 2), "3/4", np.float64(1.0)])
    assert same["params"].tolist() == got["params"].tolist()
    assert sc.sweep(mnet, "params", alpha=Fraction(1, 2))["params"] == got["params"][0]


def test_an_expression_of_a_multiplier_and_a_size():
    a, n = sc.multiplier("alpha"), sc.symbols("n")
    expr = 3 * a * n + sympy.ceiling(8 * a)
    got = sc.sweep(expr, alpha=[0.25, Fraction(1, 3)], n=[1, 2])
    for i, alpha in enumerate((Fraction(1, 4), Fraction(1, 3))):
        for j, size in enumerate((1, 2)):
            want = expr.subs({a: sympy.Rational(alpha.numerator, alpha.denominator), n: size})
            assert got[i][j] == want


def test_a_size_or_a_non_positive_value_is_refused():
    n, a = sc.symbols("n"), sc.multiplier("alpha")
    with pytest.raises(sc.SolveError, match=r"only a multiplier .* Received: n=\[0\.5, 1\]"):
        sc.sweep(160 * n, n=[0.5, 1])
    with pytest.raises(sc.SolveError, match=r"its values are positive, and -1/2 is not"):
        sc.sweep(2 * a, alpha=[-0.5, 1])
    with pytest.raises(sc.SolveError, match="must be an integer"):
        sc.sweep(160 * n, n="ten")


def test_plot_marks_the_largest_multiplier_on_the_plotted_grid(mnet):
    pytest.importorskip("matplotlib")
    values = [0.25, 0.5, 0.75, 1]
    budget = int(mnet.subs(alpha="0.5").params)  # alpha = 0.5 fits exactly; 0.75 does not
    fig = sc.plot(mnet, alpha=values, budget=budget)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0] == "mobilenet_v2 (alpha = 0.5)"
    line = fig.axes[0].get_lines()[0]
    assert line.get_xdata().tolist() == values
    assert line.get_ydata().tolist() == [float(mnet.subs(alpha=v).params) for v in values]


def test_too_many_fractional_values_are_refused_saying_they_are_a_multipliers():
    """Each fractional value is substituted on its own, so their number is limited; the
    message names the multiplier's fractions (it spoke of sums and exponents)."""
    from symcnn.sweep_bounds import MAX_SLOW_POINTS
    a = sc.multiplier("alpha")
    values = [Fraction(k, MAX_SLOW_POINTS) for k in range(1, MAX_SLOW_POINTS + 2)]
    with pytest.raises(sc.SolveError, match=r"once per value of alpha \(a multiplier's "
                                            r"fractional values\), which is limited to"):
        sc.sweep(sympy.ceiling(8 * a), alpha=values)
