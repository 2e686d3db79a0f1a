"""Fast paths of issue 16 against the general paths they skip: ``symcnn.ordering`` (Max
and Min built and printed with each sort key computed once) against SymPy's own
construction and printers, ``structural.values_at`` against ``xreplace``, and the peak
memory's probes (which read values off the tree) against substitution."""

import itertools
from fractions import Fraction

import sympy
from hypothesis import given, strategies as st
from sympy import ceiling
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.str import StrPrinter

import symcnn as sc
from symcnn import memory, ordering, signs
from symcnn.render.exprs import display_form
from symcnn.render.html import MathML
from symcnn.render.printers import latex_printer, text_printer
from symcnn.exact_values import values_at
from tests.test_structural import SYMBOLS, sizes

H, W, n = SYMBOLS
deep = [ceiling(H / 2**k) for k in (3, 64, 125)]  # 1/2**k hash alike: period 61 in k
args = st.lists(st.one_of(sizes, st.sampled_from(deep)), min_size=0, max_size=6)


def _number(v):
    return int(v) if v.is_Integer else Fraction(int(v.p), int(v.q))


@given(args, st.sampled_from([sympy.Max, sympy.Min]))
def test_lattice_builds_what_sympy_builds_unevaluated(items, cls):
    ordering._CACHE.clear()
    expected = cls(*items, evaluate=False)
    got = ordering.lattice(cls, items)
    assert got == expected and type(got) is type(expected)
    if isinstance(expected, cls):
        assert got.args == expected.args and got._argset == expected._argset
        assert ordering.printed_args(got) == tuple(sorted(expected.args,
                                                          key=sympy.default_sort_key))


class _SympysText(type(text_printer())):  # symcnn's printer with SymPy's Max and Min
    _print_LatticeOp = StrPrinter._print_LatticeOp


class _SympysLatex(type(latex_printer())):
    _print_Max = LatexPrinter._print_Max
    _print_Min = LatexPrinter._print_Min


class _SympysMathML(MathML):
    _print_Max = MathMLPresentationPrinter._print_Max
    _print_Min = MathMLPresentationPrinter._print_Min


@given(args, st.sampled_from([sympy.Max, sympy.Min]))
def test_printers_write_a_lattice_as_sympys_printers_do(items, cls):
    ordering._CACHE.clear()
    expr = 3 * cls(*items, evaluate=False) + n
    settings = {"order": "none"}
    assert text_printer().doprint(expr) == _SympysText(settings).doprint(expr)
    for e in (expr, expr**2):
        assert latex_printer().doprint(e) == _SympysLatex(settings).doprint(e)
        assert MathML().doprint(e) == _SympysMathML().doprint(e)


def test_sort_keys_are_kept_by_identity_and_by_value():
    ordering._CACHE.clear()
    a, b = H * W + 1, sympy.Add(1, H * W, evaluate=False)  # equal, distinct objects
    assert a == b and a is not b
    assert ordering.sort_key(a) is ordering.sort_key(b) == sympy.default_sort_key(a)
    assert {id(a), id(b)} <= set(ordering._CACHE)


POINTS = [dict(zip(SYMBOLS, v)) for v in itertools.product((0, 1, 2, 7, 10**6), repeat=3)]


@given(st.one_of(sizes, st.sampled_from(deep),
                 st.builds(lambda e, k: e**k, sizes, st.integers(-2, 3))))
def test_values_at_are_the_values_xreplace_gives(expr):
    got = values_at(expr, POINTS)
    exact = [expr.xreplace({s: sympy.Integer(v) for s, v in p.items()}) for p in POINTS]
    if got is None:  # only for what it does not read: here a division by 0 somewhere
        assert not all(e.is_Rational for e in exact)
    else:
        assert all(e.is_Rational for e in exact) and list(got) == [_number(e) for e in exact]


def test_values_at_leaves_other_functions_to_the_general_path():
    assert values_at(sympy.Max(H, W) + 1, POINTS) is None
    assert values_at(H + 1, [{W: 1}]) is None  # a symbol without a value


@given(st.lists(sizes, min_size=1, max_size=5), st.integers(1, 4))
def test_the_peak_memory_probes_give_the_substituted_values(items, low):
    monomials = sorted({m for e in items for m in memory.terms(e)}, key=sympy.default_sort_key)
    lows = {s: low for s in SYMBOLS}
    probes = memory._Probes(list(SYMBOLS), lows, monomials)
    for i, m in enumerate(monomials):
        assert probes.monomial(i) == tuple(_number(m.xreplace(_integers(p)))
                                           for p in probes.points)
        for s in SYMBOLS:
            point = _integers({**lows, s: 10**7})
            assert probes.raised({i: 3}, s, 10**7) == 3 * _number(m.xreplace(point))


def _integers(point):
    return {s: sympy.Integer(v) for s, v in point.items()}


def _strided(h, w):
    x = inputs = sc.Input((h, w, 3))
    for i in range(1, 141):  # sizes ceiling(H/2**k) up to k = 70: two hash groups meet
        x = sc.Conv2D(4 + i % 3, 3, strides=2 if i % 2 == 0 else 1, padding="same")(x)
    return sc.Model(inputs, x)


