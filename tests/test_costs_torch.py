"""MACs and FLOPs agree with PyTorch's own FlopCounterMode (its FLOPs / 2) and with ptflops.

Every comparison builds the same network twice, in symcnn and in plain torch.nn, and counts
the torch one with the real tool on the meta device (shapes only, no arithmetic).
"""

import pytest
from hypothesis import assume, given, settings, strategies as st

import symcnn as sc

from .conftest import require
from .support.chains import chain, to_symcnn, to_torch
from .support.symcnn_resnet import resnet50 as symcnn_resnet50

pytestmark = pytest.mark.frameworks


def flop_counter_macs(module, input_shape) -> int:
    """FLOPs that torch.utils.flop_counter.FlopCounterMode counts, halved (it counts 2 per MAC)."""
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    module = module.to("meta").eval()
    with FlopCounterMode(display=False) as counter:
        module(torch.empty((1, *input_shape), device="meta"))
    total = counter.get_total_flops()
    assert total % 2 == 0
    return total // 2


def build_pair(specs, channels, spatial, head=None):
    """The chain in symcnn (None when its sizes are invalid) and in torch."""
    shape = (channels, *spatial)
    try:
        model = to_symcnn(specs, shape)
        if head is not None:
            flat = sc.costs.elements(model.output_shape)
            model = to_symcnn(specs, shape, head=head)
    except sc.ShapeError:
        return None, None
    module = to_torch(specs, channels, len(spatial), head_in=int(flat) if head else None,
                      head=head)
    return model, module


@settings(max_examples=60)
@given(chain(rank=2, max_layers=4), st.tuples(st.integers(1, 23), st.integers(1, 23)),
       st.one_of(st.none(), st.integers(1, 7)))
def test_conv_and_dense_macs_equal_flop_counter_mode_on_random_2d_chains(drawn, spatial, head):
    specs, channels = drawn
    model, module = build_pair(specs, channels, spatial, head)
    assume(model is not None)
    assert model.macs == flop_counter_macs(module, (channels, *spatial))
    assert model.flops == 2 * model.macs


@settings(max_examples=40)
@given(chain(rank=1, max_layers=3, kinds=("conv", "pool")), st.integers(1, 40))
def test_conv1d_macs_equal_flop_counter_mode(drawn, length):
    specs, channels = drawn
    model, module = build_pair(specs, channels, (length,))
    assume(model is not None)
    assert model.macs == flop_counter_macs(module, (channels, length))


@settings(max_examples=25)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 9),
       st.integers(1, 5), st.integers(4, 15))
def test_depthwise_and_separable_macs_equal_torch_grouped_then_pointwise(
        channels, multiplier, k, filters, stride, size):
    torch = require("torch")
    nn = torch.nn
    x = sc.Input((channels, size, size))
    common = dict(strides=stride, data_format="channels_first")
    depthwise = sc.Model(x, sc.DepthwiseConv2D(k, depth_multiplier=multiplier, **common)(x))
    separable = sc.Model(
        x, sc.SeparableConv2D(filters, k, depth_multiplier=multiplier, **common)(x))
    dw = nn.Conv2d(channels, channels * multiplier, k, stride=stride, groups=channels)
    pw = nn.Conv2d(channels * multiplier, filters, 1)
    assert depthwise.macs == flop_counter_macs(dw, (channels, size, size))
    assert separable.macs == flop_counter_macs(nn.Sequential(dw, pw), (channels, size, size))


@settings(max_examples=30)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=3), st.integers(1, 9), st.integers(1, 5))
def test_dense_on_a_rank_3_tensor_counts_every_row_as_torch_linear(lead, features, units):
    torch = require("torch")
    model = sc.Sequential([sc.Input((*lead, features)), sc.Dense(units)])
    assert model.macs == flop_counter_macs(torch.nn.Linear(features, units), (*lead, features))


def torch_resnet50():
    torch = require("torch")
    from .support.torch_models import resnet50

    with torch.device("meta"):
        return resnet50()


def test_resnet50_macs_equal_flop_counter_mode_at_224():
    model = symcnn_resnet50(224, 224)
    assert model.trainable_params == 25_557_032
    assert model.macs == flop_counter_macs(torch_resnet50(), (3, 224, 224))


SYMBOLIC_RESNET = {}


def symbolic_resnet_macs():
    if not SYMBOLIC_RESNET:
        SYMBOLIC_RESNET["macs"] = symcnn_resnet50("H", "W").macs
    return SYMBOLIC_RESNET["macs"]


@settings(max_examples=8)
@given(st.integers(32, 300), st.integers(32, 300))
def test_resnet50_closed_form_macs_equal_flop_counter_mode_at_any_size(h, w):
    macs = symbolic_resnet_macs()
    H, W = sorted(macs.free_symbols, key=str)
    assert macs.subs({H: h, W: w}) == flop_counter_macs(torch_resnet50(), (3, h, w))


# --------------------------------------------------------------------------------- ptflops


def ptflops_count(module, input_shape) -> int:
    """ptflops' PyTorch backend (module hooks only; see docs/costs.md on count_functional)."""
    require("torch")
    ptflops = require("ptflops")
    macs, _ = ptflops.get_model_complexity_info(
        module.eval(), tuple(input_shape), as_strings=False, print_per_layer_stat=False,
        backend="pytorch", backend_specific_config={"count_functional": False})
    return macs


