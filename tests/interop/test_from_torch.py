"""sc.from_torch: torch.fx tracing of plain PyTorch modules, graphs included.

Counts are compared with ``parameters()`` and shapes with real forward passes at random
sizes (odd ones included), for the numeric import and for the closed forms on ``H, W``.
"""

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

H, W = sc.symbols("H W")


def torch_modules():
    """Modules defined only once torch is importable."""
    torch = require("torch")
    tnn, F = torch.nn, torch.nn.functional

    class SqueezeExcite(tnn.Module):
        def __init__(self, channels):
            super().__init__()
            self.reduce = tnn.Conv2d(channels, channels // 4, 1)
            self.expand = tnn.Conv2d(channels // 4, channels, 1)

        def forward(self, x):
            gate = torch.sigmoid(self.expand(F.relu(self.reduce(x.mean((2, 3), keepdim=True)))))
            return x * gate

    class Everything(tnn.Module):
        """Convolutions of every kind, pooling of every kind, merges, views, functions."""

        def __init__(self):
            super().__init__()
            self.stem = tnn.Sequential(tnn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
                                       tnn.BatchNorm2d(16), tnn.ReLU(inplace=True))
            self.depthwise = tnn.Conv2d(16, 16, 3, padding=1, groups=16)
            self.dilated = tnn.Conv2d(16, 8, 3, padding=2, dilation=2)
            self.norm = tnn.GroupNorm(4, 24)
            self.se = SqueezeExcite(24)
            self.pool = tnn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.avg = tnn.AvgPool2d(2, padding=1)
            self.up = tnn.ConvTranspose2d(24, 8, 4, stride=2, padding=1)
            self.head = tnn.AdaptiveAvgPool2d((2, 3))
            self.drop = tnn.Dropout(0.2)
            self.fc = tnn.Linear(8 * 2 * 3, 10)

        def forward(self, x):
            x = self.stem(x)
            x = F.gelu(self.depthwise(x)) + x
            x = torch.cat([x, F.leaky_relu(self.dilated(x), 0.1)], dim=1)
            x = self.se(self.norm(x))
            skip = self.avg(x)
            x = F.pad(self.pool(x), (0, 1, 1, 0))
            y = self.up(x)
            flat = torch.flatten(self.head(y), 1)
            logits = self.fc(self.drop(flat))
            z = F.max_pool2d(skip, 2, ceil_mode=True)
            return logits, z.view(z.size(0), -1), y.permute(0, 2, 3, 1)

    return torch, Everything, SqueezeExcite


def torch_shapes(torch, module, shape):
    module.eval()
    with torch.no_grad():
        out = module(torch.zeros(1, *shape))
    out = out if isinstance(out, tuple) else (out,)
    return [tuple(t.shape[1:]) for t in out]


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_resnet50_written_in_plain_torch_gives_the_published_count_and_ceiling_h_over_32():
    torch = require("torch")
    from ..support.torch_models import resnet50

    net = resnet50()
    model = sc.from_torch(net, input_shape=(3, "H", "W"))
    assert model.trainable_params == count(net) == 25_557_032
    assert model.non_trainable_params == 2 * sum(m.num_features for m in net.modules()
                                                 if isinstance(m, torch.nn.BatchNorm2d))
    assert model.get_layer("layer4.2.conv3").output_shape == (2048, sympy.ceiling(H / 32),
                                                              sympy.ceiling(W / 32))
    assert model.output_shape == (1000,)
    assert model.constraints == []
    for h, w in ((33, 65), (97, 64)):
        with torch.no_grad():
            features = net.features(torch.zeros(1, 3, h, w))
        expected = tuple(features.shape[1:])
        assert tuple(d.subs({H: h, W: w}) for d in model.get_layer("layer4.2.conv3").output_shape) == expected


def test_graph_model_with_functions_matches_torch_forward_numerically_and_symbolically():
    torch, Everything, _ = torch_modules()
    net = Everything()
    symbolic = sc.from_torch(net, input_shape=(3, "H", "W"))
    assert symbolic.trainable_params == count(net)

    @settings(max_examples=25, deadline=None)
    @given(h=st.integers(8, 70), w=st.integers(8, 70))
    def agree(h, w):
        expected = torch_shapes(torch, net, (3, h, w))
        numeric = sc.from_torch(net, input_shape=(3, h, w))
        assert [tuple(int(d) for d in s) for s in numeric.output_shape] == expected
        point = {H: h, W: w}
        assert all(bool(c.xreplace(point)) for c in symbolic.constraints)
        assert [tuple(sympy.sympify(d).xreplace(point) for d in s)
                for s in symbolic.output_shape] == expected

    agree()


def test_layers_are_named_by_module_path_and_functions_by_graph_node():
    torch, Everything, _ = torch_modules()
    model = sc.from_torch(Everything(), input_shape=(3, 32, 32))
    names = [r.name for r in model.layers if r.type != "InputLayer"]
    assert names[:3] == ["stem.0", "stem.1", "stem.2"]
    assert {"se.reduce", "se.expand", "cat", "add", "flatten", "view", "permute"} <= set(names)
    assert model.get_layer("cat").type == "Concatenate"
    assert model.get_layer("stem.0").type == "Conv2d"


def test_a_module_called_twice_is_counted_once_like_parameters():
    torch = require("torch")

    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(8, 8, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x))

    net = Twice()
    model = sc.from_torch(net)
    assert model.input_shape == (8, H, W)  # read from the first Conv2d
    assert model.params == count(net) == 584
    assert model.get_layer("conv").calls == 2


def test_frozen_modules_are_non_trainable():
    torch = require("torch")
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    for p in net[0].parameters():
        p.requires_grad_(False)
    model = sc.from_torch(net)
    assert (model.trainable_params, model.non_trainable_params) == (8, 15)


def test_every_unsupported_operation_is_listed_at_once_with_where_it_occurs():
    torch = require("torch")
    F = torch.nn.functional

    class Custom(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.rnn = torch.nn.RNNCell(4, 4)

        def forward(self, x):
            y = x * self.scale.exp()
            y = self.rnn(y.flatten(2))
            return F.conv1d(y, torch.ones(4, 4, 1))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)
            self.block = Custom()

        def forward(self, x):
            return torch.matmul(self.block(self.conv(x)), torch.ones(4, 4))

    with pytest.raises(sc.ConversionError) as info:
        sc.from_torch(Net())
    message = str(info.value)
    lines = [line for line in message.splitlines() if line.startswith("  - ")]
    assert message.startswith(f"from_torch: {len(lines)} operations have no symcnn equivalent")
    assert any("method .exp() (node 'exp') in module 'block' at test_from_torch.py:" in l and
               "y = x * self.scale.exp()" in l for l in lines)
    assert any("module 'block.rnn'" in l and "torch.nn.modules.rnn.RNNCell" in l for l in lines)
    assert any("conv1d" in l and "in module 'block'" in l for l in lines)
    assert any("torch.matmul" in l for l in lines)
    assert message.endswith(f"Received: {len(lines)} unsupported operations")


def test_python_control_flow_on_sizes_is_a_clear_error():
    torch = require("torch")

    class Branchy(torch.nn.Module):
        def forward(self, x):
            return x if x.size(2) > 8 else x * 2

    with pytest.raises(sc.ConversionError, match="could not trace Branchy.forward.*control flow"):
        sc.from_torch(Branchy(), input_shape=(3, "H", "W"))


def test_a_reshape_that_cannot_fit_says_where():
    torch = require("torch")

    class LeNetHead(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 16, 5)

        def forward(self, x):
            return self.conv(x).view(-1, 16 * 5 * 5)

    assert sc.from_torch(LeNetHead(), input_shape=(1, 9, 9)).output_shape == (400,)
    with pytest.raises(sc.ShapeError, match=r"method \.view\(\) \(node 'view'\) at "
                                            r"test_from_torch\.py:\d+: .*cannot reshape"):
        sc.from_torch(LeNetHead(), input_shape=(1, 28, 28))


def test_input_shape_is_required_when_the_first_layer_does_not_tell():
    torch = require("torch")
    with pytest.raises(sc.ConversionError, match="pass input_shape"):
        sc.from_torch(torch.nn.ReLU())
    with pytest.raises(sc.ConversionError, match="expected a torch.nn.Module"):
        sc.from_torch("not a module", input_shape=(3,))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=150, deadline=None)
