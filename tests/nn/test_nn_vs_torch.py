"""symcnn.nn agrees with real PyTorch module by module.

Each drawn module is built twice from the same arguments, once as ``torch.nn.<Name>`` and once
as ``symcnn.nn.<Name>`` (the signatures are PyTorch's). On a random input size (odd sizes
included) both must accept or both refuse it; when they accept, the output shape of a real
forward pass must equal symcnn's, and ``parameters()`` must equal ``trainable_params``. The
closed form on symbols ``H, W`` (or ``L``, ``D``) must equal the numeric answer at that size.
"""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import nn

from ..conftest import require

pytestmark = pytest.mark.frameworks

SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def sizes(rank, top):
    return st.tuples(*[st.integers(1, top)] * rank)


@st.composite
def modules(draw):
    """(class name, args, kwargs, channels, spatial rank) of a random module."""
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    kind = draw(st.sampled_from(["conv", "conv", "transpose", "max", "avg", "adaptive",
                                 "batch", "pad", "upsample", "flatten"]))
    c = draw(st.integers(1, 6))
    k = draw(sizes(rank, 4))
    s = draw(sizes(rank, 3))
    d = draw(sizes(rank, 2))
    if kind == "conv":
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
        out = groups * draw(st.integers(1, 3))
        padding = draw(st.one_of(st.integers(0, 2), sizes(rank, 2),
                                 st.just("valid"), st.just("same")))
        if padding == "same":
            s = 1
        return f"Conv{rank}d", (c, out, k), dict(stride=s, padding=padding, dilation=d,
                                                 groups=groups, bias=draw(st.booleans())), c, rank
    if kind == "transpose":
        out_pad = tuple(draw(st.integers(0, max(x, y) - 1)) for x, y in zip(s, d))
        return f"ConvTranspose{rank}d", (c, draw(st.integers(1, 4)), k), dict(
            stride=s, padding=draw(sizes(rank, 2)), output_padding=out_pad, dilation=d,
            bias=draw(st.booleans())), c, rank
    if kind in ("max", "avg"):
        padding = tuple(draw(st.integers(0, x // 2)) for x in k)
        stride = None if draw(st.booleans()) else s
        kwargs = dict(stride=stride, padding=padding, ceil_mode=draw(st.booleans()))
        if kind == "max":
            kwargs["dilation"] = d
        return f"{'Max' if kind == 'max' else 'Avg'}Pool{rank}d", (k,), kwargs, c, rank
    if kind == "adaptive":
        entry = st.integers(1, 4) if rank == 1 else st.one_of(st.none(), st.integers(1, 4))
        size = draw(st.one_of(st.integers(1, 4), st.tuples(*[entry] * rank)))
        return f"Adaptive{draw(st.sampled_from(['Avg', 'Max']))}Pool{rank}d", (size,), {}, c, rank
    if kind == "batch":
        return f"BatchNorm{rank}d", (c,), dict(affine=draw(st.booleans())), c, rank
    if kind == "pad":
        return f"ZeroPad{rank}d", (draw(st.tuples(*[st.integers(0, 2)] * (2 * rank))),), {}, c, rank
    if kind == "upsample":
        return "Upsample", (), dict(scale_factor=draw(st.sampled_from([1, 2, 3, 1.5]))), c, rank
    return "Flatten", (draw(st.sampled_from([1, 2])),), {}, c, rank


def torch_result(torch, name, args, kwargs, shape):
    module = getattr(torch.nn, name)(*args, **kwargs)
    try:
        out = module(torch.zeros(2, *shape))
    except RuntimeError:
        return None
    if 0 in out.shape:  # PyTorch returns empty tensors where symcnn refuses a size below 1
        return None
    return tuple(out.shape[1:]), sum(p.numel() for p in module.parameters())


def symcnn_result(name, args, kwargs, shape):
    layer = getattr(nn, name)(*args, **kwargs)
    try:
        model = nn.Sequential(layer, input_shape=shape)
    except sc.ShapeError:
        return None
    return model.output_shape, model.trainable_params


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=300, deadline=None)
@given(spec=modules(), data=st.data())
def test_symcnn_nn_layers_agree_with_torch_modules(spec, data):
    torch = require("torch")
    name, args, kwargs, channels, rank = spec
    spatial = data.draw(sizes(rank, 24 if rank < 3 else 9), label="spatial")
    shape = (channels, *spatial)
    theirs = torch_result(torch, name, args, kwargs, shape)
    ours = symcnn_result(name, args, kwargs, shape)
    assert (theirs is None) == (ours is None), (theirs, ours)
    if theirs is None:
        return
    assert tuple(int(d) for d in ours[0]) == theirs[0]
    assert ours[1] == theirs[1]
    symbolic = nn.Sequential(getattr(nn, name)(*args, **kwargs),
                             input_shape=(channels, *SPATIAL[rank]))
    point = {sc.symbols(n): v for n, v in zip(SPATIAL[rank], spatial)}
    if all(bool(c.xreplace(point)) for c in symbolic.constraints):
        assert tuple(sympy.sympify(d).xreplace(point) for d in symbolic.output_shape) == theirs[0]


def test_declared_sizes_are_checked_against_the_input():
    with pytest.raises(sc.ShapeError, match=r"`in_channels` is 4 but the input has 3 channels"):
        nn.Sequential(nn.Conv2d(4, 8, 3), input_shape=(3, 8, 8))
    with pytest.raises(sc.ShapeError, match=r"`in_features` is 10 but the input has 12"):
        nn.Sequential(nn.Flatten(), nn.Linear(10, 2), input_shape=(3, 2, 2))
    undecided = nn.Sequential(nn.Linear("n", 2), input_shape=(12,))
    assert undecided.constraints == [sympy.Eq(12, sc.symbols("n"))]


def test_batch_norm_counts_running_stats_as_non_trainable_like_keras():
    torch = require("torch")
    ours = nn.Sequential(nn.BatchNorm2d(64), input_shape=(64, 8, 8))
    theirs = torch.nn.BatchNorm2d(64)
    assert ours.trainable_params == sum(p.numel() for p in theirs.parameters())
    assert ours.non_trainable_params == sum(b.numel() for n, b in theirs.named_buffers()
                                            if n.startswith("running_"))
    untracked = nn.Sequential(nn.BatchNorm2d(64, track_running_stats=False), input_shape=(64, 8, 8))
    assert untracked.non_trainable_params == 0



@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (6,)), ("BatchNorm1d", (6, 5)),
                                         ("BatchNorm2d", (6, 5, 4)),
                                         ("BatchNorm3d", (6, 3, 4, 5))])
