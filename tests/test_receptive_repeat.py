"""Receptive fields through a ``Repeat`` of a block that keeps its input's shape.

A stride keeps a size of 1 (``ceiling(1/2) = 1``), so a block of strided layers keeps the
shape on a size-1 axis and repeats there, its field growing geometrically: ``L`` 3-wide
stride-2 'same' convolutions read ``2**(L + 1) - 1`` positions with jump ``2**L``. For a
symbolic count this was None, silently; it is a closed form now, equal to index propagation
(the 'same' padding as TensorFlow computes it) and to the layers written out at every count.
Where no closed form is stated, the answer is a ``CostError`` naming the layer, never None;
None stays the answer where positions are rearranged (a Reshape in the block).
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import event, given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.receptive import AxisField, input_span

from .test_receptive import brute_field, same_reads

L, W = sc.symbols("L W")

#: (kernel, stride, dilation, padding) of one 1D layer that keeps a length of 1: 'same', or
#: 'valid' with a kernel of 1 (Keras refuses strides with dilation)
one_layer = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 2),
                      st.sampled_from(["same", "same", "valid"])).map(
    lambda layer: (1 if layer[3] == "valid" else layer[0], layer[1],
                   1 if layer[1] > 1 else layer[2], layer[3]))


def conv(k, s, d, padding):
    return sc.Conv1D(2, k, strides=s, dilation_rate=d, padding=padding)


def block_on(shape, layers, residual):
    x = sc.Input(shape)
    y = x
    for layer in layers:
        y = conv(*layer)(y)
    return sc.Model(x, sc.Add()([x, y]) if residual else y, name="block")


def brute(layers, residual, times):
    """``(start, size)`` of output 0 after ``times`` repetitions of the block on length 1
    (index propagation; a residual block also reads its input's own position)."""
    steps, _ = same_reads(layers, 1)
    start, size = brute_field(steps)  # the block's window of its output 0
    jump = 1
    for s, _, _ in steps:
        jump *= s
    lo = hi = 0
    for _ in range(times):  # outputs lo .. hi read jump*lo + start .. jump*hi + start + size - 1
        new_lo, new_hi = jump * lo + start, jump * hi + start + size - 1
        if residual:
            new_lo, new_hi = min(new_lo, lo), max(new_hi, hi)
        lo, hi = new_lo, new_hi
    return lo, hi - lo + 1


def at(fields, times):
    return tuple(AxisField(*(None if v is None else sympy.sympify(v).subs(L, times)
                             for v in (f.size, f.jump, f.start))) for f in fields)


@settings(max_examples=80)
@given(st.lists(one_layer, min_size=1, max_size=3))
def test_a_block_that_keeps_size_1_repeats_to_the_fields_of_index_propagation(layers):
    model = sc.Sequential([sc.Input((1, 2)),
                           sc.Repeat(block_on((1, 2), layers, False), L, name="stage")])
    fields = model.receptive_field  # a closed form in L, never None
    stride = 1
    for _, s, _, _ in layers:
        stride *= s
    event(f"stride {min(stride, 4)}")
    for times in range(6):
        start, size = brute(layers, False, times)
        assert at(fields, times) == (AxisField(size, stride**times, start),)
        numeric = sc.Sequential([sc.Input((1, 2)), sc.Repeat(block_on((1, 2), layers, False),
                                                             times)])
        assert numeric.receptive_field == at(fields, times)
        if times:
            written = sc.Sequential([sc.Input((1, 2))] + [conv(*layer) for _ in range(times)
                                                          for layer in layers])
            assert written.receptive_field == at(fields, times)


@settings(max_examples=60)
@given(st.lists(one_layer, min_size=1, max_size=3))
def test_a_residual_block_at_size_1_is_exact_or_refused_naming_the_layer(layers):
    """Beside a stride, the skip's window and the strided path's do not move alike (no
    single ``a*o + b``): the symbolic count is then refused, the numbers walked."""
    make = lambda times: sc.Sequential([  # noqa: E731
        sc.Input((1, 2)), sc.Repeat(block_on((1, 2), layers, True), times, name="stage")])
    for times in range(5):
        start, size = brute(layers, True, times)
        (field,) = make(times).receptive_field
        assert (field.start, field.size) == (start, size)
    try:
        fields = make(L).receptive_field
    except sc.CostError as err:
        assert any(s > 1 for _, s, _, _ in layers)  # a stride: no closed form here
        message = str(err)
        assert message.startswith("Repeat layer 'stage': the receptive field of L repetitions "
                                  "of 'block' is not computed")
        assert message.endswith("Received: block='block', times=L")
        event("refused")
        return
    for times in range(5):
        assert at(fields, times) == make(times).receptive_field


def test_the_reproducer_a_stride_2_same_convolution_at_size_1():
    """Was None for a symbolic count (the walk found no shift ``o + b``)."""
    x = sc.Input((1, 1, 3))
    block = sc.Model(x, sc.Conv2D(3, 3, strides=2, padding="same")(x), name="blk")
    model = sc.Sequential([sc.Input((1, 1, 3)), sc.Repeat(block, L)])
    fields = model.receptive_field
    assert fields is not None
    for times in range(1, 5):
        written = sc.Sequential([sc.Input((1, 1, 3))] + [
            sc.Conv2D(3, 3, strides=2, padding="same") for _ in range(times)])
        assert at(fields, times) == written.receptive_field
        assert model.subs(L=times).receptive_field == written.receptive_field


def test_a_stride_along_one_axis_grows_that_axis_geometrically_and_the_other_linearly():
    """Size 1 along the strided axis, a symbolic width along the other: both closed forms."""
    layer = lambda: sc.Conv2D(2, 3, strides=(2, 1), padding="same")  # noqa: E731
    model = sc.Sequential([sc.Input((1, W, 2)), sc.Repeat(layer(), L)])
    assert model.output_shape == (1, W, 2)
    fields = model.receptive_field
    for times in range(1, 5):
        written = sc.Sequential([sc.Input((1, W, 2))] + [layer() for _ in range(times)])
        assert at(fields, times) == written.receptive_field


def squeeze_excite(name):
    x = sc.Input(("H", "W", 4))
    g = sc.GlobalAveragePooling2D(keepdims=True)(x)
    return sc.Model(x, sc.Multiply()([x, sc.Conv2D(4, 1)(g)]), name=name)


def test_a_block_that_reads_its_whole_input_is_its_one_repetition_for_any_count_from_1():
    """A squeeze-and-excitation block reads every position; a second repetition changes
    nothing (was None for a symbolic count)."""
    model = sc.Sequential([sc.Input(("H", "W", 4)), sc.Repeat(squeeze_excite("se"), L)])
    one = sc.Sequential([sc.Input(("H", "W", 4)), squeeze_excite("se")])
    assert model.receptive_field == one.receptive_field
    for times in range(1, 4):
        written = sc.Sequential([sc.Input(("H", "W", 4))] +
                                [squeeze_excite(f"se{i}") for i in range(times)])
        assert model.receptive_field == written.receptive_field


def test_a_count_that_may_be_0_is_refused_unless_no_count_changes_the_field():
    d = sc.multiplier("d")
    count = sympy.ceiling(3 * d) - 1  # 0 for d <= 1/3: then the field is the input's
    alone = sc.Sequential([sc.Input(("H", "W", 4)),
                           sc.Repeat(squeeze_excite("se"), count, name="stage")])
    assert alone.subs(d=sympy.Rational(1, 3)).receptive_field != \
        alone.subs(d=1).receptive_field
    with pytest.raises(sc.CostError) as err:
        alone.receptive_field
    assert str(err.value).startswith("Repeat layer 'stage': the receptive field of "
                                     "ceiling(3*d) - 1 repetitions of 'se' is not computed")
    assert "may be 0" in str(err.value)
    after = sc.Sequential([sc.Input(("H", "W", 4)), squeeze_excite("first"),
                           sc.Repeat(squeeze_excite("se"), count, name="stage")])
    for value in (sympy.Rational(1, 3), 1, 2):
        assert after.receptive_field == after.subs(d=value).receptive_field


def refusal(model) -> str:
    """The CostError message of ``model.receptive_field``."""
    with pytest.raises(sc.CostError) as err:
        model.receptive_field
    return str(err.value)


def test_a_huge_numeric_count_is_the_closed_form_or_refused_for_the_size_of_its_numbers():
    layer = lambda: sc.Conv1D(2, 3, strides=2, padding="same")  # noqa: E731
    symbolic = sc.Sequential([sc.Input((1, 2)), sc.Repeat(layer(), L)]).receptive_field
    many = sc.Sequential([sc.Input((1, 2)), sc.Repeat(layer(), 3000)])
    assert many.receptive_field == at(symbolic, 3000)  # (a jump of 3,001 bits)
    message = refusal(sc.Sequential([sc.Input((1, 2)), sc.Repeat(layer(), 10**9, name="deep")]))
    assert message.startswith("Repeat layer 'deep': the receptive field of 1,000,000,000 "
                              "repetitions of 'Conv1D' has a jump of 2**1000000000")
    assert "keep the count a symbol" in message


def test_a_huge_numeric_count_without_a_closed_form_is_refused_not_walked():
    """A residual block around a stride has no closed form here; its repetitions are walked
    up to the bound on layer calls (10**9 of them took hours)."""
    block = lambda: block_on((1, 2), [(3, 2, 1, "same")], True)  # noqa: E731
    five = sc.Sequential([sc.Input((1, 2)), sc.Repeat(block(), 5)])
    start, size = brute([(3, 2, 1, "same")], True, 5)
    assert (five.receptive_field[0].start, five.receptive_field[0].size) == (start, size)
    message = refusal(sc.Sequential([sc.Input((1, 2)), sc.Repeat(block(), 10**9, name="deep")]))
    assert message.startswith("Repeat layer 'deep': the receptive field of 1,000,000,000 "
                              "repetitions of 'block' is not computed")
    assert f"substitute a count of at most {sc.layers.repeat.MAX_LAYER_CALLS // 2:,}" in message


def test_a_block_that_rearranges_positions_stays_undefined():
    """The documented None: a Reshape in the block, whatever the count."""
    x = sc.Input((4, 4, 2))
    block = sc.Model(x, sc.Reshape((4, 4, 2))(sc.Permute((2, 1, 3))(x)), name="shuffle")
    for times in (L, 1, 3):
        assert sc.Sequential([sc.Input((4, 4, 2)), sc.Repeat(block, times)]) \
            .receptive_field is None


def test_input_span_walks_the_repetitions_up_to_the_bound_and_refuses_more():
    """It walked 10**9 repetitions one by one (hours); the padding window is a closed form."""
    x = sc.Input(("H", 2))
    block = sc.Model(x, sc.Add()([x, sc.Conv1D(2, 3, padding="same")(x)]), name="residual")
    few = sc.Sequential([sc.Input((64, 2)), sc.Repeat(block, 5)])
    written = sc.Sequential([sc.Input((64, 2))] + [block for _ in range(5)])
    for o in (0, 3, 63):
        assert input_span(few, (o,)) == input_span(written, (o,))
    huge = sc.Sequential([sc.Input((64, 2)), sc.Repeat(block, 10**9, name="deep")])
    assert input_span(huge, (0,), padding=True) == ((-10**9, 10**9),)
    with pytest.raises(sc.CostError) as err:
        input_span(huge, (0,))
    assert str(err.value).startswith("input_span: Repeat layer 'deep': the positions read "
                                     "through 1,000,000,000 repetitions of a block")


def test_a_repeat_of_a_repeat_multiplies_the_counts_in_the_exponent():
    M = sc.symbols("M")
    layer = lambda: sc.Conv1D(2, 3, strides=2, padding="same")  # noqa: E731
    nested = sc.Sequential([sc.Input((1, 2)), sc.Repeat(sc.Repeat(layer(), L), M)])
    (field,) = nested.receptive_field
    for inner, outer in [(1, 1), (2, 3), (3, 2)]:
        written = sc.Sequential([sc.Input((1, 2))] + [layer() for _ in range(inner * outer)])
        values = {L: inner, M: outer}
        assert (AxisField(field.size.subs(values), field.jump.subs(values),
                          field.start.subs(values)),) == written.receptive_field


def test_a_repeat_or_nested_model_first_states_the_layout_of_the_input():
    """The input's layout is read from the first layer that states it, inside a ``Repeat``
    or a nested model too: ``nn.Sequential(Repeat(Conv1d(1, 1, 3), 2))`` had no receptive
    field at all (channels last assumed, the channel axis of 1 taken as the length)."""
    repeated = sc.nn.Sequential(sc.Repeat(sc.nn.Conv1d(1, 1, 3), 2), input_shape=(1, 10))
    written = sc.nn.Sequential(sc.nn.Conv1d(1, 1, 3), sc.nn.Conv1d(1, 1, 3),
                               input_shape=(1, 10))
    assert repeated.receptive_field == written.receptive_field is not None
    block = sc.nn.Sequential(sc.nn.Conv1d(1, 1, 3, stride=2), input_shape=(1, 10))
    nested = sc.Sequential([sc.Input((1, 10)), block, sc.nn.Conv1d(1, 1, 3)])
    flat = sc.nn.Sequential(sc.nn.Conv1d(1, 1, 3, stride=2), sc.nn.Conv1d(1, 1, 3),
                            input_shape=(1, 10))
    assert nested.receptive_field == flat.receptive_field is not None


def test_a_block_that_cannot_take_a_general_input_names_the_probe_sizes_readably():
    """A symbolic Repeat probes its block on an input of general sizes; the block's refusal
    named them as SymPy's dummies (``_x0 channels``), sizes the user never wrote."""
    L = sc.symbols("L")
    with pytest.raises(sc.ShapeError) as err:
        sc.nn.Sequential(sc.Repeat(sc.nn.Conv1d(1, 1, 3, stride=2), L), input_shape=(1, 100))
    text = str(err.value)
    assert "_x0" not in text and "of shape (x_0, x_1)" in text and "has x_0 channels" in text
