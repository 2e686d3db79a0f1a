"""Specification of peak activation memory (inference, model.nodes order)."""

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc
from symcnn.memory import max_of

H, W = sc.symbols("H W")


@given(st.integers(1, 50), st.lists(st.integers(1, 50), min_size=1, max_size=8))
def test_the_peak_of_a_chain_is_its_largest_input_plus_output(first, widths):
    model = sc.Sequential([sc.Input((first,)), *[sc.Dense(u) for u in widths]])
    sizes = [first, *widths]
    assert model.peak_activation_elements == max(a + b for a, b in zip(sizes, sizes[1:]))


def test_a_skip_connection_keeps_its_tensor_alive_until_the_add():
    x = sc.Input((H, W, 8))
    y = sc.Conv2D(16, 3, padding="same")(x)
    y = sc.Conv2D(8, 3, padding="same")(y)
    model = sc.Model(x, sc.Add()([x, y]))
    # at the second convolution: x (kept for the Add), its 16-channel input and its output
    assert model.peak_activation_elements == (8 + 16 + 8) * H * W
    assert model.peak_activation_memory("float16") == 2 * 32 * H * W


def test_outputs_stay_alive_to_the_end():
    x = sc.Input((1,))
    a = sc.Dense(100)(x)
    b = sc.Dense(1)(a)
    c = sc.Dense(1)(b)
    model = sc.Model(x, [a, c])
    assert model.peak_activation_elements == 102  # a stays with b, then with b and c


def test_a_nested_model_runs_inline():
    inner_x = sc.Input((H, 4))
    inner = sc.Model(inner_x, sc.Dense(4)(sc.Dense(32)(inner_x)))
    outer = sc.Sequential([sc.Input((H, 4)), inner, sc.Dense(1)])
    assert outer.peak_activation_elements == 36 * H


@settings(max_examples=30)
@given(st.integers(12, 300), st.integers(12, 300))
def test_the_symbolic_peak_equals_the_peak_of_the_model_built_on_numbers(h, w):
    from symcnn.zoo import textbook

    closed = textbook.vgg_style(input_shape=("H", "W", 3)).peak_activation_elements
    numeric = textbook.vgg_style(input_shape=(h, w, 3)).peak_activation_elements
    assert closed.subs({H: h, W: w}) == numeric


def test_the_peak_keeps_only_candidates_that_cannot_be_ordered():
    assert max_of([2 * H, H + 1, 3 * H, sympy.Integer(7)]) == sympy.Max(7, 3 * H)
    assert max_of([2 * H, H + 1, 3 * H, sympy.Integer(7)], {H: 3}) == 3 * H
    assert max_of([64 * H * W + 64 * sympy.floor(H / 2) * sympy.floor(W / 2), 128 * H * W]) \
        == 128 * H * W


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 5)),
                min_size=1, max_size=6), st.integers(1, 60))
def test_max_of_equals_the_numeric_max_at_every_value(terms, h):
    candidates = [a * H + b * sympy.ceiling(H / d) for a, b, d in terms]
    expected = max(c.subs(H, h) for c in candidates)
    assert max_of(candidates).subs(H, h) == expected


A, B, C = sc.symbols("a b c")
_MONOMIALS = (sympy.Integer(1), A, B, C, A * B, H * sympy.ceiling(B / 2))


@settings(max_examples=150)
@given(st.lists(st.lists(st.tuples(st.sampled_from(range(len(_MONOMIALS))),
                                   st.integers(-3, 9)), min_size=1, max_size=3),
                min_size=1, max_size=7),
       st.lists(st.integers(1, 40), min_size=4, max_size=4))
