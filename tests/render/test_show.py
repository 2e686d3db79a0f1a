"""The display form (``sc.show``): exact, factored over shared rounding atoms, one shape for
every rounding, ordered by degree; and the :class:`~symcnn.Shape` tuple that prints with it."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import arith
from symcnn.expr_parser import parse_expression
from symcnn.render import exprs
from symcnn.structural import ValueKey
from symcnn.substitution import conditions_after
from symcnn.render.exprs import display_form, show, show_latex

H, W, w, n = sc.symbols("H W w n")
NAMES = {"H": H, "W": W, "w": w, "n": n}


def issue_model():
    return sc.Sequential([
        sc.Input((H, W, 3)), sc.Conv2D(8 * w, 3), sc.MaxPooling2D(2),
        sc.Conv2D(16 * w, 3, strides=2), sc.MaxPooling2D(2), sc.Flatten(), sc.Dense(10),
    ], name="issue")


def reads_back(expr) -> bool:
    parsed = parse_expression(show(expr), NAMES)
    return sympy.expand(parsed - expr) == 0


def test_flatten_row_of_the_issue_model_is_factored_with_each_atom_once():
    model = issue_model()
    flatten = model.get_layer("flatten")
    assert show(flatten.output_shape[0]) == \
        "16*w*(floor((H + 4)/8) - 1)*(floor((W + 4)/8) - 1)"
    assert repr(flatten.output_shape) == \
        "(16*w*(floor((H + 4)/8) - 1)*(floor((W + 4)/8) - 1),)"


def test_summary_rows_and_totals_show_each_rounding_atom_once():
    text = issue_model().summary_text(line_length=250)  # one line per row
    rows = [line for line in text.splitlines()
            if line.startswith(("flatten", "dense", "Total params"))]
    assert len(rows) == 3
    for row in rows:
        assert row.count("floor((H + 4)/8)") == 1 and row.count("floor((W + 4)/8)") == 1, row
    assert "floor(H/8 + 1/2)" not in text


def test_no_printed_output_shows_a_distributed_atom():
    model = issue_model()
    outputs = [repr(model), repr(model.output_shape), model.summary_text(),
               model.to_markdown(), model.to_markdown(style="derivation"),
               model.to_latex(), model.to_latex(style="derivation")]
    outputs += [repr(r) for r in model.layers] + [str(r.derivation) for r in model.layers]
    for text in outputs:
        assert "H/8 + 1/2" not in text and "frac{H}{8} + \\frac{1}{2}" not in text, text


def test_stored_closed_forms_stay_canonical_sympy():
    model = issue_model()
    A, B = sympy.floor((H + 4) / 8), sympy.floor((W + 4) / 8)
    assert model.params == sympy.expand(1152 * w**2 + 160 * w * (A - 1) * (B - 1) + 240 * w + 10)
    assert model.params.is_Add and not isinstance(model.output_shape, str)
    assert sc.zoo.textbook.free_width().params == 160 * n + 48320


def test_polynomials_are_ordered_by_degree():
    assert show(16 * w + 1152 * w**2 + 7) == "1152*w**2 + 16*w + 7"
    assert show(H * W * 3 + H + 1) == "3*H*W + H + 1"


def test_shift_is_used_only_where_it_is_shorter():
    assert show(2 * sympy.floor(H / 2) + 4) == "2*floor(H/2) + 4"
    assert show(sympy.ceiling(H / 2) - 1) == "ceiling(H/2) - 1"


def test_a_shift_never_completes_a_square():
    h, v = sympy.floor(H / 2), sympy.floor(W / 2)
    assert show(6 * h**2 + 4344 * h + 1) == "6*floor(H/2)**2 + 4344*floor(H/2) + 1"
    # a square that is one: the shift uncovers it
    assert show(sympy.expand(9 * (h - 1)**2)) == "9*(floor(H/2) - 1)**2"
    assert show(sympy.expand(2 * (h - 1) * (v - 1) + 3)) == "2*(floor(H/2) - 1)*(floor(W/2) - 1) + 3"


def test_a_channel_count_is_shifted_only_when_the_sum_becomes_one_product():
    alpha = sc.multiplier("alpha")
    c, d = (sc.zoo.scaling.make_divisible(k * alpha, 8) for k in (32, 320))
    assert show(1000 * c + 1000) == "1000*(make_divisible(32*alpha, 8) + 1)"
    # 6*c*d + 318*c + 4*d... has a shift d + 53 that cancels two terms by coincidence
    total = 6 * c * d + 318 * c + d * c**2 + 53 * c**2 + 4 * d + 7
    assert "+ 53)" not in show(total) and reads_back_with(total, {"alpha": alpha})


def test_a_product_of_sizes_in_plain_symbols_is_shown_factored():
    # the MACs of a "valid" 3x3 convolution from 3 to w channels, and a Dense on its flatten
    assert show(sympy.expand(27 * w * (H - 2) * (W - 2))) == "27*w*(H - 2)*(W - 2)"
    assert show(sympy.expand(8 * n * (H - 4) * (W - 4) + n)) == "8*n*(H - 4)*(W - 4) + n"
    assert show(sympy.expand(3 * (H - 2) * (W - 2))) == "3*(H - 2)*(W - 2)"


def test_a_count_plus_a_constant_and_a_size_alone_are_not_shifted():
    assert show(160 * n + 48320) == "160*n + 48320"
    assert show(H - 2) == "H - 2"
    assert show(99 * H * W * w - 342 * H * w - 342 * W * w + 1260 * w) == (
        "99*H*W*w - 342*H*w - 342*W*w + 1260*w")  # two layers' MACs: no shift cancels


def test_a_valid_convolution_row_shows_its_macs_as_a_product_of_sizes():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(w, 3), sc.Conv2D(8, 3)])
    assert [show(r.macs) for r in model.layers] == ["27*w*(H - 2)*(W - 2)",
                                                   "72*w*(H - 4)*(W - 4)"]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 500), st.integers(1, 9), st.integers(1, 9))
def test_every_product_of_shifted_sizes_is_shown_as_that_product(c, a, b):
    expr = sympy.expand(c * w * (H - a) * (W - b))
    assert show(expr) == f"{c}*w*(H - {a})*(W - {b})"
    assert reads_back(expr)


def test_a_rounding_over_a_symbolic_denominator_is_one_fraction():
    k, s = sc.symbols("k s")
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, k, strides=s)])
    assert show(model.output_shape[0]) == "floor((H - k)/s) + 1"  # never floor(H/s - k/s)
    pooled = sc.Sequential([sc.Input((16, 16, 3)), sc.MaxPooling2D(k)]).output_shape[0]
    assert show(pooled) == "floor((16 - k)/k) + 1"  # never floor(-k/k + 16/k), nor -k + 16
    assert show_latex(model.output_shape[0]) == r"\left\lfloor{\frac{H - k}{s}}\right\rfloor + 1"


def test_a_rounding_over_a_power_or_a_product_keeps_its_denominator_below_the_line():
    L, k, s = sc.symbols("L k s")
    assert show(sympy.floor(H / 2**L)) == "floor(H/2**L)"
    assert show(sympy.ceiling((H - 1) / 2**(L + 1))) == "ceiling((H - 1)/2**(L + 1))"
    assert show(sympy.floor((H - k) / (k * s))) == "floor((H - k)/(k*s))"
    assert show_latex(sympy.ceiling((H - 1) / 2**(L + 1))) == (
        r"\left\lceil{\frac{H - 1}{2^{L + 1}}}\right\rceil")


@settings(max_examples=60, deadline=None)
@given(st.integers(-9, 9), st.integers(1, 5), st.sampled_from([sympy.floor, sympy.ceiling]))
def test_every_rounding_over_a_symbolic_stride_reads_back(c, k, rounding):
    s = sc.symbols("s")
    expr = rounding((H + c - k * s) / s) + 1
    assert reads_back_with(expr, {"H": H, "s": s}), show(expr)
    assert "/s" in show(expr) and show(expr).count("floor") + show(expr).count("ceiling") == 1


def reads_back_with(expr, names) -> bool:
    return sympy.expand(parse_expression(show(expr), names) - expr) == 0


def test_latex_uses_the_same_display_form():
    expr = sympy.floor(H / 8 + sympy.Rational(1, 2)) - 1
    assert show_latex(expr) == r"\left\lfloor{\frac{H + 4}{8}}\right\rfloor - 1"


def test_constraints_show_in_display_form():
    rel = W * sympy.floor(H / 8 + sympy.Rational(1, 2)) >= 2
    assert show(rel) == "W*floor((H + 4)/8) >= 2"


def test_shape_is_a_tuple_that_prints_like_torch_size():
    shape = issue_model().layers[3].output_shape
    assert isinstance(shape, tuple) and isinstance(shape, sc.Shape)
    assert shape == tuple(shape) and hash(shape) == hash(tuple(shape))
    assert repr(shape) == "(floor((H + 4)/8) - 1, floor((W + 4)/8) - 1, 16*w)"
    assert repr(sc.Sequential([sc.Input((1000,)), sc.Dense(10)]).output_shape) == "(10,)"


def test_model_output_shape_is_a_shape():
    model = issue_model()
    assert isinstance(model.output_shape, sc.Shape) and model.output_shape == (10,)


# ------------------------------------------------------------------ exact: parse back

def _rounding(draw):
    sym = draw(st.sampled_from([H, W]))
    d = draw(st.integers(1, 9))
    c = draw(st.integers(-6, 12))
    kind = draw(st.sampled_from([arith.floor_div, arith.ceil_div]))
    return kind(sym + c, d)


@st.composite
def closed_forms(draw):
    atoms = [_rounding(draw) for _ in range(draw(st.integers(0, 3)))]
    pool = atoms + [w, n, H]
    expr = sympy.Integer(draw(st.integers(-50, 50)))
    for _ in range(draw(st.integers(1, 4))):
        term = sympy.Integer(draw(st.integers(-300, 300)))
        for _ in range(draw(st.integers(0, 3))):
            factor = draw(st.sampled_from(pool))
            shift = draw(st.integers(-2, 2))
            term *= factor + shift
        expr += term
    return sympy.expand(expr)


@settings(max_examples=150)
@given(closed_forms())
def test_display_form_reads_back_to_the_stored_expression(expr):
    assert reads_back(expr), (expr, show(expr))
    assert sympy.expand(display_form(expr) - expr) == 0


@settings(max_examples=40)
@given(st.integers(1, 4), st.integers(1, 3), st.sampled_from(["valid", "same"]))
def test_every_size_of_a_random_model_reads_back(k, s, padding):
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4 * w, k + 1, padding=padding),
                           sc.MaxPooling2D(2), sc.Conv2D(8, k, strides=s, padding=padding),
                           sc.MaxPooling2D(2, padding=padding), sc.Flatten(), sc.Dense(n)])
    for record in model.layers:
        for size in record.output_shape:
            assert reads_back(size), show(size)
        assert reads_back(record.params), show(record.params)
    assert reads_back(model.params)


def test_a_where_block_names_recurring_roundings_once_and_stays_exact():
    from symcnn.render.where import where_block

    model = issue_model()
    text = model.summary_text(where=True)
    assert "where h_1 = floor((H + 4)/8) - 1" in text and "s_1 = floor((W + 4)/8) - 1" in text
    assert text.count("floor((H + 4)/8)") == 1  # named once, the rows use h_1
    names = where_block([model.params, model.layers[4].output_shape[0]],
                        taken={s.name for s in model.free_symbols})
    shown = names.show(model.params)
    table = {str(s): parse_expression(text_printer_text(node), NAMES) for s, node in names.items()}
    back = parse_expression(shown, {**NAMES, **{k: sympy.Symbol(k) for k in table}})
    assert sympy.expand(back.xreplace({sympy.Symbol(k): v for k, v in table.items()})
                        - model.params) == 0


def text_printer_text(node) -> str:
    from symcnn.render.exprs import text_printer

    return text_printer().doprint(node)


roundings = st.builds(
    lambda f, s, d, c: f(s / d + sympy.Rational(c, d)),
    st.sampled_from([sympy.floor, sympy.ceiling]), st.sampled_from([H, W]),
    st.sampled_from([2, 4, 8, 32]), st.integers(0, 7))
plain_sizes = st.builds(lambda s, a: s - a, st.sampled_from([H, W, n]), st.integers(0, 6))
terms = st.builds(lambda c, fs, k: sympy.expand(c * sympy.Mul(*fs) * w**k),
                  st.integers(-9000, 9000), st.lists(roundings | plain_sizes, max_size=3),
                  st.integers(0, 2))


@settings(max_examples=120, deadline=None)
@given(parts=st.lists(terms, min_size=1, max_size=5))
def test_the_shortcuts_of_the_display_form_change_no_text(parts):
    """A monomial is not expanded, and a sum whose terms share no atoms and admit no shift is
    not searched: both give exactly the text of the full search."""
    expr = sympy.Add(*parts)
    exprs._display_keyed.cache_clear(), exprs._show_keyed.cache_clear(), exprs._SHOWN.clear(), exprs._ATOMS_SHOWN.clear()
    fast = show(expr)
    exprs._SHORTCUTS = False
    try:
        exprs._display_keyed.cache_clear(), exprs._show_keyed.cache_clear(), exprs._SHOWN.clear(), exprs._ATOMS_SHOWN.clear()
        assert show(expr) == fast
    finally:
        exprs._SHORTCUTS = True
        exprs._display_keyed.cache_clear(), exprs._show_keyed.cache_clear(), exprs._SHOWN.clear(), exprs._ATOMS_SHOWN.clear()


def _clear_display_caches():
    exprs._display_keyed.cache_clear(), exprs._show_keyed.cache_clear()
    exprs._SHOWN.clear(), exprs._ATOMS_SHOWN.clear()


@settings(max_examples=120, deadline=None)
@given(coeff=st.integers(2, 10**12) | st.sampled_from([2**21, 10**9, 3 * 2**30]),
       factors=st.lists(roundings | st.sampled_from([H, W, w, 1 / H, sympy.sqrt(W), H + 1]),
                        min_size=1, max_size=4),
       power=st.integers(1, 3))
def test_a_monomial_shows_its_coefficient_before_the_text_of_the_rest(coeff, factors, power):
    """``c*m`` is shown as ``c`` then ``*`` then the text of ``m`` (kept per ``m``: a network's
    MACs share a few ``m``), exactly the full display's text."""
    expr = coeff * sympy.Mul(*factors) ** power
    _clear_display_caches()
    fast = show(expr)
    exprs._SHORTCUTS = False
    try:
        _clear_display_caches()
        assert show(expr) == fast
    finally:
        exprs._SHORTCUTS = True
        _clear_display_caches()


