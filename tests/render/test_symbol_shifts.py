"""A rounding with a kernel symbol reads as the formula does, and still reads back exactly.

The stored form keeps a symbol's coefficient inside a rounding between 0 and the
denominator (``floor((3*K + H + 2)/4) - K - 1``); the display moves the rounding by a multiple
of the symbol so that the terms outside cancel: ``floor((H - K + 2)/4) - 1``
(``floor(x + m*K) == floor(x) + m*K`` for integers ``m, K``). Products of such sizes (a
Flatten, a Dense layer's parameters) then factor as the sizes with constants do, and nested
roundings with a symbolic stride are over one denominator at every level.

Every text is checked against the stored expression: parsed back by symcnn (which rebuilds
the stored form) and, read by SymPy's own ``sympify``, evaluated over many integer values
beside the stored expression and a brute-force count of window positions.
"""

from __future__ import annotations

import random
import re

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.arith import ceil_div, floor_div
from symcnn.errors import SymcnnError
from symcnn.expr_parser import parse_expression
from symcnn.render.exprs import canonical_text, display_form, show, show_latex

H, W, X, K, K_1, K_2, S, P, w, n = sc.symbols("H W X K K_1 K_2 S P w n")
NAMES = {str(x): x for x in (H, W, X, K, K_1, K_2, S, P, w, n)}
RANGES = {H: (1, 120), W: (1, 120), X: (1, 120), K: (1, 7), K_1: (1, 7), K_2: (1, 7),
          S: (1, 4), P: (1, 3), w: (1, 5), n: (1, 5)}


def points(seed: int, count: int = 40) -> list:
    rng = random.Random(seed)
    return [{s: rng.randint(*RANGES[s]) for s in RANGES} for _ in range(count)]


def assert_exact(expr, seed: int = 0) -> str:
    """``show(expr)``, checked: symcnn's parser gives back the stored expression, and SymPy's
    reading of the text has the stored value at many integer points."""
    text = show(expr)
    assert sympy.expand(parse_expression(text, NAMES) - expr) == 0, (expr, text)
    read = sympy.sympify(text, locals=NAMES)
    for values in points(seed):
        assert read.xreplace(values) == expr.xreplace(values), (expr, text, values)
    assert sympy.expand(display_form(expr) - expr).xreplace(points(seed, 1)[0]) == 0
    return text


def count(symbol, text: str) -> int:
    return len(re.findall(rf"\b{symbol}\b", text))


# ------------------------------------------------------------------ the models of the review

def review_model():
    return sc.Sequential([sc.Input((X, 64, 4)), sc.Conv2D(4, K_2), sc.MaxPooling2D(3, strides=2),
                          sc.Conv2D(w, (3, 5), strides=(2, 3)), sc.Flatten(), sc.Dense(n)])


def test_a_size_less_a_kernel_symbol_reads_as_one_rounding_of_the_difference():
    model = review_model()
    pooled, conv = model.layers[1], model.layers[2]
    assert str(conv.output_shape[0]) == "-K_2 + floor(3*K_2/4 + X/4 + 1/2) - 1"  # stored
    assert assert_exact(pooled.output_shape[0]) == "floor((X - K_2)/2)"
    assert assert_exact(conv.output_shape[0]) == "floor((X - K_2 + 2)/4) - 1"
    assert assert_exact(conv.output_shape[1]) == "floor(-K_2/6) + 10"


def test_a_negative_numerator_is_a_minus_sign_before_the_fraction_in_latex():
    width = review_model().layers[2].output_shape[1]
    assert show_latex(width) == r"\left\lfloor{- \frac{K_{2}}{6}}\right\rfloor + 10"
    assert show_latex(sympy.floor(-3 * H / 4)) == r"\left\lfloor{- \frac{3 H}{4}}\right\rfloor"
    assert r"\left(-1\right)" not in review_model().to_latex()


def test_the_flatten_size_and_dense_params_are_products_of_the_sizes():
    model = review_model()
    flat = model.layers[3].output_shape[0]
    assert assert_exact(flat) == "w*(floor(-K_2/6) + 10)*(floor((X - K_2 + 2)/4) - 1)"
    assert assert_exact(model.layers[4].params) == \
        "n*w*(floor(-K_2/6) + 10)*(floor((X - K_2 + 2)/4) - 1) + n"
    assert "Total params: n*w*(floor(-K_2/6) + 10)*(floor((X - K_2 + 2)/4) - 1) + 16*K_2**2 " \
           "+ n + 61*w + 4" in model.summary_text(line_length=120)