def test_max_of_with_averaged_candidates_equals_the_numeric_max(rows, point):
    """Sums of one-term candidates (``a + b`` beside ``2*a`` and ``2*b``) are dropped only
    where they are never the largest: the Max equals the largest candidate at every point."""
    candidates = [sympy.Add(*(c * _MONOMIALS[m] for m, c in row)) for row in rows]
    candidates += [2 * A, 2 * B, 3 * A * B]  # one-term candidates that average others
    values = dict(zip((A, B, C, H), point))
    expected = max(c.xreplace(values) for c in candidates)
    assert max_of(candidates).xreplace(values) == expected


def test_a_layer_between_two_that_keep_their_width_adds_no_candidate():
    """conv-BN-ReLU with a width symbol per block: a convolution holds ``H*W*(n_i +
    n_(i+1))``, at most the average of its neighbours' ``2*H*W*n_i`` and ``2*H*W*n_(i+1)``,
    so the peak lists each block once (and the first convolution, whose input has 3
    channels)."""
    x = inputs = sc.Input((H, W, 3))
    for i in range(1, 6):
        x = sc.Conv2D(sc.symbols(f"n_{i}"), 3, padding="same", use_bias=False)(x)
        x = sc.ReLU()(sc.BatchNormalization()(x))
    peak = sc.Model(inputs, x).peak_activation_elements
    n = sc.symbols("n_1:6")
    assert peak == sympy.Max(H * W * n[0] + 3 * H * W, *(2 * H * W * v for v in n))


def test_peak_memory_takes_the_dtype_size():
    model = sc.Sequential([sc.Input((10,)), sc.Dense(20)])
    assert [model.peak_activation_memory(d) for d in ("float32", "float16", "int8")] == \
        [120, 60, 30]
    with pytest.raises(sc.CostError, match="Received: dtype='float7'"):
        model.peak_activation_memory("float7")


def _residual(width, expand):
    """A block that keeps its input alive to its end: x + conv(conv(x))."""
    def body(t):
        return sc.Add()([t, sc.Conv2D(width, 1)(sc.Conv2D(expand, 1)(t))])
    return body


@settings(max_examples=30, deadline=None)
@given(width=st.integers(1, 6), expand=st.integers(1, 24), skip=st.booleans(),
       inner_skip=st.booleans(), size=st.integers(1, 5))
def test_a_symbolic_repeat_count_gives_the_peak_of_every_written_out_count(
        width, expand, skip, inner_skip, size):
    """With a skip around the Repeat, the second repetition has the Repeat's input alive
    beside the first one's output: the symbolic peak was too low for every L >= 2."""
    def body(t):
        if inner_skip:
            return _residual(width, expand)(t)
        return sc.Conv2D(width, 1)(sc.Conv2D(expand, 1)(t))

    def model(times=None, written=None):
        x = sc.Input((size, size, width))
        if written is None:
            b = sc.Input((size, size, width))
            y = sc.Repeat(sc.Model(b, body(b)), times)(x)
        else:
            y = x
            for _ in range(written):
                y = body(y)
        return sc.Model(x, sc.Add()([x, y]) if skip else y)

    L = sc.symbols("L")
    symbolic = model(L).peak_activation_elements
    for count in range(1, 6):
        assert symbolic.subs(L, count) == model(written=count).peak_activation_elements
        assert model(count).peak_activation_elements == model(written=count).peak_activation_elements


def test_the_symbolic_peak_says_which_counts_have_the_larger_total():
    """Max(p1, Min(1, L - 1)*p2): p1 the peak of one repetition, p2 of two or more."""
    L = sc.symbols("L")

    def model(times):
        b, x = sc.Input((8, 8, 4)), sc.Input((8, 8, 4))
        y = sc.Repeat(sc.Model(b, _residual(4, 16)(b)), times)(x)
        return sc.Model(x, sc.Add()([x, y]))

    p1, p2 = model(1).peak_activation_elements, model(2).peak_activation_elements
    assert p1 < p2
    assert model(L).peak_activation_elements == sympy.Max(p1, p2 * sympy.Min(1, L - 1))
    assert model(L).peak_activation_memory("float16") == 2 * model(L).peak_activation_elements
