"""The display rule for large powers (issue 16): inside a closed form, an integer of more
than six digits that is a power of a base from 2 to 10 is written as that power (``2**20``,
LaTeX ``2^{20}``, MathML ``<msup>``), so a deep strided model's text grows with its depth and
not with the digits of ``2**k``. The text still reads back exactly through the safe parser;
stored closed forms and integers on their own (counts) are unchanged."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import arith
from symcnn.errors import ExpressionError
from symcnn.expr_parser import MAX_BITS, parse_expression
from symcnn.render.exprs import integer_power, show, show_latex

H, W, w = sc.symbols("H W w")
NAMES = {"H": H, "W": W, "w": w}


def reads_back(expr) -> bool:
    return sympy.expand(parse_expression(show(expr), NAMES) - expr) == 0


def strided(depth: int):
    """Conv-BN-ReLU blocks of width 16, stride 2 in every convolution: sizes ceiling(H/2**k)."""
    x = inputs = sc.Input((H, W, 3))
    for _ in range(depth):
        x = sc.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(x)
        x = sc.ReLU()(sc.BatchNormalization()(x))
    return sc.Model(inputs, x, name=f"strided_{depth}")


def test_a_rounding_over_a_large_power_of_two_shows_the_power():
    assert show(sympy.ceiling(H / 2**20)) == "ceiling(H/2**20)"
    assert show(sympy.floor((H + 2**39) / 2**40)) == "floor((H + 2**39)/2**40)"
    assert show_latex(sympy.ceiling(H / 2**40)) == r"\left\lceil{\frac{H}{2^{40}}}\right\rceil"


def test_small_integers_and_non_powers_stay_decimal():
    assert show(sympy.ceiling(H / 1024)) == "ceiling(H/1024)"
    assert show(sympy.ceiling(H / 2**19)) == "ceiling(H/524288)"  # six digits
    assert show(3 * 2**20 * w) == "3145728*w"  # a multiple of a power is no power
    assert show(1000001 * H) == "1000001*H"


def test_other_bases_use_the_smallest_base():
    assert show(sympy.floor(H / 10**9)) == "floor(H/10**9)"
    assert show(sympy.ceiling(H / 4**10)) == "ceiling(H/2**20)"
    assert show(sympy.floor(H / 9**7)) == "floor(H/3**14)"
    assert integer_power(-(2**20)) == (2, 20)
    assert show(sympy.floor((H - 2**30) / 2**31)) == "floor((H - 2**30)/2**31)"


def test_coefficients_outside_roundings_stay_decimal_as_their_neighbours_in_a_table():
    """ResNet-50's MACs column: ``2097152*ceiling(H/32)*...`` beside ``2359296*...``."""
    assert show(2**21 * sympy.ceiling(H / 32) * sympy.ceiling(W / 32)) == \
        "2097152*ceiling(H/32)*ceiling(W/32)"
    assert show(10**9 * w + 1) == "1000000000*w + 1" and show(H - 2**30) == "H - 1073741824"
    assert show_latex(2**20 * sympy.ceiling(H / 2**20)) == \
        r"1048576 \left\lceil{\frac{H}{2^{20}}}\right\rceil"
    table = sc.zoo.resnet50((H, W, 3)).summary_text(columns=["layer", "macs"])
    assert "2,097,152" in table or "2097152" in table
    assert "2**21" not in table and "2**20" not in table


def test_an_integer_on_its_own_is_a_count_and_stays_decimal():
    assert show(2**20) == "1048576" and show_latex(2**20) == "1048576"
    assert sc.render.summary.format_count(sympy.Integer(2**20)) == "1,048,576"
    model = sc.Sequential([sc.Input((1024,)), sc.Dense(1024, use_bias=False)])
    assert model.params == 2**20
    assert "1,048,576" in model.summary_text() and "2**20" not in model.summary_text()
    assert "1{,}048{,}576" in model.to_latex()


def test_stored_closed_forms_are_unchanged():
    model = strided(24)
    size = model.output_shape[0]
    assert size == sympy.ceiling(H / 2**24) and "16777216" in str(size)
    assert "2**24" in show(size) and sc.render.exprs.canonical_text(size) == str(size)