def test_display_caches_tell_apart_sizes_whose_sympy_hashes_collide():
    """``ceiling(H/2**k)`` and ``ceiling(H/2**(k + 61))`` hash alike in SymPy (integers hash
    modulo 2**61 - 1); the display caches key them apart and show each correctly."""
    a, b = sympy.ceiling(H / 2**3), sympy.ceiling(H / 2**64)
    assert hash(a) == hash(b) and a != b
    assert hash(ValueKey(a)) != hash(ValueKey(b))
    assert (show(a), show(b)) == ("ceiling(H/8)", "ceiling(H/2**64)")


def test_an_equation_reads_as_one_not_as_sympy_s_eq():
    """A model whose branches meet only where ``ceiling(H/2) = ceiling(H/4)`` (H is 1 or 2)
    says so in its summary and in the messages that name conditions; ``Eq(...)`` is SymPy's
    spelling, not a reader's."""
    x = sc.Input(("H", 1, 3))
    a = sc.Conv2D(4, 1, strides=2, padding="same")(x)
    b = sc.Conv2D(4, 1, strides=4, padding="same")(x)
    model = sc.Model(x, sc.Add()([a, b]))
    (condition,) = model.constraints
    assert isinstance(condition, sympy.Eq)
    assert show(condition) == f"{show(condition.lhs)} = {show(condition.rhs)}"
    assert show(sympy.Ne(H, 3)) == "H != 3" and show(H >= 8) == "H >= 8"
    assert "Constraints: ceiling(H/2) = ceiling(H/4)" in model.summary_text()
    assert "Eq(" not in model.summary_text()
    (h,) = condition.free_symbols
    with pytest.raises(sc.ShapeError, match=r"only where ceiling\(H/2\) = ceiling\(H/4\), "):
        conditions_after([condition], {h: 5}, "Model 'm' subs")
