"""Receptive fields equal a brute-force count of which input positions reach an output.

Two brute forces: index propagation over unbounded integer positions (layer definitions as
PyTorch documents them, padding positions included), and PyTorch autograd on the real
layers (which input positions change one output position), clipped to the input.
"""

import math

import pytest
import sympy
from hypothesis import assume, event, given, settings, strategies as st

import symcnn as sc
from symcnn.receptive import AxisField, input_span

from .conftest import require
from .support.chains import chain, to_symcnn, to_torch

H, W = sc.symbols("H W")
KINDS = ("conv", "pool", "zpad", "upsample", "bn", "relu")


def reads(spec, axis, x):
    """Input positions one layer reads for its output position ``x`` along ``axis``."""
    kind = spec[0]
    if kind == "conv":
        _, _, k, s, p, d, _, _ = spec
        return {s[axis] * x - p[axis] + d[axis] * t for t in range(k[axis])}
    if kind == "pool":
        _, _, k, s, p = spec
        return {s[axis] * x - p[axis] + t for t in range(k[axis])}
    if kind == "tconv":
        _, _, k, s, p, _, d, _, _ = spec
        return {(x + p[axis] - d[axis] * t) // s[axis] for t in range(k[axis])
                if (x + p[axis] - d[axis] * t) % s[axis] == 0}
    if kind == "zpad":
        return {x - spec[1][2 * axis]}
    if kind == "upsample":
        return {x // spec[1]}
    return {x}


def brute_positions(specs, axis, o, sizes=None):
    """Input positions reaching output position ``o``; with ``sizes`` (the size of every
    tensor along ``axis``, input first), positions outside a tensor are padding and dropped."""
    positions = {o}
    for index in reversed(range(len(specs))):
        positions = set().union(*(reads(specs[index], axis, x) for x in positions))
        if sizes is not None:
            positions = {x for x in positions if 0 <= x < sizes[index]}
    return positions


def brute_span(specs, axis, o):
    positions = brute_positions(specs, axis, o)
    return (min(positions), max(positions)) if positions else None


def build(specs, channels, size=48):
    try:
        return to_symcnn(specs, (channels, size, size))
    except sc.ShapeError:
        return None


def period_of(specs, axis):
    return math.prod(s[3][axis] for s in specs if s[0] == "tconv") * math.prod(
        s[1] for s in specs if s[0] == "upsample")


def transposed_ok(specs):
    """A strided transposed convolution has a window field when it is not dilated and its
    kernel is at least its stride (otherwise some outputs read no input at all)."""
    return all(not (s[0] == "tconv" and any(st > 1 and (d > 1 or k < st)
                                            for k, st, d in zip(s[2], s[3], s[6])))
               for s in specs)


@settings(max_examples=150)
@given(chain(rank=2, max_layers=5, kinds=KINDS))
def test_size_jump_and_start_equal_index_propagation_on_random_chains(drawn):
    specs, channels = drawn
    model = build(specs, channels)
    assume(model is not None)
    fields = model.receptive_field
    if not transposed_ok(specs):
        assert fields is None
        return
    for axis, field in enumerate(fields):
        period = period_of(specs, axis)
        spans = [brute_span(specs, axis, o) for o in range(3 * period)]
        assert field.size == max(hi - lo + 1 for lo, hi in filter(None, spans))
        for o in range(3 * period):
            assert input_span(model, (o, o), padding=True)[axis] == spans[o]
        assert field.start == spans[0][0]
        assert field.jump * period == spans[period][0] - spans[0][0]


@settings(max_examples=60)
@given(chain(rank=2, max_layers=4, kinds=("conv",), transposed=True))
def test_transposed_convolutions_alone_equal_index_propagation(drawn):
    specs, channels = drawn
    test_size_jump_and_start_equal_index_propagation_on_random_chains.hypothesis.inner_test(
        (specs, channels))


def autograd_span(module, input_shape, out_position):
    """(first, last) input index per spatial axis whose value changes the output position."""
    torch = require("torch")
    module = module.double().eval()
    with torch.no_grad():
        for name, p in module.named_parameters():  # positive weights: no cancellation
            p.zero_() if name.endswith("bias") else p.copy_(p.abs() + 0.1)
    x = torch.ones((1, *input_shape), dtype=torch.float64, requires_grad=True)
    out = module(x)
    out[(0, slice(None), *out_position)].sum().backward()
    support = x.grad[0].abs().sum(dim=0) > 0
    spans = []
    for axis in range(support.dim()):
        others = tuple(a for a in range(support.dim()) if a != axis)
        hit = support.any(dim=others) if others else support
        idx = hit.nonzero().flatten().tolist()
        spans.append((idx[0], idx[-1]) if idx else None)
    return spans, tuple(out.shape[2:])


def clipped(spans, sizes):
    """The spans cut to the input; all None when one axis reads padding only (no gradient)."""
    out = []
    for (lo, hi), size in zip(spans, sizes):
        lo, hi = max(int(lo), 0), min(int(hi), size - 1)
        out.append((lo, hi) if lo <= hi else None)
    return [None] * len(out) if None in out else out


@pytest.mark.frameworks
@settings(max_examples=40)
@given(chain(rank=2, max_layers=4, kinds=KINDS), st.integers(6, 20), st.integers(6, 20))
def test_spans_equal_the_positions_torch_autograd_reaches(drawn, h, w):
    """The layer definitions match torch at every position, borders included, and input_span
    is exactly what torch reaches there: the window cut to every tensor on the way (where an
    intermediate padding cuts the span too, not only the input's ends)."""
    specs, channels = drawn
    assume(transposed_ok(specs))
    # a chain of element-wise layers only states no data format: its input reads as
    # channels last, so its "spatial" axes would not be torch's
    assume(any(s[0] not in ("bn", "relu") for s in specs))
    try:
        model = to_symcnn(specs, (channels, h, w))
    except sc.ShapeError:
        assume(False)
    module = to_torch(specs, channels, 2, avg_for_max=True)
    shapes = [(channels, h, w)] + [r.output_shape for r in model.layers]
    out_h, out_w = (int(d) for d in shapes[-1][1:])
    cut = 0
    for oy in sorted({0, 1, out_h // 2, out_h - 1} & set(range(out_h))):
        for ox in sorted({0, out_w // 2, out_w - 2, out_w - 1} & set(range(out_w))):
            spans, shape = autograd_span(module, (channels, h, w), (oy, ox))
            assert shape == (out_h, out_w)
            real = [brute_positions(specs, axis, o, [int(s[axis + 1]) for s in shapes])
                    for axis, o in enumerate((oy, ox))]
            assert spans == ([None, None] if not all(real) else
                             [(min(p), max(p)) for p in real])
            assert tuple(spans) == input_span(model, (oy, ox))
            window = input_span(model, (oy, ox), padding=True)
            cut += tuple(spans) != tuple(clipped(window, (h, w)))
    event("an intermediate tensor's end cuts a span" if cut else "only the input's ends cut")


@pytest.mark.frameworks
def test_a_residual_graph_takes_the_largest_field_over_its_paths():
    torch = require("torch")
    nn = torch.nn
    x = sc.Input((2, H, W))
    cf = dict(data_format="channels_first")
    main = sc.Conv2D(2, 3, padding=1, **cf)(sc.Conv2D(2, 3, strides=2, padding=1, **cf)(x))
    short = sc.Conv2D(2, 1, strides=2, **cf)(x)
    model = sc.Model(x, sc.Add()([main, short]))
    assert model.receptive_field == (AxisField(7, 2, -3), AxisField(7, 2, -3))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(2, 2, 3, stride=2, padding=1)
            self.b = nn.Conv2d(2, 2, 3, padding=1)
            self.s = nn.Conv2d(2, 2, 1, stride=2)

        def forward(self, t):
            return self.b(self.a(t)) + self.s(t)

    numeric = model.subs(H=15, W=12)
    for oy, ox in [(0, 0), (3, 2), (7, 5)]:
        spans, _ = autograd_span(Block(), (2, 15, 12), (oy, ox))
        assert tuple(spans) == input_span(numeric, (oy, ox))
        assert spans == clipped(input_span(numeric, (oy, ox), padding=True), (15, 12))


def test_resnet50_last_feature_map_sees_427_pixels_with_jump_32():
    from .support.symcnn_resnet import resnet50

    model = resnet50()
    last_relu = model.layers[-3]
    assert last_relu.receptive_field == (AxisField(427, 32, -213),) * 2
    head = model.receptive_field[0]
    assert head.jump is None and head.size == 32 * sympy.ceiling(H / 32) + 395


def test_fields_are_exact_closed_forms_for_keras_same_padding():
    m = sc.Sequential([sc.Input((H, 3)), sc.Conv1D(4, 3, strides=2, padding="same")])
    (field,) = m.receptive_field
    assert field.size == 3 and field.jump == 2
    for h in range(1, 30):  # TensorFlow's rule: half the total padding, the extra on the right
        total = max((math.ceil(h / 2) - 1) * 2 + 3 - h, 0)
        assert field.start.subs(H, h) == -(total // 2)


def same_reads(layers, length):
    """For each layer of a 1D chain at input ``length``: ``(stride, pad_before, reach)``, output
    position ``o`` reading ``stride*o - pad_before`` to that plus ``reach``, with 'same'
    padding split as TensorFlow does (half the total before, the extra element after)."""
    out = []
    for k, s, d, padding in layers:
        reach = d * (k - 1)
        if padding == "same":
            total = max((math.ceil(length / s) - 1) * s + reach + 1 - length, 0)
            out.append((s, total // 2, reach))
            length = math.ceil(length / s)
        else:
            out.append((s, 0, reach))
            length = (length - reach - 1) // s + 1
    return out, length


def brute_field(steps):
    """``(start, size)`` of output position 0 through ``steps`` (index propagation)."""
    lo = hi = 0
    for s, p, reach in reversed(steps):
        lo, hi = s * lo - p, s * hi - p + reach
    return lo, hi - lo + 1


one_layer = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 2),
                      st.sampled_from(["same", "same", "valid"])).filter(
    lambda layer: layer[1] == 1 or layer[2] == 1)  # Keras: no stride with dilation


@settings(max_examples=60)
@given(st.lists(one_layer, min_size=1, max_size=8), st.booleans())
def test_symbolic_same_padding_fields_equal_index_propagation_at_every_length(layers, residual):
    """Symbolic lengths keep each 'same' padding as a closed form in L (a rounding per
    strided layer); substituted, start and size equal index propagation with the padding
    TensorFlow computes at that length. With ``residual``, a 'same' 3-wide convolution
    runs beside the chain's first layer and the two are added (the larger field wins)."""
    L = sc.symbols("L")
    x = inputs = sc.Input((L, 2))
    first = sc.Conv1D(2, layers[0][0], strides=layers[0][1], dilation_rate=layers[0][2],
                      padding=layers[0][3])
    y = first(x)
    side = None
    if residual and layers[0][1] == 1 and layers[0][3] == "same":
        side = (3, 1, 1, "same")
        y = sc.Add()([y, sc.Conv1D(2, 3, padding="same")(x)])
    for k, s, d, padding in layers[1:]:
        y = sc.Conv1D(2, k, strides=s, dilation_rate=d, padding=padding)(y)
    (field,) = sc.Model(inputs, y).receptive_field
    assert field.jump == math.prod(s for _, s, _, _ in layers)
    checked = 0
    for length in range(1, 70):
        steps, out_length = same_reads(layers, length)
        if out_length < 1 or any(n < 1 for n in (
                same_reads(layers[:i], length)[1] for i in range(1, len(layers)))):
            continue  # a 'valid' window longer than its input: no model at this length
        start, size = brute_field(steps)
        if side is not None:  # the union with the side path's span
            other, _ = same_reads([side] + layers[1:], length)
            s2, z2 = brute_field(other)
            start, size = min(start, s2), max(start + size, s2 + z2) - min(start, s2)
        assert (field.start.subs(L, length), field.size.subs(L, length)) == (start, size)
        checked += 1
    event(f"lengths checked: {min(checked, 10)}+")


def test_global_pooling_flatten_and_dense_see_the_whole_padded_input():
    m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3, padding="same"), sc.Flatten(),
                       sc.Dense(5)])
    assert m.receptive_field == (AxisField(H + 2, None, -1), AxisField(W + 2, None, -1))


def test_fields_are_undefined_where_positions_are_not_a_window():
    m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.Reshape((36, 4)),
                       sc.Conv1D(2, 3)])
    assert m.layers[0].receptive_field is not None
    assert m.layers[1].receptive_field is None and m.receptive_field is None
    text = m.summary_text(columns=["layer", "receptive_field", "jump"])
    assert "3x3" in text and " -" in text


def test_a_dense_only_model_has_no_spatial_axes():
    assert sc.Sequential([sc.Input((10,)), sc.Dense(3)]).receptive_field == ()


def test_upsampling_divides_the_jump():
    m = sc.Sequential([sc.Input((16, 16, 1)), sc.Conv2D(1, 3, strides=2), sc.UpSampling2D(2),
                       sc.Conv2D(1, 3)])
    assert m.layers[1].receptive_field[0] == AxisField(3, 1, 0)
    # o reads upsampled o..o+2, i.e. conv outputs o//2 .. (o+2)//2: input 2*(o//2) .. +4
    assert m.receptive_field[0] == AxisField(5, 1, 0)


def test_a_nested_model_passes_its_field_through():
    inner_x = sc.Input((8, 8, 4))
    inner = sc.Model(inner_x, sc.Conv2D(4, 3, strides=2, padding="same")(inner_x))
    flat = sc.Sequential([sc.Input((8, 8, 4)), sc.Conv2D(4, 3), sc.ZeroPadding2D(1),
                          sc.Conv2D(4, 3, strides=2, padding="same")])
    nested = sc.Sequential([sc.Input((8, 8, 4)), sc.Conv2D(4, 3), sc.ZeroPadding2D(1), inner])
    assert flat.receptive_field is not None
    assert nested.receptive_field == flat.receptive_field


def test_a_symbolic_number_of_repeated_blocks_grows_the_field_linearly():
    repeat = getattr(sc, "Repeat", None)
    if repeat is None:
        pytest.skip("Repeat is not part of this build")
    n = sc.symbols("n")
    x = sc.Input((H, W, 4))
    block = sc.Model(x, sc.Conv2D(4, 3, padding="same")(x))
    m = sc.Sequential([sc.Input((H, W, 4)), repeat(block, n)])
    assert m.receptive_field == (AxisField(2 * n + 1, 1, -n),) * 2
    stacked = sc.Sequential([sc.Input((H, W, 4))] + [sc.Conv2D(4, 3, padding="same")] * 3)
    assert m.subs(n=3).receptive_field == stacked.receptive_field


@pytest.mark.frameworks
@pytest.mark.parametrize("size,out", [(10, 3), (7, 2), (9, 4)])
def test_adaptive_pooling_windows_equal_torch_autograd(size, out):
    torch = require("torch")
    adaptive = getattr(sc, "AdaptiveAveragePooling2D", None)
    if adaptive is None:
        pytest.skip("adaptive pooling is not part of this build")
    model = sc.Sequential([sc.Input((1, size, size)),
                           adaptive(out, data_format="channels_first")])
    for o in range(out):
        spans, _ = autograd_span(torch.nn.AdaptiveAvgPool2d(out), (1, size, size), (o, o))
        assert spans == [tuple(s) for s in input_span(model, (o, o))]


def test_cost_columns_render_in_markdown_and_latex_too():
    from symcnn.zoo import textbook

    model = textbook.cifar()
    columns = ["layer", "output_shape", "macs", "receptive_field", "jump"]
    for text in (model.to_markdown(columns=columns), model.to_latex(columns=columns)):
        assert "58x58" in text and "32x32" in text and "Total MACs" in text


def test_every_built_in_layer_states_its_window():
    """No built-in layer leaves ``window_for`` to the protocol's default (an error meant for
    layers written outside symcnn): a receptive field never fails on a built-in layer."""
    import inspect

    import symcnn.nn
    from symcnn.layers import layer_classes
    from symcnn.layers.protocol import LayerProtocol

    classes = set(layer_classes().values()) | {
        c for _, c in inspect.getmembers(symcnn.nn, inspect.isclass) if issubclass(c, sc.Layer)}
    exempt = {sc.InputLayer, sc.Model, sc.Sequential, symcnn.nn.Sequential}  # graphs, inputs
    missing = sorted(c.__name__ for c in classes - exempt
                     if c.window_for is LayerProtocol.window_for)
    assert missing == []


def test_an_embedding_passes_token_positions_through():
    grid = sc.Sequential([sc.Input(("H", "W")), sc.Embedding(100, 8), sc.Conv2D(4, 3)])
    # a grid of token ids (H, W): both axes are positions, the embedding adds the channels
    assert grid.receptive_field == (AxisField(3, 1, 0), AxisField(3, 1, 0))
    # token ids (T,) read by an Embedding have no channel axis: T is the position axis
    tokens = sc.Sequential([sc.Input(("T",)), sc.Embedding(100, 8), sc.Conv1D(4, 3)])
    assert tokens.receptive_field == (AxisField(3, 1, 0),)


@pytest.mark.frameworks
def test_a_text_cnns_token_spans_equal_the_tokens_that_change_its_outputs_in_torch():
    torch = require("torch")
    torch.manual_seed(0)
    embed, conv1 = torch.nn.Embedding(50, 8), torch.nn.Conv1d(8, 4, 3, padding=1)
    pool, conv2 = torch.nn.MaxPool1d(2), torch.nn.Conv1d(4, 4, 3, dilation=2)

    def net(ids):
        return conv2(pool(conv1(embed(ids).transpose(1, 2))))[0].abs().sum(0)

    length = 23
    model = sc.Sequential([sc.Input((length,)), sc.Embedding(50, 8),
                           sc.Conv1D(4, 3, padding="same"), sc.MaxPooling1D(2),
                           sc.Conv1D(4, 3, dilation_rate=2)])
    ids = torch.randint(0, 50, (1, length))
    with torch.no_grad():
        base = net(ids)
        reached = {o: [] for o in range(len(base))}
        for p in range(length):  # a different token at p changes the outputs that read it
            changed = ids.clone()
            changed[0, p] = (ids[0, p] + 1) % 50
            for o in torch.nonzero(net(changed) != base).flatten().tolist():
                reached[o].append(p)
    assert len(base) == model.output_shape[0]
    for o, positions in reached.items():
        assert input_span(model, (o,)) == ((min(positions), max(positions)),)


def test_attention_fields_are_undefined_as_masks_are_not_recorded():
    x = sc.Input(("T", 16))
    m = sc.Model(x, sc.MultiHeadAttention(2, 8)(x, x))
    assert m.receptive_field is None
    vit = sc.zoo.vit_b_32(input_shape=(64, 64, 3))
    text = vit.summary_text(columns=["layer", "output_shape", "receptive_field"],
                            expand_nested=True)
    row = next(line for line in text.splitlines() if "self_attention (MultiHeadAttention)" in line)
    assert row.rstrip().endswith("-")  # undefined, shown as a dash
    assert vit.get_layer("conv_proj").receptive_field == (AxisField(32, 32, 0),) * 2


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_upsampling_by_interpolation_reads_neighbours_so_its_field_is_undefined(interpolation):
    m = sc.Sequential([sc.Input((8, 8, 1)), sc.UpSampling2D(2, interpolation=interpolation),
                       sc.Conv2D(1, 3)])
    assert m.receptive_field is None
    nearest = sc.Sequential([sc.Input((8, 8, 1)), sc.UpSampling2D(2), sc.Conv2D(1, 3)])
    assert nearest.receptive_field is not None


def test_torch_named_element_wise_reshaping_and_resizing_layers_state_their_windows():
    from symcnn import nn

    prelu = nn.Sequential(nn.Conv2d(3, 8, 3), nn.PReLU(8), input_shape=(3, "H", "W"))
    assert prelu.receptive_field == (AxisField(3, 1, 0),) * 2
    unflat = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 8, 8)), input_shape=(3, 8, 8))
    assert unflat.receptive_field is None
    for resize in (nn.Upsample(scale_factor=1.5), nn.Upsample(size=(9, 9)),
                   nn.Upsample(scale_factor=2, mode="bilinear")):
        model = nn.Sequential(nn.Conv2d(3, 8, 3), resize, input_shape=(3, 8, 8))
        assert model.receptive_field is None