@given(spec=st.deferred(lambda: _torch_specs()))
def test_random_torch_models_import_with_parameters_and_forward_shapes(spec):
    torch = require("torch")
    from ..crosscheck.torch_specs import build_torch

    net = build_torch(spec).train()
    with torch.no_grad():  # batch of 2: GroupNorm and BatchNorm refuse single values
        tensors = net(torch.randn(2, *spec["input"]))
    model = sc.from_torch(net, input_shape=spec["input"])
    assert model.trainable_params == count(net)
    shapes = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    assert shapes == [tuple(t.shape[1:]) for t in tensors.values()]


def _torch_specs():
    from ..crosscheck.torch_specs import torch_models

    return torch_models()


def test_parameters_shared_between_modules_are_an_error_not_a_double_count():
    torch = require("torch")

    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(5, 5), torch.nn.Linear(5, 5)
            self.b.weight = self.a.weight  # tied: parameters() holds it once (35, not 60)

        def forward(self, x):
            return self.b(self.a(x))

    with pytest.raises(sc.ConversionError, match=r"shares parameters between modules "
                                                 r"\(a\.weight = b\.weight\)"):
        sc.from_torch(Tied(), input_shape=(5,))

    class Twice(torch.nn.Module):  # one module called twice: its weights once, as torch
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(5, 5)

        def forward(self, x):
            return self.a(self.a(x))

    net = Twice()
    assert sc.from_torch(net, (5,)).params == sum(p.numel() for p in net.parameters()) == 30


