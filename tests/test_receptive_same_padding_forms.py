"""Readable closed forms of 'same' padding with a stride, equal to index propagation.

'same' pads ``max((ceiling(i/s) - 1)*s + k_eff - i, 0)`` in all (TensorFlow's rule, which
Keras follows), the smaller half before. As ``s*ceiling(i/s) - i`` lies between 0 and
``s - 1``, the total lies between ``k_eff - s`` and ``k_eff - 1``: a window of extent at
most 2 is never padded before, whatever the size and stride. A 1x1 stride-2 shortcut (a
ResNet's downsampling block) padded ``floor(Max(0, 2*ceiling(H/2) - H - 1)/2)`` before,
which is 0 for every H, and the field of the block around it read
``Max(2*ceiling(H/2) - H, floor(Max(0, ...)/2)) + ... + 1``, which is 3 for every H.

The closed forms (receptive fields, windows, output shapes), substituted, equal index
propagation with TensorFlow's padding at every size, and the numeric builds; a frameworks
test checks the block against the positions Keras 3 itself reaches.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import event, given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import formulas
from symcnn.receptive import AxisField, input_span

from .conftest import require

H, W, S, D = sc.symbols("H W S D")


# ----------------------------------------------------------------------------- brute force


def tf_same(length: int, k: int, s: int, d: int) -> tuple:
    """``(out, before)`` of TensorFlow's 'same' padding, the windows counted one by one."""
    out = len(range(0, length, s))  # a window starts at every s-th position
    total = max((out - 1) * s + d * (k - 1) + 1 - length, 0)
    return out, total // 2


def layer_reads(layer, length, positions):
    """Input positions of one 'same' layer ``(k, s, d)`` at input ``length`` read by
    output ``positions``."""
    k, s, d = layer
    _, before = tf_same(length, k, s, d)
    return {s * o - before + d * t for o in positions for t in range(k)}


def stage_reads(stage, length, positions, clip: bool):
    """Positions of a stage's input read by ``positions`` of its output: a list of layers,
    or ``("add", main, shortcut)`` (the union of both paths); with ``clip``, positions
    outside a tensor (padding) are dropped at every tensor."""
    if stage[0] == "add":
        return (path_reads(stage[1], length, positions, clip)
                | path_reads(stage[2], length, positions, clip))
    return path_reads(stage, length, positions, clip)


def path_reads(layers, length, positions, clip: bool):
    lengths = [length]
    for k, s, d in layers:
        lengths.append(tf_same(lengths[-1], k, s, d)[0])
    for layer, n in zip(reversed(layers), reversed(lengths[:-1])):
        positions = layer_reads(layer, n, positions)
        if clip:
            positions = {p for p in positions if 0 <= p < n}
    return positions


def stage_out(stage, length: int) -> int:
    layers = stage[1] if stage[0] == "add" else stage
    for k, s, d in layers:
        length = tf_same(length, k, s, d)[0]
    return length


def brute(stages, axis, length, o, clip=False):
    """Input positions (along ``axis``: 0 rows, 1 columns) that output ``o`` reads."""
    lengths = [length]
    for stage in stages:
        lengths.append(stage_out(on_axis(stage, axis), lengths[-1]))
    positions = {o}
    for stage, n in zip(reversed(stages), reversed(lengths[:-1])):
        positions = stage_reads(on_axis(stage, axis), n, positions, clip)
    return positions, lengths[-1]


def on_axis(stage, axis):
    """A stage of 2D layers ``((kh, kw), (sh, sw), (dh, dw))`` along one axis."""
    if stage[0] == "add":
        return ("add", on_axis(stage[1], axis), on_axis(stage[2], axis))
    return [(k[axis], s[axis], d[axis]) for k, s, d in stage]


# ----------------------------------------------------------------------------- models


def conv(layer):
    k, s, d = layer
    return sc.Conv2D(2, k, strides=s, dilation_rate=d, padding="same")


def build(stages, shape):
    x = y = sc.Input(shape)
    for stage in stages:
        if stage[0] == "add":
            main = y
            for layer in stage[1]:
                main = conv(layer)(main)
            y = sc.Add()([main, conv(stage[2][0])(y)])
        else:
            for layer in stage:
                y = conv(layer)(y)
    return sc.Model(x, y)


pair = st.tuples(st.integers(1, 4), st.integers(1, 4))