@settings(max_examples=40)
@given(chain(rank=2, max_layers=4, transposed=False,
             kinds=("conv", "pool", "bn", "relu", "act", "upsample")),
       st.tuples(st.integers(2, 16), st.integers(2, 16)),
       st.one_of(st.none(), st.integers(1, 5)))
def test_ptflops_convention_equals_ptflops_on_random_chains(drawn, spatial, head):
    specs, channels = drawn
    model, module = build_pair(specs, channels, spatial, head)
    assume(model is not None)
    assert sc.costs.flops(model, "ptflops") == ptflops_count(module, (channels, *spatial))


def test_ptflops_convention_equals_ptflops_on_resnet50():
    expected = ptflops_count(torch_resnet50(), (3, 224, 224))  # on the meta device
    assert sc.costs.flops(symcnn_resnet50(224, 224), "ptflops") == expected


@pytest.mark.parametrize("case", ["prelu", "upsample_by", "upsample_to", "upsample_bilinear"])
def test_ptflops_convention_counts_prelu_and_upsample_as_ptflops_does(case):
    """``nn.PReLU`` and ``nn.Upsample`` counted 0 beyond their MACs; ptflops' hooks count one
    per output element (16 against 24 for two PReLUs after a Linear)."""
    torch = require("torch")
    tnn = torch.nn
    if case == "prelu":
        module, shape = tnn.Sequential(tnn.Linear(3, 4), tnn.PReLU(), tnn.PReLU(4)), (3,)
    else:
        up = {"upsample_by": {"scale_factor": 2}, "upsample_to": {"size": (7, 9)},
              "upsample_bilinear": {"scale_factor": 2, "mode": "bilinear"}}[case]
        module, shape = tnn.Sequential(tnn.Conv2d(3, 4, 1), tnn.Upsample(**up)), (3, 5, 5)
    model = sc.from_torch(module, input_shape=shape)
    assert sc.costs.flops(model, "ptflops") == ptflops_count(module, shape)


# The "ptflops" convention counts recurrent layers and attention by their MACs alone; ptflops'
# own hooks for them count more, by the rules docs/costs.md states. These check the rules
# against ptflops itself (the per-unit terms are read from the module's configuration).

_PER_UNIT = {"RNN": (1, 1), "GRU": (7, 3), "LSTM": (10, 4)}  # element-wise ops, gates


def first_output(module):
    """``module`` returning its first output only (what ``sc.from_torch`` traces)."""
    torch = require("torch")

    class First(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, x):
            return self.inner(x)[0]

    return First()


def attend(module):
    """An ``nn.MultiheadAttention`` of queries ``q`` over keys and values ``kv``."""
    torch = require("torch")

    class Attend(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, q, kv):
            return self.inner(q, kv, kv, need_weights=False)[0]

    return Attend()


def ptflops_inputs(module, shapes) -> int:
    """ptflops' count for a module of several inputs, given by their shapes (batch 1)."""
    torch = require("torch")
    ptflops = require("ptflops")
    names = ("q", "kv")
    macs, _ = ptflops.get_model_complexity_info(
        module.eval(), (1,), as_strings=False, print_per_layer_stat=False, backend="pytorch",
        input_constructor=lambda _: {n: torch.ones(1, *s) for n, s in zip(names, shapes)},
        backend_specific_config={"count_functional": False})
    return macs


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(_PER_UNIT)), st.integers(1, 5), st.integers(1, 6),
       st.integers(1, 6), st.integers(1, 3), st.booleans(), st.booleans(), st.booleans())
def test_recurrent_modules_count_their_macs_and_ptflops_adds_the_documented_terms(
        kind, steps, features, hidden, layers, bidirectional, bias, project):
    torch = require("torch")
    proj = hidden - 1 if project and kind == "LSTM" and hidden > 1 else 0
    module = getattr(torch.nn, kind)(features, hidden, num_layers=layers, bias=bias,
                                     bidirectional=bidirectional, batch_first=True,
                                     **({"proj_size": proj} if proj else {}))
    model = sc.from_torch(first_output(module), input_shape=(steps, features))
    assert sc.costs.flops(model, "ptflops") == model.macs
    elementwise, gates = _PER_UNIT[kind]
    runs = steps * (2 if bidirectional else 1) * layers  # a step of one direction of a layer
    extra = runs * (elementwise * hidden + (2 * gates * hidden if bias else 0) - proj * hidden)
    assert ptflops_count(first_output(module), (steps, features)) == model.macs + extra


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 6), st.integers(1, 6),
       st.booleans())
def test_attention_counts_its_macs_and_ptflops_adds_the_documented_terms(
        heads, head_width, queries, keys, bias):
    torch = require("torch")
    width = heads * head_width
    module = torch.nn.MultiheadAttention(width, heads, bias=bias, batch_first=True)
    wrapped = attend(module)
    model = sc.from_torch(wrapped, input_shape=[(queries, width), (keys, width)])
    assert sc.costs.flops(model, "ptflops") == model.macs
    extra = 2 * queries * width + heads * queries * keys + \
        ((queries + 2 * keys) * width if bias else 0)
    assert ptflops_inputs(wrapped, [(queries, width), (keys, width)]) == model.macs + extra