def test_a_deep_strided_model_prints_powers_in_every_format():
    model = strided(40)
    assert "ceiling(H/2**40)" in model.summary_text()
    assert "ceiling(H/2**40)" in model.to_markdown()
    assert r"\frac{H}{2^{40}}" in model.to_latex()
    assert "<msup><mn>2</mn><mn>40</mn></msup>" in model.to_html()
    assert "1099511627776" not in model.summary_text() + model.to_markdown() + model.to_latex()


def test_the_parser_reads_powers_of_an_integer_base_up_to_its_bit_bound():
    assert parse_expression("2**500") == 2**500
    assert parse_expression("ceiling(H/2**500)", NAMES) == sympy.ceiling(H / 2**500)
    assert integer_power(2**2048) == (2, 2048) and integer_power(2**2049) is None
    assert show(sympy.ceiling(H / 2**2049)) == f"ceiling(H/{2**2049})"  # beyond: decimal
    for hostile in ("2**4096", "2**(2**4000)", "3**10**10", "H**65", "(1/2)**65", "1**65",
                    "(-2)**65", "0**65"):
        try:
            parse_expression(hostile, NAMES)
        except ExpressionError:
            continue
        raise AssertionError(f"{hostile} was read: the bounds must refuse it")
    assert 2 * 2048 <= MAX_BITS


@st.composite
def powered_forms(draw):
    base = draw(st.sampled_from([2, 3, 5, 6, 7, 10]))
    k = draw(st.integers(1, 2000 if base == 2 else 120))
    q = base**k
    c = draw(st.integers(-3 * q, 3 * q))
    sym = draw(st.sampled_from([H, W]))
    rounding = draw(st.sampled_from([arith.floor_div, arith.ceil_div]))(sym + c, q)
    coeff = draw(st.sampled_from([1, 16, base**draw(st.integers(0, 40)), -(2**30)]))
    return sympy.expand(coeff * rounding * draw(st.sampled_from([1, w, H])) + draw(
        st.sampled_from([0, 7, 2**25, -(10**8)])))


@settings(max_examples=120)
@given(powered_forms())
def test_every_display_with_powers_reads_back_exactly(expr):
    assert reads_back(expr), (expr, show(expr))


def _smallest_power(n: int) -> tuple:
    """``(b, j)`` with ``b**j == n`` for the smallest base ``b`` in 2..10, by multiplying."""
    for b in range(2, 11):
        p, j = b, 1
        while p < n:
            p, j = p * b, j + 1
        if p == n:
            return b, j
    raise AssertionError(n)


@settings(max_examples=60)
@given(st.integers(2, 10), st.integers(1, 300))
def test_integer_power_is_the_smallest_base_the_parser_reads_back(base, k):
    n = base**k
    power = integer_power(n)
    if len(str(n)) <= 6:
        assert power is None
        return
    b, j = _smallest_power(n)
    if b.bit_length() * j <= MAX_BITS:  # the parser's bound on the bits of a power
        assert power == (b, j) and parse_expression(f"{b}**{j}") == n
    else:
        assert power is None


def test_a_rounding_over_a_symbolic_power_is_a_fraction_in_latex():
    import sympy
    from symcnn.render.exprs import show_latex

    H, L = sc.symbols("H L")
    # SymPy writes H*2**(-L) as "H 2^{- L}", which reads as a product
    assert show_latex(sympy.ceiling(H / 2**L)) == r"\left\lceil{\frac{H}{2^{L}}}\right\rceil"
    assert show_latex(sympy.floor((H + 3) / 2**(L + 1))) == \
        r"\left\lfloor{\frac{H + 3}{2^{L + 1}}}\right\rfloor"
    repeated = sc.Sequential([sc.Input((H, H, 16)),
                              sc.Repeat(sc.Conv2D(16, 3, strides=2, padding="same"), L)])
    assert r"\frac{H}{2^{L}}" in repeated.to_latex() and "2^{- L}" not in repeated.to_latex()