@st.composite
def same_layer(draw, small=False):
    """A 2D 'same' convolution ``(kernel, strides, dilation)``: Keras takes no stride with a
    dilation; ``small`` kernels of at most 2 (a shortcut)."""
    kernel = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)) if small else pair)
    strides = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
    dilation = (1, 1) if max(strides) > 1 or small else draw(
        st.tuples(st.integers(1, 3), st.integers(1, 3)))
    return kernel, strides, dilation


@st.composite
def stage(draw):
    if draw(st.booleans()):  # a downsampling block: k x k stride s, then 3x3, beside a shortcut
        first = draw(same_layer())
        short = draw(same_layer(small=True))
        short = (short[0], first[1], (1, 1))  # the same strides, so the shapes agree
        return ("add", [first, ((3, 3), (1, 1), (1, 1))], [short])
    return draw(st.lists(same_layer(), min_size=1, max_size=2))


def at(value, h, w):
    return None if value is None else sympy.sympify(value).subs({H: h, W: w})


def field_at(fields, h, w):
    return tuple(AxisField(at(f.size, h, w), at(f.jump, h, w), at(f.start, h, w))
                 for f in fields)


# ----------------------------------------------------------------------------- specification


@pytest.mark.parametrize("kernel,dilation", [(1, 1), (2, 1), (1, 3), (1, D)])
@pytest.mark.parametrize("stride", [1, 2, 3, 5, S])
def test_a_window_of_extent_at_most_2_is_never_padded_before(kernel, dilation, stride):
    assert formulas.same_padding_before(H, kernel, stride, dilation) == 0
    before, after = formulas.same_padding(H, kernel, stride, dilation)
    assert before == 0
    values = {S: stride if stride != S else 3, D: 2}
    k, s, d = (int(sympy.sympify(v).subs(values)) for v in (kernel, stride, dilation))
    for h in range(1, 40):  # the padding after: TensorFlow's total, all of it
        out, _ = tf_same(h, k, s, d)
        assert after.subs({H: h, **values}) == max((out - 1) * s + d * (k - 1) + 1 - h, 0)


def test_a_1x1_kernel_is_not_padded_at_all_whatever_the_stride():
    for stride in (2, 3, S):
        assert formulas.same_padding(H, 1, stride) == (0, 0)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 3), st.booleans())
def test_same_padding_closed_forms_equal_tensorflows_at_every_size(k, s, d, symbolic_dilation):
    """Also with a symbolic dilation, where ``k_eff >= s`` is proved (``D + 1 >= 2``) the
    total takes no max."""
    dilation = D if symbolic_dilation else d
    before, after = formulas.same_padding(H, k, s, dilation)
    alone = formulas.same_padding_before(H, k, s, dilation)
    for h in range(1, 3 * s + 8):
        _, expected = tf_same(h, k, s, d)
        out = len(range(0, h, s))
        total = max((out - 1) * s + d * (k - 1) + 1 - h, 0)
        values = {H: h, D: d}
        assert (before.subs(values), after.subs(values)) == (expected, total - expected)
        assert alone.subs(values) == expected
        assert formulas.same_padding(h, k, s, d) == (expected, total - expected)
    least = (1 if symbolic_dilation else d) * (k - 1) + 1  # the least extent D admits
    if least >= s or k == 1:  # the total is never below 0, or never above
        event("no max")
        assert not (before.has(sympy.Max) or after.has(sympy.Max))
    if k == 1 or not symbolic_dilation and least <= 2:
        assert before == alone == 0


def test_a_resnet_shortcut_beside_a_strided_3x3_leaves_its_field_as_it_is():
    """The headline: a 1x1 stride-2 shortcut reads position 2*o, inside the 3x3 window
    ``2*o - p .. 2*o - p + 2`` (``p``, 0 or 1, the 3x3's padding before)."""
    x = sc.Input((H, W, 2))
    main = sc.Conv2D(2, 3, strides=2, padding="same")
    shortcut = sc.Conv2D(2, 1, strides=2, padding="same")
    block = sc.Model(x, sc.Add()([main(x), shortcut(x)]))
    alone = sc.Model(x, main(x))
    assert block.receptive_field == alone.receptive_field
    for field in block.receptive_field:
        assert field.size == 3 and field.jump == 2
        assert not field.start.has(sympy.Max, sympy.floor)
    (record,) = [r for r in block.layers if r.layer is shortcut]
    assert record.receptive_field == (AxisField(1, 2, 0),) * 2


