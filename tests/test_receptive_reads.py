"""``input_span`` names exactly the input positions whose values reach an output position.

The brute force walks back from the output position through every layer (Keras' own
definitions: 'same' puts half the total padding before, the extra element after), keeping
only the positions that exist in each tensor: padding is not read, and neither is a
position that a crop removed or a strided layer left out when a later layer's padding
covers it. Keras 3 (torch backend) autograd checks the brute force itself.
"""

import pytest
import sympy
from hypothesis import assume, event, given, settings, strategies as st

import symcnn as sc
from symcnn.receptive import input_span

from .conftest import require

KINDS = ("conv", "conv", "pool", "crop", "crop", "zpad", "upsample")


# ----------------------------------------------------------------------------- the chains


@st.composite
def layer(draw, rank, kinds=KINDS):
    kind = draw(st.sampled_from(kinds))
    per_axis = lambda s: tuple(draw(s) for _ in range(rank))  # noqa: E731
    if kind == "conv":
        k = per_axis(st.integers(1, 4))
        s = per_axis(st.integers(1, 3))
        d = (1,) * rank if max(s) > 1 else per_axis(st.integers(1, 3))  # Keras: not both
        return ("conv", k, s, d, draw(st.sampled_from(["same", "same", "valid"])))
    if kind == "pool":
        return ("pool", per_axis(st.integers(1, 3)), per_axis(st.integers(1, 3)), (1,) * rank,
                draw(st.sampled_from(["same", "valid"])))
    if kind in ("crop", "zpad"):
        return (kind, per_axis(st.tuples(st.integers(0, 3), st.integers(0, 3))))
    return ("upsample", per_axis(st.integers(1, 2)))


def chains(rank, max_layers=5, kinds=KINDS):
    return st.lists(layer(rank, kinds), min_size=1, max_size=max_layers)