def test_a_single_torch_layer_is_a_model_of_that_layer():
    torch = require("torch")
    conv = torch.nn.Conv2d(3, 8, 3, stride=2)
    model = sc.from_torch(conv)
    assert [r.name for r in model.layers] == ["input", "conv2d"] and model.name == "Conv2d"
    assert model.params == sum(p.numel() for p in conv.parameters())
    assert model.subs(H=32, W=31).output_shape == tuple(conv(torch.zeros(1, 3, 32, 31)).shape[1:])


@pytest.mark.parametrize("shape", [3, "3,H,W", (), []])
def test_an_input_shape_that_is_not_a_tuple_is_named(shape):
    torch = require("torch")
    with pytest.raises(sc.ConversionError, match=r"`input_shape` is a tuple such as"):
        sc.from_torch(torch.nn.Linear(3, 2), input_shape=shape)


def test_several_input_shapes_may_be_a_list_or_a_tuple_of_tuples():
    torch = require("torch")

    class Sum(torch.nn.Module):
        def forward(self, x, y):
            return x + y

    for shapes in ([(5, "L"), (5, "L")], ((5, "L"), (5, "L"))):
        assert sc.from_torch(Sum(), input_shape=shapes).output_shape == (5, sc.symbols("L"))


def test_embeddings_cross_both_ways_with_pytorch_counts_and_shapes():
    """``nn.Embedding`` imports (it was refused) and ``Embedding`` exports, on ids of any
    dtype; counts equal ``parameters()``, shapes the forward pass, and the symbolic length
    gives the numeric builds."""
    torch = require("torch")
    net = torch.nn.Sequential(torch.nn.Embedding(100, 12, padding_idx=0),
                              torch.nn.Flatten(), torch.nn.Linear(12 * 5, 4))
    net[0].weight.requires_grad_(False)
    ours = sc.from_torch(net, input_shape=(5,))
    assert ours.trainable_params == sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert ours.non_trainable_params == 1200 and ours.output_shape == (4,)
    model = sc.Sequential([sc.Input(("T",)), sc.Embedding(50, 16), sc.Conv1D(8, 3),
                           sc.GlobalAveragePooling1D(), sc.Dense(3)])
    exported = model.subs(T=7).to_torch()
    assert sum(p.numel() for p in exported.parameters()) == model.params
    ids = torch.randint(0, 50, (2, 7))
    assert tuple(exported(ids).shape) == (2, 3) == tuple(exported(ids.float()).shape)
    again = sc.from_torch(exported, input_shape=("T",))
    assert again.params == model.params and again.layers[1].output_shape == (sc.symbols("T"), 16)
    named = sc.nn.Sequential(sc.nn.Embedding(10, 4, padding_idx=0), input_shape=("T",))
    module = named.subs(T=3).to_torch()
    assert module.embedding.padding_idx == 0 and module.embedding.weight.shape == (10, 4)