@settings(max_examples=40, deadline=None)
@given(st.lists(stage(), min_size=1, max_size=3))
def test_fields_windows_and_shapes_of_symbolic_sizes_equal_index_propagation(stages):
    """At every size: the closed forms substituted, the numeric build, and index propagation
    with TensorFlow's padding (paths of a block united) agree on the output shape, every
    layer's receptive field (what the summary's columns print), and the windows
    (``input_span(padding=True)``) and positions read (``input_span``) of outputs."""
    symbolic = build(stages, (H, W, 2))
    fields = [r.receptive_field for r in symbolic.layers]
    windows = {o: input_span(symbolic, (o, o), padding=True) for o in range(3)}
    small = any(min(layer[0]) <= 2 < max(layer[1]) for st_ in stages
                for layer in (st_[2] if st_[0] == "add" else st_))
    event("a kernel of at most 2 below its stride" if small else "none")
    for h, w in [(1, 1), (2, 3), (4, 5), (5, 7), (6, 9), (7, 8), (11, 13), (12, 16), (17, 24)]:
        numeric = build(stages, (h, w, 2))
        assert tuple(at(v, h, w) for v in symbolic.output_shape) == numeric.output_shape
        assert [None if f is None else field_at(f, h, w) for f in fields] == \
            [r.receptive_field for r in numeric.layers]
        (rows, out_h), (cols, out_w) = brute(stages, 0, h, 0), brute(stages, 1, w, 0)
        assert numeric.output_shape[:2] == (out_h, out_w)
        (field_h, field_w) = numeric.receptive_field
        for field, positions, axis, n in ((field_h, rows, 0, h), (field_w, cols, 1, w)):
            nxt, _ = brute(stages, axis, n, 1)
            assert (field.start, field.size, field.jump) == (
                min(positions), max(positions) - min(positions) + 1, min(nxt) - min(positions))
        for o, window in windows.items():
            expected = tuple((min(p), max(p)) for p in (brute(stages, 0, h, o)[0],
                                                        brute(stages, 1, w, o)[0]))
            assert tuple((at(a, h, w), at(b, h, w)) for a, b in window) == expected
        for oy, ox in {(0, 0), (out_h - 1, out_w - 1), (out_h // 2, 0)}:
            read = [brute(stages, 0, h, oy, clip=True)[0], brute(stages, 1, w, ox, clip=True)[0]]
            expected = (None, None) if not all(read) else tuple((min(p), max(p)) for p in read)
            assert input_span(numeric, (oy, ox)) == expected


@pytest.mark.frameworks
@pytest.mark.parametrize("h,w", [(7, 8), (8, 7), (9, 12), (12, 9)])
def test_the_resnet_downsampling_block_reads_what_keras_reaches(h, w):
    """Keras 3 (torch backend) pads by its own rule: autograd from each output position
    reaches the positions ``input_span`` states, and the window ``receptive_field`` gives."""
    torch = require("torch")
    require("keras")
    import numpy as np

    x = sc.Input((h, w, 1))
    model = sc.Model(x, sc.Add()([sc.Conv2D(1, 3, strides=2, padding="same")(x),
                                  sc.Conv2D(1, 1, strides=2, padding="same")(x)]))
    keras_model = model.to_keras()
    for variable in keras_model.weights:  # positive kernels, zero biases: no cancellation
        value = np.asarray(variable.numpy())
        variable.assign(np.zeros_like(value) if "bias" in variable.path else np.abs(value) + 0.1)
        variable.value.requires_grad_(False)
    out_h, out_w = (int(d) for d in model.output_shape[:2])
    for oy in range(out_h):
        for ox in range(out_w):
            inputs = torch.ones((1, h, w, 1), dtype=torch.float32, requires_grad=True)
            keras_model(inputs)[0, oy, ox, :].sum().backward()
            hit = inputs.grad[0, :, :, 0] > 0
            rows = hit.any(dim=1).nonzero().flatten().tolist()
            cols = hit.any(dim=0).nonzero().flatten().tolist()
            assert input_span(model, (oy, ox)) == ((rows[0], rows[-1]), (cols[0], cols[-1]))
    (field_h, field_w) = model.receptive_field
    assert (field_h.size, field_w.size) == (3, 3)