def test_a_strided_symbolic_kernel_reads_h_minus_k_over_four():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, K, strides=2),
                           sc.MaxPooling2D(3, strides=2), sc.Conv2D(8, 3), sc.Flatten(),
                           sc.Dense(10)])
    assert assert_exact(model.layers[2].output_shape[0]) == "floor((H - K)/4) - 2"
    assert assert_exact(model.layers[3].output_shape[0]) == \
        "8*(floor((H - K)/4) - 2)*(floor((W - K)/4) - 2)"
    assert assert_exact(model.params) == \
        "24*K**2 + 80*(floor((H - K)/4) - 2)*(floor((W - K)/4) - 2) + 602"


def long_model():
    return sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, K_1, strides=S, padding=P),
                          sc.Conv2D(4, K_2), sc.MaxPooling2D(3, strides=2),
                          sc.Conv2D(w, (3, 5), strides=(2, 3)), sc.Flatten(), sc.Dense(n)])


def test_nested_roundings_over_a_symbolic_stride_are_one_fraction_at_every_level():
    model = long_model()
    inner = "floor((H - K_1 + 2*P)/S)"
    assert assert_exact(model.layers[2].output_shape[0]) == f"floor(({inner} - K_2 + 1)/2)"
    last = assert_exact(model.layers[3].output_shape[0])
    assert last == f"floor((floor(({inner} - K_2 + 1)/2) + 1)/2) - 1"
    flat = assert_exact(model.layers[4].output_shape[0])
    assert flat.startswith(f"w*(floor((floor(({inner} - K_2 + 1)/2) + 1)/2) - 1)*(")
    assert count("K_2", flat) == 2, flat  # once in each size
    for text in (last, flat, show(model.params)):
        assert "/2 +" not in text and "K_2/2" not in text, text  # never floor(K_2/2 + ...)


def test_the_stored_text_keeps_the_stored_rounding():
    """``canonical_text`` (JSON) writes the stored form, each rounding over one denominator:
    no move, not even of an inner rounding (which would put ``3*K_2`` inside it)."""
    size = long_model().layers[3].output_shape[0]
    text = canonical_text(size)
    assert text == "-K_2 + floor((K_2 + floor((K_2 + floor((H - K_1 + 2*P)/S) + 1)/2) + 1)/2) - 1"
    assert sympy.expand(parse_expression(text, NAMES) - size) == 0


def test_a_move_that_only_puts_the_symbol_inside_is_not_taken():
    """``K + floor((K + A + 1)/2)`` is ``floor((3*K + A + 1)/2)``: one term fewer, and the
    symbol no lighter (a coefficient 1 outside and 1/2 inside against 3/2 inside)."""
    A = sympy.floor(H / S)
    assert assert_exact(K + floor_div(K + A + 1, 2)) == "K + floor((K + floor(H/S) + 1)/2)"
    assert assert_exact(floor_div(H + 5 * K, 4) - 1) == "K + floor((H + K)/4) - 1"


# ------------------------------------------------------------------ properties

roundings = st.sampled_from([floor_div, ceil_div])


@st.composite
def sizes(draw, x, k):
    """A rounding of ``x - c*k + b`` over ``d`` (``c`` no multiple of ``d``) plus ``e``."""
    d = draw(st.integers(2, 6))
    c = draw(st.integers(1, 13).filter(lambda c: c % d))
    rounding = draw(roundings)
    return rounding(x - c * k + draw(st.integers(-6, 6)), d) + draw(st.integers(-9, 9))


@settings(max_examples=150, deadline=None)
@given(size=sizes(H, K), seed=st.integers(0, 10**6))
def test_a_rounding_of_a_size_less_a_symbol_names_the_symbol_once(size, seed):
    text = assert_exact(size, seed)
    assert count("K", text) == 1, (size, text)


@settings(max_examples=100, deadline=None)
@given(a=sizes(H, K), b=sizes(W, K_2), coeff=st.integers(1, 30), extra=st.integers(-50, 50),
       seed=st.integers(0, 10**6))