def test_batch_norm_takes_momentum_none_as_pytorch_does_with_the_same_counts(kind, shape):
    """``momentum=None`` (PyTorch's cumulative moving average) was refused as "must be a
    number"; PyTorch takes it and keeps the same parameters and running buffers."""
    torch = require("torch")
    for momentum in (None, 0.1, 0.5):
        ours = nn.Sequential(getattr(nn, kind)(6, momentum=momentum), input_shape=shape)
        theirs = getattr(torch.nn, kind)(6, momentum=momentum)
        assert theirs.momentum == momentum
        assert ours.trainable_params == sum(p.numel() for p in theirs.parameters())
        assert ours.non_trainable_params == sum(b.numel() for n, b in theirs.named_buffers()
                                                if n.startswith("running_"))
        assert ours.output_shape == tuple(theirs.train()(torch.ones(2, *shape)).shape[1:])
        layer = ours.layers[0].layer
        assert type(layer)(**layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(sc.LayerArgumentError, match=r"`momentum` must be a number, or None "
                                                    r"for a cumulative moving average"):
        getattr(nn, kind)(6, momentum="0.1")


def test_configs_rebuild_layers_and_substitute_symbols():
    layer = nn.Conv2d("C", 16, "k", stride=2, padding=1, bias=False)
    assert type(layer)(**layer.get_config()).get_config() == layer.get_config()
    model = nn.Sequential(layer, nn.MaxPool2d(2, ceil_mode=True), input_shape=("C", "H", "W"))
    numeric = model.subs(C=3, k=3, H=32, W=31)
    assert numeric.output_shape == (16, 8, 8)
    assert numeric.params == 3 * 9 * 16


def test_nested_sequential_without_input_shape_is_spliced_in():
    block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
    model = nn.Sequential(nn.Conv2d(3, 8, 1), block, nn.Flatten(), input_shape=(3, 4, 4))
    assert [r.type for r in model.layers] == ["Conv2d", "Conv2d", "ReLU", "Flatten"]
    assert model.output_shape == (128,)


@pytest.mark.parametrize("build, message", [
    (lambda: nn.GroupNorm(0, 8), r"GroupNorm: `num_groups`.*Received: num_groups=0"),
    (lambda: nn.GroupNorm(2, 0), r"GroupNorm: `num_channels`.*Received: num_channels=0"),
])
def test_bad_arguments_use_pytorchs_argument_names(build, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        build()


@pytest.mark.frameworks
@pytest.mark.parametrize("padding", ["causal", "full", "valid", "same"])
def test_conv1d_padding_words_are_those_torch_takes(padding):
    """nn.Conv1d(padding="causal") was taken (Keras' Conv1D word); PyTorch refuses it."""
    torch = require("torch")
    try:
        torch.nn.Conv1d(2, 4, 3, padding=padding)
        accepted = True
    except ValueError:
        accepted = False
    if accepted:
        assert nn.Conv1d(2, 4, 3, padding=padding)(sc.Input((2, 9))).shape[0] == 4
    else:
        with pytest.raises(sc.LayerArgumentError,
                           match=rf"Conv1d: `padding`.*Received: padding='{padding}'"):
            nn.Conv1d(2, 4, 3, padding=padding)


@pytest.mark.frameworks
def test_reflection_padding_is_refused_where_torch_refuses_it():
    """ReflectionPad2d(5) on a 4x4 input gave (3, 14, 14) where PyTorch refuses the call
    (a pad must be smaller than its axis); with symbols no condition was recorded."""
    torch = require("torch")
    for pad in (1, 3, (1, 3, 2, 0)):
        for size in range(1, 6):
            try:
                torch.nn.ReflectionPad2d(pad)(torch.zeros(1, 2, size, size))
                accepted = True
            except RuntimeError:
                accepted = False
            model = lambda: sc.nn.Sequential(sc.nn.ReflectionPad2d(pad),  # noqa: E731
                                             input_shape=(2, size, size))
            if accepted:
                model()
            else:
                with pytest.raises(sc.ShapeError, match="reflection padding by"):
                    model()
    symbolic = sc.nn.Sequential(sc.nn.ReflectionPad2d((1, 3, 2, 0)), input_shape=(2, "H", "W"))
    assert set(map(str, symbolic.constraints)) == {"H >= 3", "W >= 4"}


@pytest.mark.frameworks
def test_embedding_padding_idx_is_an_index_where_torch_says_so():
    """padding_idx=7 on 5 embeddings was accepted; PyTorch asserts it is an index."""
    torch = require("torch")
    for index in (-6, -5, 0, 4, 5, 7):
        try:
            torch.nn.Embedding(5, 3, padding_idx=index)
            accepted = True
        except (AssertionError, IndexError):
            accepted = False
        make = lambda: nn.Embedding(5, 3, padding_idx=index)  # noqa: E731
        if accepted:
            assert make().get_config()["padding_idx"] == index
        else:
            with pytest.raises(sc.LayerArgumentError, match=r"`padding_idx` must be an index"):
                make()