def test_a_deep_strided_peak_is_the_peak_of_the_model_built_on_numbers():
    peak = _strided(H, W).peak_activation_memory()
    assert sympy.expand(sc.parse_expression(sc.show(peak), declare=True) - peak) == 0
    for h, w in [(1, 1), (1, 9), (3, 2), (37, 64)]:
        assert peak.xreplace({H: h, W: w}) == _strided(h, w).peak_activation_memory()


def test_the_display_of_a_wide_max_is_sympys_text_of_its_display_form():
    x = inputs = sc.Input((H, W, 3))
    for i in range(1, 30):
        x = sc.Conv2D(sc.symbols(f"n_{i}"), 3, padding="same", use_bias=False)(x)
        x = sc.ReLU()(sc.BatchNormalization()(x))
    peak = sc.Model(inputs, x).peak_activation_memory()
    text = sc.show(peak)
    assert text.startswith("4*Max(") and text.count("n_") > 29
    assert text == _SympysText({"order": "none"}).doprint(display_form(peak))
    assert sympy.expand(sc.parse_expression(text, declare=True) - peak) == 0


# ------------------------------------------------- signs: affine arguments read as Fractions

affine = st.builds(lambda a, b, c, k, d: (a * H + b * W + c * n + k) / d,
                   st.integers(-2, 3), st.integers(-1, 2), st.integers(0, 1),
                   st.integers(-4, 4), st.sampled_from([1, 2, 3, 8, 2**64, 2**125]))
factor = st.one_of(st.sampled_from(SYMBOLS + (sympy.Symbol("x", positive=True),)),
                   st.builds(ceiling, affine), st.builds(sympy.floor, affine))
lowers = st.dictionaries(st.sampled_from(SYMBOLS),
                         st.one_of(st.integers(0, 4), st.integers(0, 4).map(sympy.Integer)))


@given(factor, factor, lowers)
def test_factor_orderings_read_as_fractions_are_the_general_answers(a, b, lower):
    fast = signs._factor_at_least(a, b, lower)
    signs._SHORTCUTS = False
    try:
        assert fast == signs._factor_at_least(a, b, lower)
    finally:
        signs._SHORTCUTS = True


@given(st.builds(ceiling, affine), st.one_of(st.builds(ceiling, affine),
                                             st.builds(sympy.floor, affine)), lowers)
def test_rounding_orderings_read_as_fractions_are_the_general_answers(a, b, lower):
    test_factor_orderings_read_as_fractions_are_the_general_answers.hypothesis.inner_test(
        a, b, lower)


@given(affine)
def test_nonnegative_affine_arguments_read_as_fractions_are_the_general_answers(arg):
    fast = signs._nonnegative_linear(arg)
    signs._SHORTCUTS = False
    try:
        assert fast == signs._nonnegative_linear(arg)
    finally:
        signs._SHORTCUTS = True


# ------------------------------------------------------ totals: terms kept as the objects

monomial = st.builds(lambda c, a, b: c * a * b, st.integers(-3, 9),
                     st.sampled_from(SYMBOLS + (1, ceiling(H / 2), ceiling(H / 2**64))),
                     st.sampled_from(SYMBOLS + (1, W**2, sympy.floor((W + 1) / 3))))
expanded_sums = st.builds(lambda ts, k: sympy.Add(*ts) + k, st.lists(monomial, max_size=4),
                          st.integers(-5, 5))


@given(st.lists(st.one_of(expanded_sums, expanded_sums, expanded_sums, sizes), min_size=1,
                max_size=8))
def test_a_total_of_expanded_sums_is_the_very_sum_sympy_builds(values):
    from symcnn import structural
    many, structural.MANY_TERMS = structural.MANY_TERMS, 0  # the shortcut at any size (it is
    try:                                                     # for thousands of terms)
        fast = structural.total(values)
    finally:
        structural.MANY_TERMS = many
    structural._SHORTCUTS = False
    try:
        general = structural.total(values)
    finally:
        structural._SHORTCUTS = True
    assert fast == general and type(fast) is type(general) and fast.args == general.args
    assert str(fast) == str(general) and sc.show(fast) == sc.show(general)


class _SympysParentheses(type(text_printer())):  # symcnn's printer, SymPy's parenthesize
    parenthesize = StrPrinter.parenthesize


factors = st.one_of(sizes, st.sampled_from(deep))
products = st.builds(lambda c, e, f: sympy.Mul(c, e, f, evaluate=False),
                     st.sampled_from([-3, -2, -1, 1, 2, 3]), factors, factors)


@given(st.lists(st.one_of(sizes, products, st.sampled_from(deep)), min_size=1, max_size=4))
def test_the_text_printer_parenthesizes_as_sympy_does(parts):
    for expr in (sympy.Add(*parts, evaluate=False), sympy.Mul(*parts, evaluate=False),
                 ceiling(sympy.Add(*parts, evaluate=False)), display_form(sympy.Add(*parts))):
        assert text_printer().doprint(expr) == _SympysParentheses({"order": "none"}).doprint(expr)