@pytest.mark.frameworks
def test_functional_pad_keeps_its_mode_and_value():
    """F.pad(x, ..., mode="reflect") and F.pad(x, ..., value=3.0) became zero padding: same
    shapes and counts, silently another function. The mode and value are kept (the export
    computes what the module does), circular padding too (``nn.CircularPad2d``)."""
    torch = require("torch")
    F = torch.nn.functional

    def module(**options):
        class Pad(torch.nn.Module):
            def forward(self, x):
                return F.pad(x, (1, 1, 2, 0), **options)
        return Pad()

    x = torch.randn(1, 3, 8, 8)
    for options, kind in (({"mode": "reflect"}, "ReflectionPad2d"), ({"value": 3.0},
                          "ConstantPad2d"), ({"mode": "replicate"}, "ReplicationPad2d"),
                          ({}, "ZeroPad2d"), ({"mode": "circular"}, "CircularPad2d")):
        model = sc.from_torch(module(**options), input_shape=(3, 8, 8))
        assert model.layers[-1].type == kind
        assert torch.equal(model.to_torch()(x), module(**options)(x))


@pytest.mark.frameworks
def test_circular_padding_counts_as_pytorch_and_refuses_wrapping_twice():
    torch = require("torch")
    for pad in (1, (2, 0, 1, 3), -1):
        module = torch.nn.CircularPad2d(pad)
        model = sc.from_torch(torch.nn.Sequential(module, torch.nn.Conv2d(3, 4, 3)),
                              input_shape=(3, 5, 6))
        assert model.output_shape == tuple(
            torch.nn.Sequential(module, torch.nn.Conv2d(3, 4, 3))(torch.zeros(1, 3, 5, 6))
            .shape[1:])
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        torch.nn.CircularPad2d(2)(torch.zeros(1, 3, 1, 4))
    with pytest.raises(sc.ShapeError, match=r"circular padding by 2 needs at least 2 "
                                            r"elements.*dim 2 has 1"):
        sc.Sequential([sc.Input((3, 1, 4)), sc.nn.CircularPad2d(2)])


