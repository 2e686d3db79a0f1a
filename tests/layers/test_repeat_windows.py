"""Receptive fields of a symbolic number of repetitions of a window layer: exact or refused.

``L`` windows read one window when every repetition pads the same way; ``same`` padding with
a stride above 1 pads by an amount that depends on the size each repetition receives, so
there the count must be substituted (it gave ``start=0`` where the layers written out start
at ``-3``).
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

L, H = sc.symbols("L H")

LAYERS = {
    "conv": lambda k, s, p, d: sc.Conv1D(2, k, strides=s, padding=p, dilation_rate=d),
    "max pool": lambda k, s, p, d: sc.MaxPooling1D(k, strides=s, padding=p),
    "average pool": lambda k, s, p, d: sc.AveragePooling1D(k, strides=s, padding=p),
}


def substituted(fields, times):
    return tuple(sc.receptive.AxisField(*(sympy.sympify(v).subs(L, times) if v is not None
                                          else None for v in (f.size, f.jump, f.start)))
                 for f in fields)


@settings(max_examples=150)
@given(layer=st.sampled_from(sorted(LAYERS)), kernel=st.integers(1, 5), stride=st.integers(1, 4),
       padding=st.sampled_from(["valid", "same"]), dilation=st.integers(1, 3),
       size=st.integers(1, 200), times=st.integers(1, 4))
def test_the_field_of_l_repetitions_is_that_of_the_layers_written_out_or_refused(
        layer, kernel, stride, padding, dilation, size, times):
    if layer != "conv" or stride > 1:
        dilation = 1  # pooling has no dilation; Keras refuses strides with dilation
    make = lambda: LAYERS[layer](kernel, stride, padding, dilation)  # noqa: E731
    try:
        written = sc.Sequential([sc.Input((size, 2))] + [make() for _ in range(times)])
    except sc.ShapeError:
        return
    expected = written.receptive_field
    numeric = sc.Sequential([sc.Input((size, 2)), sc.Repeat(make(), times)])
    assert numeric.receptive_field == expected
    try:
        symbolic = sc.Sequential([sc.Input((size, 2)), sc.Repeat(make(), L)])
    except sc.ShapeError:  # no closed form of the sizes
        return
    assert symbolic.subs(L=times).receptive_field == expected
    if symbolic.output_shape == (size, 2):  # the layer keeps this size: counted, not solved
        return
    try:
        fields = symbolic.receptive_field
    except sc.CostError as err:  # refused: only where the padding varies with the size
        assert padding == "same" and stride > 1
        assert "substitute the count" in str(err)
        return
    assert substituted(fields, times) == expected


def test_same_padding_with_a_stride_is_refused_for_a_symbolic_count():
    """Was AxisField(size=3**L, jump=3**L, start=0): at L = 2 the first window of the second
    pooling starts in its left padding, and the layers written out, ``subs(L=2)`` and Keras'
    gradients all start at -3."""
    model = sc.Sequential([sc.Input((84, 2)),
                           sc.Repeat(sc.MaxPooling1D(3, strides=3, padding="same"), L)])
    assert model.subs(L=2).receptive_field == (sc.receptive.AxisField(9, 9, -3),)
    with pytest.raises(sc.CostError) as err:
        model.receptive_field
    message = str(err.value)
    assert "the receptive field of L repetitions of 'MaxPooling1D' needs one window" in message
    assert "pad_before on x positions is ceiling(x/3) - x + floor((2*x + 1)/3)" in message
    assert "'same' padding with a stride above 1" in message
    assert "substitute the count" in message
    assert message.endswith("Received: block='MaxPooling1D', times=L")


@pytest.mark.parametrize("make, size, start", [
    # a 2-wide window with stride 2 never pads before, whatever the size
    (lambda: sc.MaxPooling1D(2, padding="same"), 2**L, 0),
    # stride 1: the same padding before every repetition
    (lambda: sc.Conv1D(2, 5, padding="same"), 4 * L + 1, -2 * L),
    (lambda: sc.Conv1D(2, 3, strides=2), 2**(L + 1) - 1, 0),
])
def test_a_window_that_is_the_same_at_every_size_gives_a_closed_form(make, size, start):
    for shape in [(84, 2), (H, 2)]:
        field = sc.Sequential([sc.Input(shape), sc.Repeat(make(), L)]).receptive_field[0]
        assert sympy.expand(field.size - size) == 0 and sympy.expand(field.start - start) == 0
