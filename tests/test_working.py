"""Unevaluated working (symcnn.working): printed as written, evaluated by doit()."""

from __future__ import annotations

import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from symcnn.working import (Ceiling, Floor, Given, MaxOf, MinOf, Minus, Over, Plus, Times,
                            group_digits)

H, K, S, P = sympy.symbols("H_in K_h S_h P_h")


def test_sum_keeps_its_terms_in_the_order_written():
    expr = Plus(Given(32), Times(2, Given(0)), Minus(Given(3)))
    assert sympy.sstr(expr) == "32 + 2*0 - 3"
    assert sympy.latex(expr) == r"32 + 2 \cdot 0 - 3"
    assert expr.doit() == 29


def test_products_use_cdot_between_numbers_and_juxtaposition_for_symbols():
    assert sympy.latex(Times(2, P)) == "2 P_{h}"
    assert sympy.latex(Times(Given(3), Given(3), Given(64))) == r"3 \cdot 3 \cdot 64"
    assert sympy.latex(Times(sympy.Symbol("D_h"), Plus(K, Minus(1)))) == \
        r"D_{h} \left(K_{h} - 1\right)"


def test_floor_and_ceiling_print_with_left_right_delimiters():
    size = Plus(Floor(Over(Plus(H, Minus(K)), S)), 1)
    assert sympy.latex(size) == r"\left\lfloor \frac{H_{in} - K_{h}}{S_{h}} \right\rfloor + 1"
    assert sympy.latex(Ceiling(Over(H, S))) == r"\left\lceil \frac{H_{in}}{S_{h}} \right\rceil"


def test_a_substituted_closed_form_is_parenthesised_where_needed():
    n = sympy.Symbol("n", integer=True, positive=True)
    expr = Plus(Given(n - 1), Minus(Given(3)))
    assert sympy.sstr(expr) == "(n - 1) - 3"
    assert sympy.sstr(Over(Given(n / 2), Given(2))) == "(n/2)/2"
    assert sympy.sstr(Over(Given(sympy.floor(n / 2)), Given(2))) == "floor(n/2)/2"


def test_given_values_get_thousands_grouping_in_latex_only():
    n = sympy.Symbol("n")
    assert sympy.latex(Given(1580976)) == "1{,}580{,}976"
    assert sympy.latex(Given(4096 * n + 48320)) == "4{,}096 n + 48{,}320"
    assert sympy.sstr(Given(1580976)) == "1580976"
    assert group_digits(-1000, ",") == "-1,000"


def test_min_and_max_evaluate_like_sympy():
    assert MinOf(Given(3), Given(5)).doit() == 3 and MaxOf(Given(3), Given(5)).doit() == 5
    assert sympy.sstr(MaxOf(Plus(Given(3), Minus(Given(2))), 0)) == "max(3 - 2, 0)"


def test_substitution_goes_through_xreplace():
    formula = Plus(Floor(Over(Plus(H, Times(2, P), Minus(K)), S)), 1)
    working = formula.xreplace({H: Given(9), P: Given(0), K: Given(2), S: Given(3)})
    assert sympy.sstr(working) == "floor((9 + 2*0 - 2)/3) + 1"
    assert working.doit() == 3


@given(st.integers(1, 500), st.integers(0, 5), st.integers(1, 9), st.integers(1, 5))
def test_window_formula_evaluates_to_the_brute_force_count_of_window_positions(i, p, k, s):
    formula = Plus(Floor(Over(Plus(H, Times(2, P), Minus(K)), S)), 1)
    working = formula.xreplace({H: Given(i), P: Given(p), K: Given(k), S: Given(s)})
    assume(i + 2 * p >= k)  # otherwise the layer refuses the input
    assert working.doit() == len(range(0, i + 2 * p - k + 1, s))  # window start positions