@pytest.mark.frameworks
def test_a_pad_computed_from_two_sizes_crops_where_it_is_negative():
    """F.pad(x, (0, 0, 0, W - H)) squares a map: it pads where W > H and crops where W < H,
    as PyTorch does with a negative amount. The closed form (W rows) held both ways, but
    model.subs(H=8, W=5) refused `padding=-3` although a number -3 was accepted."""
    torch = require("torch")

    class Square(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.pad(x, (0, 0, 0, x.shape[3] - x.shape[2]))

    model = sc.from_torch(Square(), input_shape=(3, "H", "W"))
    for h, w in ((5, 8), (8, 5), (6, 6)):
        expected = tuple(Square()(torch.zeros(1, 3, h, w)).shape[1:])
        assert model.subs(H=h, W=w).output_shape == expected
        assert sc.from_torch(Square(), input_shape=(3, h, w)).output_shape == expected


@pytest.mark.frameworks
def test_a_pytorch_named_embedding_exports_taking_float_ids():
    """docs/bridges.md: the export casts ids with .long(), so a float tensor of ids works;
    only the Keras-named Embedding did, nn.Embedding raised torch's dtype error."""
    torch = require("torch")
    ids = torch.tensor([[1.0, 2.0, 3.0]])
    for model in (sc.nn.Sequential(sc.nn.Embedding(20, 4), input_shape=(3,)),
                  sc.from_torch(torch.nn.Embedding(20, 4), input_shape=(3,))):
        net = model.to_torch()
        assert torch.equal(net(ids), net(ids.long()))
        assert tuple(net(ids).shape) == (1, 3, 4)


@pytest.mark.frameworks
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("mode", ["reflect", "circular", "replicate", "zeros"])
def test_wrapping_padding_modes_are_refused_where_torch_refuses_them(mode):
    """Conv2d(padding_mode="reflect") on 3 rows with padding 3 gave (4, 3, 3) where PyTorch
    refuses the call (a reflection pad must be smaller than the input; a circular one at
    most as large), and with symbols recorded no condition. Checked against PyTorch for
    explicit and "same" padding; the closed form holds exactly where PyTorch accepts."""
    torch = require("torch")
    for options in ({"kernel_size": 7, "padding": 3}, {"kernel_size": 3, "padding": (1, 2)},
                    {"kernel_size": 6, "padding": "same"}):
        conv = torch.nn.Conv2d(3, 4, padding_mode=mode, **options)
        model = sc.from_torch(conv, input_shape=(3, "H", "W"))
        for h in range(1, 6):
            for w in (1, 2, 4, 7):
                try:
                    expected = tuple(conv(torch.zeros(1, 3, h, w)).shape[1:])
                except RuntimeError:
                    expected = None
                try:
                    got = sc.from_torch(conv, input_shape=(3, h, w)).output_shape
                except sc.ShapeError as err:
                    got = None
                    assert re.search(r"(reflection|circular) padding by \d+ needs .* dim "
                                     r"[23] has", str(err)), str(err)
                assert got == expected, (options, h, w)
                holds = all(bool(c.subs({H: h, W: w})) for c in model.constraints)
                assert holds == (expected is not None), (options, h, w)


@pytest.mark.frameworks
def test_reflection_padding_messages_number_dims_as_torch_does():
    """The reflection padding error said "spatial axis 0" for PyTorch's dim 2."""
    torch = require("torch")
    F = torch.nn.functional

    class Pad(torch.nn.Module):
        def forward(self, x):
            return F.pad(x, (1, 5, 0, 0), mode="reflect")  # the last dim, 3

    with pytest.raises(sc.ShapeError, match=r"reflection padding by 5 needs more than 5 "
                                            r"elements .* but dim 3 has 4"):
        sc.from_torch(Pad(), input_shape=(3, 8, 4))
    assert [str(c) for c in sc.from_torch(Pad(), input_shape=(3, "H", "W")).constraints] == \
        ["W >= 6"]


def test_batch_norm_with_momentum_none_crosses_both_ways():
    """``nn.BatchNorm2d(momentum=None)`` (a cumulative moving average) was refused by
    from_torch ("`momentum` must be a number"); it imports with PyTorch's counts, and
    to_torch gives back a module with momentum=None."""
    torch = require("torch")
    tnn = torch.nn
    module = tnn.Sequential(tnn.Conv2d(3, 8, 3), tnn.BatchNorm2d(8, momentum=None), tnn.ReLU())
    model = sc.from_torch(module, input_shape=(3, "H", "W"))
    buffers = sum(b.numel() for n, b in module.named_buffers() if "running_" in n)
    assert model.trainable_params == sum(p.numel() for p in module.parameters())
    assert model.non_trainable_params == buffers
    assert model.get_layer("1").layer.get_config()["momentum"] is None
    back = model.subs(H=9, W=9).to_torch()
    norms = [m for m in back.modules() if isinstance(m, tnn.BatchNorm2d)]
    assert [m.momentum for m in norms] == [None]
    assert sum(p.numel() for p in back.parameters()) == model.trainable_params
    assert tuple(back(torch.ones(2, 3, 9, 9)).shape[1:]) == model.subs(H=9, W=9).output_shape


def test_a_linear_after_a_flattened_free_map_counts_the_module_s_parameters():
    """``Linear(14400, 10)`` after ``Flatten`` of a ``16*(H - 2)*(W - 2)`` map: PyTorch's module
    holds 144,010 parameters whatever H and W (the condition ties the map to 14,400); the
    count and the MACs are the module's, not ``160*(H - 2)*(W - 2) + 10``."""
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(16 * 30 * 30, 10))
    model = sc.from_torch(net, input_shape=(3, "H", "W"))
    linear = model.layers[-1]
    assert linear.params == sum(p.numel() for p in net[3].parameters())
    assert model.params == sum(p.numel() for p in net.parameters())
    counter = FlopCounterMode(display=False)
    with counter:
        net(torch.zeros(1, 3, 32, 32))
    H, W = sorted(model.free_symbols, key=str)
    assert sympy.sympify(model.macs).xreplace({H: 32, W: 32}) == counter.get_total_flops() // 2
    assert not sympy.sympify(linear.macs).free_symbols
