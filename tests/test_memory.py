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


def test_peak_memory_takes_the_dtype_size():
    model = sc.Sequential([sc.Input((10,)), sc.Dense(20)])
    assert [model.peak_activation_memory(d) for d in ("float32", "float16", "int8")] == \
        [120, 60, 30]
    with pytest.raises(sc.CostError, match="Received: dtype='float7'"):
        model.peak_activation_memory("float7")