def axis_steps(specs, axis, n):
    """Per layer along one axis: ``(reads, n_out)`` with ``reads(x)`` the positions of the
    layer's input (padding included) that output ``x`` reads; None where a size drops
    below 1 (no model at this size)."""
    steps = []
    for spec in specs:
        kind = spec[0]
        if kind in ("conv", "pool"):
            k, s, d, padding = spec[1][axis], spec[2][axis], spec[3][axis], spec[4]
            reach = d * (k - 1)
            if padding == "same":
                out = -(-n // s)
                before = max((out - 1) * s + reach + 1 - n, 0) // 2
            else:
                out, before = (n - reach - 1) // s + 1, 0
            steps.append((lambda x, k=k, s=s, d=d, p=before:
                          [s * x - p + d * t for t in range(k)], out))
        elif kind == "crop":
            a, b = spec[1][axis]
            out = n - a - b
            steps.append((lambda x, a=a: [x + a], out))
        elif kind == "zpad":
            a, b = spec[1][axis]
            out = n + a + b
            steps.append((lambda x, a=a: [x - a], out))
        else:
            f = spec[1][axis]
            out = n * f
            steps.append((lambda x, f=f: [x // f], out))
        if out < 1:
            return None
        n = out
    return steps


def brute_positions(steps, n_in, o, cut=True):
    """Input positions output ``o`` reads, cut to every tensor (``cut``) or not."""
    sizes = [n_in] + [n for _, n in steps[:-1]]
    positions = {o}
    for (reads, _), size in zip(reversed(steps), reversed(sizes)):
        positions = {y for x in positions for y in reads(x)}
        if cut:
            positions = {y for y in positions if 0 <= y < size}
    return positions


def expected_span(per_axis):
    """The span input_span gives for these per-axis position sets."""
    if any(not p for p in per_axis):
        return (None,) * len(per_axis)
    return tuple((min(p), max(p)) for p in per_axis)


def build(specs, shape):
    rank = len(shape)
    conv = {1: sc.Conv1D, 2: sc.Conv2D}[rank]
    pool = {1: sc.AveragePooling1D, 2: sc.AveragePooling2D}[rank]
    crop = {1: sc.Cropping1D, 2: sc.Cropping2D}[rank]
    zpad = {1: sc.ZeroPadding1D, 2: sc.ZeroPadding2D}[rank]
    up = {1: sc.UpSampling1D, 2: sc.UpSampling2D}[rank]
    layers = [sc.Input((*shape, 1))]
    for spec in specs:
        kind, one = spec[0], (lambda v: v[0] if rank == 1 else v)  # noqa: E731
        if kind == "conv":
            layers.append(conv(1, one(spec[1]), strides=one(spec[2]), dilation_rate=one(spec[3]),
                               padding=spec[4]))
        elif kind == "pool":
            layers.append(pool(one(spec[1]), strides=one(spec[2]), padding=spec[4]))
        elif kind == "crop":
            layers.append(crop(one(spec[1])))
        elif kind == "zpad":
            layers.append(zpad(one(spec[1])))
        else:
            layers.append(up(one(spec[1])))
    return sc.Sequential(layers)


def numeric(specs, shape):
    """The model and each axis' steps, or None where some size drops below 1."""
    steps = [axis_steps(specs, axis, n) for axis, n in enumerate(shape)]
    if any(s is None for s in steps):
        return None
    model = build(specs, shape)
    assert tuple(model.output_shape[:-1]) == tuple(s[-1][1] for s in steps)
    return model, steps


def sample(n, limit):
    """Output positions to check along an axis of ``n``: all, or both ends and the middle."""
    if n <= limit:
        return list(range(n))
    return sorted({0, 1, 2, n // 2, n - 3, n - 2, n - 1})


# ----------------------------------------------------------------------------- brute force


@settings(max_examples=120)
@given(chains(rank=1, max_layers=6), st.integers(4, 30))
def test_1d_spans_equal_the_positions_that_reach_each_output(specs, n):
    built = numeric(specs, (n,))
    assume(built is not None)
    model, (steps,) = built
    out = int(model.output_shape[0])
    cut = 0
    for o in range(out):
        real, window = brute_positions(steps, n, o), brute_positions(steps, n, o, cut=False)
        assert input_span(model, (o,)) == expected_span([real]), (o, real)
        assert input_span(model, (o,), padding=True) == ((min(window), max(window)),)
        cut += real != {x for x in window if 0 <= x < n}
    field = model.receptive_field[0]
    window = brute_positions(steps, n, 0, cut=False)
    assert field.start == min(window)
    event("a later layer's padding covers removed positions" if cut else "no removed position read")


@settings(max_examples=60)
@given(chains(rank=2, max_layers=5), st.integers(4, 16), st.integers(4, 16))
def test_2d_spans_equal_the_positions_that_reach_each_output(specs, h, w):
    built = numeric(specs, (h, w))
    assume(built is not None)
    model, steps = built
    out_h, out_w = (int(d) for d in model.output_shape[:2])
    for oy in sample(out_h, 8):
        for ox in sample(out_w, 8):
            real = [brute_positions(steps[0], h, oy), brute_positions(steps[1], w, ox)]
            assert input_span(model, (oy, ox)) == expected_span(real)


@settings(max_examples=60)
@given(chains(rank=1, max_layers=5), st.integers(0, 2), st.integers(0, 2))
def test_symbolic_spans_substitute_to_the_numeric_positions(specs, first, from_end):
    """On a symbolic length ``L`` the span is a closed form (``Min``/``Max`` where the cut
    depends on ``L``); at every length it equals the brute force, for positions counted from
    the start and from the end (``out - 1 - j``, itself a closed form in ``L``)."""
    L = sc.symbols("L")
    try:
        model = build(specs, (L,))
    except sc.ShapeError:
        assume(False)
    out = model.output_shape[0]
    checked = undecided = 0
    for position in (sympy.Integer(first), out - 1 - from_end):
        try:
            span = input_span(model, (position,))
        except sc.CostError:
            undecided += 1
            continue
        for n in range(1, 40):
            steps = axis_steps(specs, 0, n)
            if steps is None or not 0 <= int(position.subs(L, n)) < steps[-1][1]:
                continue
            real = brute_positions(steps, n, int(position.subs(L, n)))
            expected = expected_span([real])
            got = tuple(None if s is None else tuple(int(v.subs(L, n)) for v in s) for s in span)
            assert got == expected, (position, n, span)
            checked += 1
    event("undecided for a symbolic length" if undecided else "decided")
    event(f"lengths checked: {min(checked, 20)}+" if checked >= 20 else "few lengths")


def test_a_crop_then_same_padding_reads_no_cropped_position():
    """The tester's reproducer: output 0 reads inputs 2 and 3; its window starts at input 1,
    which the crop removed (the convolution's padding covers it)."""
    m = sc.Sequential([sc.Input((10, 1)), sc.Cropping1D(2), sc.Conv1D(1, 3, padding="same")])
    assert m.receptive_field == (sc.receptive.AxisField(3, 1, 1),)
    assert input_span(m, (0,)) == ((2, 3),)
    assert input_span(m, (0,), padding=True) == ((1, 3),)
    assert input_span(m, (5,)) == ((6, 7),)


def test_a_strided_layer_that_leaves_the_last_input_out_cuts_the_span_there():
    """Conv 3 with stride 3 over 10 reads 0..8; a 'same' convolution after it pads the end
    with what would be inputs 9..11: input 9 is not read."""
    m = sc.Sequential([sc.Input((10, 1)), sc.Conv1D(1, 3, strides=3),
                       sc.Conv1D(1, 3, padding="same")])
    assert input_span(m, (2,), padding=True) == ((3, 11),)
    assert input_span(m, (2,)) == ((3, 8),)


def test_a_dilated_window_over_padding_reads_only_its_real_taps():
    """Output 0 of a 2-tap window with dilation 3 over one zero of padding reads padded
    positions 0 and 3: input 2 only (inputs 0 and 1 fall between the taps)."""
    m = sc.Sequential([sc.Input((10, 1)), sc.ZeroPadding1D(1), sc.Conv1D(1, 2, dilation_rate=3)])
    assert input_span(m, (0,)) == ((2, 2),)
    assert input_span(m, (0,), padding=True) == ((-1, 2),)


def test_an_output_over_zero_padding_only_reads_no_input():
    m = sc.Sequential([sc.Input((6, 6, 1)), sc.ZeroPadding2D(((3, 0), (0, 0))),
                       sc.Conv2D(1, 2)])
    assert input_span(m, (0, 2)) == (None, None)
    assert input_span(m, (2, 2)) == ((0, 0), (2, 3))


def test_a_position_outside_the_output_is_an_error():
    m = sc.Sequential([sc.Input((10, 1)), sc.Conv1D(1, 3)])
    with pytest.raises(sc.CostError, match="outside the output"):
        input_span(m, (8,))
    assert input_span(m, (8,), padding=True) == ((8, 10),)  # the window, as it always was


def test_global_pooling_and_flatten_read_every_input_position():
    m = sc.Sequential([sc.Input((9, 7, 1)), sc.Cropping2D(((1, 2), (0, 3))),
                       sc.Conv2D(2, 3, padding="same"), sc.GlobalAveragePooling2D()])
    assert input_span(m, (0, 0)) == ((1, 6), (0, 3))
    flat = sc.Sequential([sc.Input((9, 7, 1)), sc.ZeroPadding2D(2), sc.Flatten(), sc.Dense(3)])
    assert input_span(flat, (0, 0)) == ((0, 8), (0, 6))


def test_a_residual_graph_reads_the_union_of_its_paths_cut_to_each_tensor():
    x = sc.Input((12, 1))
    cropped = sc.Cropping1D((3, 0))(x)
    main = sc.Conv1D(1, 5, padding="same")(cropped)
    side = sc.Conv1D(1, 1)(cropped)
    m = sc.Model(x, sc.Add()([main, side]))
    assert input_span(m, (0,)) == ((3, 5),)  # not 1 .. 5: inputs 1 and 2 were cropped
    assert input_span(m, (0,), padding=True) == ((1, 5),)


def test_a_path_that_reads_only_padding_adds_nothing_along_any_axis():
    """Path a shifts rows down by 3 (output row 0 reads padding only), so it reads nothing
    for output (0, 2), not column 2; path b reads row 0, column 4."""
    x = sc.Input((8, 8, 1))
    a = sc.Cropping2D(((0, 3), (0, 0)))(sc.ZeroPadding2D(((3, 0), (0, 0)))(x))
    b = sc.Cropping2D(((0, 0), (2, 0)))(sc.ZeroPadding2D(((0, 0), (0, 2)))(x))
    m = sc.Model(x, sc.Add()([a, b]))
    assert input_span(m, (0, 2)) == ((0, 0), (4, 4))
    assert input_span(m, (4, 2)) == ((1, 4), (2, 4))
    assert input_span(m, (0, 7)) == (None, None)  # a: padding; b: column 9, padding


def test_a_nested_block_cuts_the_span_inside_it():
    inner_x = sc.Input((8, 1))
    inner = sc.Model(inner_x, sc.Conv1D(1, 3, padding="same")(sc.Cropping1D(1)(inner_x)))
    nested = sc.Sequential([sc.Input((10, 1)), sc.Cropping1D(1), inner])
    flat = sc.Sequential([sc.Input((10, 1)), sc.Cropping1D(1), sc.Cropping1D(1),
                          sc.Conv1D(1, 3, padding="same")])
    for o in range(int(flat.output_shape[0])):
        assert input_span(nested, (o,)) == input_span(flat, (o,))
    assert input_span(nested, (0,)) == ((2, 3),)


def test_a_symbolic_crop_keeps_the_cut_as_a_closed_form():
    H, c = sc.symbols("H c")
    m = sc.Sequential([sc.Input((H, 1)), sc.Cropping1D((c, 0)), sc.Conv1D(1, 3, padding="same")])
    assert input_span(m, (0,)) == ((c, sympy.Min(c + 1, H - 1)),)
    assert input_span(m, (0,), padding=True) == ((c - 1, c + 1),)


# ----------------------------------------------------------------------------- Keras autograd


def keras_reads(specs, shape, position):
    """Per axis, the input positions whose value changes output ``position`` in Keras 3."""
    torch = require("torch")
    keras = require("keras")
    import numpy as np

    rank = len(shape)
    names = {"conv": f"Conv{rank}D", "pool": f"AveragePooling{rank}D",
             "crop": f"Cropping{rank}D", "zpad": f"ZeroPadding{rank}D",
             "upsample": f"UpSampling{rank}D"}
    one = (lambda v: v[0]) if rank == 1 else (lambda v: v)
    layers = []
    for spec in specs:
        cls = getattr(keras.layers, names[spec[0]])
        if spec[0] == "conv":
            layers.append(cls(1, one(spec[1]), strides=one(spec[2]), dilation_rate=one(spec[3]),
                              padding=spec[4]))
        elif spec[0] == "pool":
            layers.append(cls(one(spec[1]), strides=one(spec[2]), padding=spec[4]))
        else:
            layers.append(cls(one(spec[1])))
    model = keras.Sequential([keras.Input((*shape, 1))] + layers)
    for variable in model.weights:  # positive kernels, zero biases: no cancellation
        value = np.asarray(variable.numpy())
        variable.assign(np.zeros_like(value) if "bias" in variable.path else np.abs(value) + 0.1)
        variable.value.requires_grad_(False)
    x = torch.ones((1, *shape, 1), requires_grad=True)
    out = model(x)
    out[(0, *position, 0)].backward()
    hit = x.grad[0, ..., 0] != 0
    found = []
    for axis in range(rank):
        others = tuple(a for a in range(rank) if a != axis)
        along = hit.any(dim=others) if others else hit
        found.append(set(along.nonzero().flatten().tolist()))
    return found, tuple(out.shape[1:-1])


@pytest.mark.frameworks
def test_the_reproducer_against_keras_autograd():
    specs = [("crop", ((2, 2),)), ("conv", (3,), (1,), (1,), "same")]
    model, (steps,) = numeric(specs, (10,))
    for o in range(int(model.output_shape[0])):
        reached, _ = keras_reads(specs, (10,), (o,))
        assert reached == [brute_positions(steps, 10, o)]
        assert input_span(model, (o,)) == expected_span(reached)


@pytest.mark.frameworks
@settings(max_examples=12)
@given(st.integers(1, 2).flatmap(lambda rank: st.tuples(
    st.just(rank), chains(rank, max_layers=4), st.lists(st.integers(5, 14), min_size=rank,
                                                         max_size=rank))))
def test_the_brute_force_and_the_spans_equal_keras_autograd(drawn):
    """The brute force's layer definitions are Keras' own (autograd on Keras 3 layers), at
    the borders too; and input_span equals them."""
    rank, specs, shape = drawn
    built = numeric(specs, tuple(shape))
    assume(built is not None)
    model, steps = built
    outs = [int(d) for d in model.output_shape[:-1]]
    picks = [sorted({0, n // 2, n - 1}) for n in outs]
    positions = [(a,) for a in picks[0]] if rank == 1 else \
        [(a, b) for a in picks[0] for b in picks[1]][:5]
    for position in positions:
        reached, shape_out = keras_reads(specs, tuple(shape), position)
        assert list(shape_out) == outs
        brute = [brute_positions(s, n, o) for s, n, o in zip(steps, shape, position)]
        if all(brute):
            assert reached == brute
        else:  # no input reaches it: no gradient along any axis
            assert not any(reached)
        assert input_span(model, position) == expected_span(brute)