@pytest.mark.frameworks
def test_slices_and_nearest_upsampling_equal_torch_autograd():
    torch = require("torch")
    from symcnn import nn

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Conv2d(1, 1, 3), torch.nn.Conv2d(1, 1, 3)
            self.up = torch.nn.Upsample(scale_factor=2)

        def forward(self, x):
            return self.b(self.up(self.a(x)[:, :, 2:-1, 1:]))

    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Slice(((None, None), (2, -1), (1, None))),
                          nn.Upsample(scale_factor=2), nn.Conv2d(1, 1, 3),
                          input_shape=(1, 14, 13))
    out_h, out_w = model.output_shape[1:]
    for o in [(0, 0), (1, 2), (out_h - 1, out_w - 1), (3, 5)]:
        spans, shape = autograd_span(Net(), (1, 14, 13), o)
        assert shape == (out_h, out_w)
        assert spans == [tuple(s) for s in input_span(model, o)]


@pytest.mark.parametrize("k, s, p, d", [(2, 1, 0, 3), (3, 2, 1, 2), (2, 2, 0, 2), (3, 1, 1, 3)])
def test_a_dilated_max_poolings_span_is_what_torch_autograd_reaches(k, s, p, d):
    """The window left the dilation out (a 2-wide window with dilation 3 read 2 positions,
    not 4). Max pooling passes a gradient to one position per window: the union over random
    inputs reaches the whole window."""
    torch = require("torch")
    length = 14
    pool = torch.nn.MaxPool1d(k, stride=s, padding=p, dilation=d)
    model = sc.nn.Sequential(sc.nn.MaxPool1d(k, stride=s, padding=p, dilation=d),
                             input_shape=(1, length))
    generator = torch.Generator().manual_seed(0)
    outputs = pool(torch.zeros(1, 1, length)).shape[-1]
    for o in range(outputs):
        reached = torch.zeros(length, dtype=torch.bool)
        for _ in range(64):
            x = torch.rand(1, 1, length, generator=generator, requires_grad=True)
            pool(x)[0, 0, o].backward()
            reached |= x.grad[0, 0] != 0
        positions = reached.nonzero().flatten().tolist()
        assert input_span(model, (o,)) == ((positions[0], positions[-1]),), o


@pytest.mark.parametrize("first", ["upsample", "batchnorm"])
def test_a_torch_model_without_a_windowed_layer_reads_its_channels_first(first):
    """With no layer stating a ``data_format``, the field was taken along the channel axis
    (Keras' channels last): ``Upsample`` alone gave size 1, jump 1, and position 5 was
    "outside the output"."""
    torch = require("torch")
    tnn, snn = torch.nn, sc.nn
    layers = [tnn.Upsample(scale_factor=2)]
    ours = [snn.Upsample(scale_factor=2)]
    if first == "batchnorm":
        layers.insert(0, tnn.BatchNorm1d(3).eval())
        ours.insert(0, snn.BatchNorm1d(3))
    reference, model = tnn.Sequential(*layers), snn.Sequential(*ours, input_shape=(3, 10))
    for o in range(20):
        x = torch.rand(1, 3, 10, requires_grad=True)
        reference(x)[0, 0, o].backward()
        positions = (x.grad[0, 0] != 0).nonzero().flatten().tolist()
        assert input_span(model, (o,)) == ((positions[0], positions[-1]),), o