def test_a_product_of_two_such_sizes_names_each_symbol_once(a, b, coeff, extra, seed):
    expr = sympy.expand(coeff * w * a * b + extra)
    text = assert_exact(expr, seed)
    assert count("K", text) == 1 and count("K_2", text) == 1, (expr, text)


def _window(n, k, s, before, after):
    """Brute force: how many windows of ``k`` fit, stepping ``s``, in ``n`` padded."""
    return len(range(0, n + before + after - k + 1, s))


kernels = st.sampled_from([K, K_2, 1, 2, 3])
strides = st.sampled_from([1, 2, 3, S])
convolutions = st.tuples(st.just("conv"), kernels, strides,
                         st.sampled_from(["valid", "same", P]))
poolings = st.tuples(st.just("pool"), st.sampled_from([2, 3, K]), strides, st.just("valid"))


def _build(specs):
    layers = [sc.Input((H, W, 2))]
    for kind, k, s, p in specs:
        layers.append(sc.Conv2D(2, k, strides=s, padding=p) if kind == "conv"
                      else sc.MaxPooling2D(k, strides=s))
    return sc.Sequential(layers + [sc.Flatten(), sc.Dense(n)])


def _brute(specs, values):
    """Each layer's height, width and parameters by counting window positions; None when a
    size is not positive (an input the model does not accept)."""
    def v(x):
        return values.get(x, x) if isinstance(x, sympy.Symbol) else x

    h, wd, rows = values[H], values[W], []
    for kind, k, s, p in specs:
        k, s = v(k), v(s)
        if p == "same":
            h, wd = len(range(0, h, s)), len(range(0, wd, s))
        else:
            pad = 0 if p == "valid" else v(p)
            h, wd = _window(h, k, s, pad, pad), _window(wd, k, s, pad, pad)
        if h < 1 or wd < 1:
            return None
        rows.append((h, wd, 2 * k * k * 2 + 2 if kind == "conv" else 0))
    flat = h * wd * 2
    return rows, flat, flat * values[n] + values[n]


@settings(max_examples=30, deadline=None)
@given(specs=st.lists(st.one_of(convolutions, poolings), min_size=1, max_size=4),
       seed=st.integers(0, 10**6))
def test_every_shown_size_of_a_symbolic_chain_counts_the_windows(specs, seed):
    """Convolutions and poolings with symbolic kernels, strides and paddings: every row's
    shown height, width and parameters, the Flatten size and the Dense parameters read back
    exactly, and at integer values they are the brute-force counts."""
    try:
        model = _build(specs)
    except SymcnnError:
        assume(False)
    texts = []
    for layer in model.layers[:len(specs)]:
        texts.append([assert_exact(e, seed) for e in (*layer.output_shape[:2], layer.params)])
    flat = assert_exact(model.layers[-2].output_shape[0], seed)
    params = assert_exact(model.params, seed)
    checked = 0
    for values in points(seed, 60):
        brute = _brute(specs, values)
        if brute is None:
            continue
        rows, size, dense = brute
        for shown, row in zip(texts, rows):
            assert [sympy.sympify(t, locals=NAMES).xreplace(values) for t in shown] == \
                list(row), (specs, shown, values)
        assert sympy.sympify(flat, locals=NAMES).xreplace(values) == size
        total = sum(r[2] for r in rows) + dense
        assert sympy.sympify(params, locals=NAMES).xreplace(values) == total, (specs, params)
        checked += 1
    assume(checked)


@pytest.mark.parametrize("rounding", [floor_div, ceil_div])
def test_a_ceiling_moves_like_a_floor(rounding):
    expr = rounding(H - K, 3) + 2
    func = "floor" if rounding is floor_div else "ceiling"
    assert assert_exact(expr) == f"{func}((H - K)/3) + 2"


def test_a_rounding_is_not_shown_as_the_negation_of_a_rounding_of_a_negation():
    """Moving ``H`` into ``H - floor(H/2)`` would show ``-floor(-H/2)``: the stored form
    reads better and is kept."""
    H = sc.symbols("H")
    assert show(H - sympy.floor(H / 2)) == "H - floor(H/2)"
    assert show(2 * H - 2 * sympy.floor(H / 2) + 3) == "2*H - 2*floor(H/2) + 3"
