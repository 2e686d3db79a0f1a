"""from_torch's modern blocks on small plain-torch modules, against real forward passes:
chunk, strided slices, padding to a multiple, parameters read in forward, einsum, asserts."""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

H, W = sc.symbols("H W")


def _forward_shapes(torch, net, shape):
    with torch.no_grad():
        out = net(torch.zeros(1, *shape))
    out = out if isinstance(out, tuple) else (out,)
    return [tuple(t.shape[1:]) for t in out]


def _at(model, point):
    shapes = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    return [tuple(sympy.sympify(d).xreplace(point) for d in s) for s in shapes]


@settings(max_examples=20, deadline=None)
@given(channels=st.integers(1, 12), chunks=st.integers(1, 5), h=st.integers(2, 9),
       w=st.integers(2, 9), starts=st.tuples(st.integers(0, 1), st.integers(0, 2)),
       steps=st.tuples(st.integers(1, 3), st.integers(1, 3)))
def test_chunk_strided_slices_and_padding_match_torch(channels, chunks, h, w, starts, steps):
    torch = require("torch")

    n = len(range(0, channels, -(-channels // chunks)))  # torch may give fewer chunks

    class Net(torch.nn.Module):
        def forward(self, x):
            pieces = x.chunk(chunks, dim=1)
            y = x.permute(0, 2, 3, 1)[..., starts[0]::steps[0], starts[1]::steps[1], :]
            return (*[pieces[i] for i in range(n)], y)

    net = Net()
    model = sc.from_torch(net, input_shape=(channels, "H", "W"))
    expected = _forward_shapes(torch, net, (channels, h, w))
    point = {H: h, W: w}
    holds = all(bool(c.xreplace(point)) for c in model.constraints)
    nonempty = all(0 not in s for s in expected)
    assert holds == nonempty
    if holds:
        assert _at(model, point) == expected


def test_parameters_read_in_forward_are_weights_of_their_owner():
    torch = require("torch")

    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(8, 8, 3, padding=1)
            self.gamma = torch.nn.Parameter(torch.ones(8, 1, 1))
            self.offset = torch.nn.Parameter(torch.zeros(1, 8, 5, 5))

        def forward(self, x):
            return self.gamma * self.conv(x) + self.offset

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Scaled()

        def forward(self, x):
            return self.block(x)

    net = Net()
    net.block.offset.requires_grad_(False)
    model = sc.from_torch(net, input_shape=(8, "H", "W"))
    assert model.get_layer("block.gamma").type == "ParameterMul"
    assert model.get_layer("block.offset").type == "ParameterAdd"
    assert model.trainable_params == sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert model.non_trainable_params == 200
    assert model.constraints == [sympy.Eq(H, 5), sympy.Eq(W, 5)]
    with pytest.raises(sc.ShapeError, match="needs 5 on axis 2"):
        sc.from_torch(net, input_shape=(8, 6, 5))


def test_a_parameter_read_twice_or_used_otherwise_is_reported():
    torch = require("torch")

    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gamma = torch.nn.Parameter(torch.ones(4, 1, 1))

        def forward(self, x):
            return self.gamma * x + self.gamma.exp()

    with pytest.raises(sc.ConversionError) as info:
        sc.from_torch(Twice(), input_shape=(4, "H", "W"))
    assert "method .exp() (node 'exp')" in str(info.value)

    class Again(Twice):
        def forward(self, x):
            return self.gamma * (self.gamma * x)

    with pytest.raises(sc.ConversionError, match="'gamma' read a second time in forward"):
        sc.from_torch(Again(), input_shape=(4, "H", "W"))


def test_size_asserts_become_constraints_or_errors():
    torch = require("torch")

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)

        def forward(self, x):
            torch._assert(x.shape[2] == 8, "Wrong height!")
            return self.fc(x.mean((2, 3)))

    model = sc.from_torch(Fixed(), input_shape=(3, "H", 8))
    assert sympy.Eq(H, 8) in model.constraints
    with pytest.raises(sc.ShapeError, match="Wrong height!"):
        sc.from_torch(Fixed(), input_shape=(3, 9, 8))


def test_einsum_of_two_tensors_counts_like_flop_counter_mode():
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    class Attend(torch.nn.Module):
        def forward(self, x):
            q = x.permute(0, 2, 3, 1)  # B, H, W, C
            scores = torch.einsum("b h i c, b h j c -> b h i j", q, q)
            return torch.einsum("bhij,bhjc->bhic", scores.softmax(-1), q)

    net = Attend()
    model = sc.from_torch(net, input_shape=(6, "H", "W"))
    assert model.output_shape == (H, W, 6)
    with FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 6, 5, 7))
    assert model.macs.xreplace({H: 5, W: 7}) == counter.get_total_flops() // 2
    with pytest.raises(sc.LayerArgumentError, match="every index in the result or in both"):
        sc.nn.Einsum("bij,bjk->bk")


@pytest.mark.parametrize("E, heads, kdim, vdim, bias", [(16, 4, 10, 6, True), (12, 3, 12, 5, False)])
def test_cross_attention_with_kdim_and_vdim_counts_as_torch(E, heads, kdim, vdim, bias):
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    class Cross(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.MultiheadAttention(E, heads, kdim=kdim, vdim=vdim, bias=bias,
                                                    batch_first=True)

        def forward(self, q, k, v):
            return self.attn(q, k, v)[0]

    net = Cross()
    model = sc.from_torch(net, input_shape=[(7, E), (9, kdim), (9, vdim)])
    q, k, v = torch.zeros(1, 7, E), torch.zeros(1, 9, kdim), torch.zeros(1, 9, vdim)
    with FlopCounterMode(display=False) as counter:
        out = net(q, k, v)
    assert model.params == sum(p.numel() for p in net.parameters())
    assert model.output_shape == tuple(out.shape[1:])
    assert model.macs == counter.get_total_flops() // 2


def test_returning_attention_weights_says_they_are_not_modelled():
    torch = require("torch")

    class Weights(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x)[1]

    with pytest.raises(sc.ConversionError, match="attention weights are not modelled"):
        sc.from_torch(Weights(), (5, 8))


def _slicing_net(torch, index):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x):
            return index(self.conv(x))
    return Net()


def _torch_shape(torch, net, shape):
    """The per-sample output shape, or None where PyTorch refuses or gives an empty tensor."""
    try:
        with torch.no_grad():
            out = tuple(net(torch.zeros(1, *shape)).shape[1:])
    except (IndexError, RuntimeError):
        return None
    return None if 0 in out else out


SIZES = [(h, w) for h in (1, 2, 3, 4, 7, 8, 9, 16, 99, 100, 101, 130) for w in (1, 2, 5, 8)]


def _matches_torch(torch, net, model, sizes=SIZES):
    """The numeric import, and the closed form where its constraints hold, equal PyTorch's
    shapes at each size; where the constraints fail, the closed form claims nothing."""
    for h, w in sizes:
        expected = _torch_shape(torch, net, (3, h, w))
        try:
            numeric = sc.from_torch(net, input_shape=(3, h, w)).output_shape
        except sc.ShapeError:
            numeric = None
        assert numeric == expected, (h, w)
        point = {H: h, W: w}
        if all(bool(c.xreplace(point)) for c in model.constraints):
            assert _at(model, point) == [expected], (h, w)


@pytest.mark.parametrize("index, shape, constraints", [
    (lambda x: x[:, :, : x.shape[2] // 2], "(4, floor(H/2), W)", {"H >= 2"}),
    (lambda x: x[..., : x.size(-1) - 1], "(4, H, W - 1)", {"W >= 2"}),
    (lambda x: x[..., -(x.size(-1) // 2):], "(4, H, floor(W/2))", {"W >= 2"}),
    (lambda x: x[:, :, : x.shape[2] // 2 : 2], "(4, floor((H + 2)/4), W)", {"H >= 2"}),
    (lambda x: x[:, :, x.shape[2] - 1], "(4, W)", set()),
    (lambda x: x[:, 1:, x.size(2) // 2 :, : x.size(3) - 1], "(3, H - floor(H/2), W - 1)",
     {"W >= 2"}),
])
def test_slice_bounds_computed_from_traced_sizes_are_closed_forms(index, shape, constraints):
    """x[:, :, : x.shape[2] // 2] was "an unsupported index": a bound computed from a traced
    size is now a size expression of the slice (nn.Slice, nn.StridedSlice), exact at every
    size PyTorch accepts, with the parameters of the layers around it."""
    torch = require("torch")
    net = _slicing_net(torch, index)
    model = sc.from_torch(net, input_shape=(3, "H", "W"))
    assert str(model.output_shape) == shape
    assert set(map(str, model.constraints)) == constraints
    assert model.trainable_params == sum(p.numel() for p in net.parameters()) == 112
    _matches_torch(torch, net, model)
    again = sc.model_from_spec(sc.model_to_spec(model))  # bounds as text in model files
    assert again.output_shape == model.output_shape
    assert again.constraints == model.constraints


@pytest.mark.parametrize("index, constraints", [
    (lambda x: x[:, :, :100], {"H >= 100"}),
    (lambda x: x[:, :, -100:], {"H >= 100"}),
    (lambda x: x[:, :, 3:100], {"H >= 100"}),
    (lambda x: x[:, :, 100:], {"H >= 101"}),
    (lambda x: x[:, :, :100:3], {"H >= 100"}),
    (lambda x: x[:, :100, :, -3], {"W >= 3"}),
])
def test_slices_past_the_end_are_clipped_as_torch_clips_them(index, constraints):
    """x[:, :, :100] on 8 rows was refused; PyTorch clips the slice (8 rows). Integer sizes
    clip exactly; with a symbol the unclipped closed form holds where the model says so
    (H >= 100), as for every condition symcnn records."""
    torch = require("torch")
    net = _slicing_net(torch, index)
    model = sc.from_torch(net, input_shape=(3, "H", "W"))
    assert set(map(str, model.constraints)) == constraints
    _matches_torch(torch, net, model)


def test_clipped_slices_export_with_the_shapes_torch_gives():
    """The exports place the bounds as the import does: Keras' Cropping2D got a negative
    amount for x[:, :, :100] on 8 rows."""
    torch = require("torch")
    require("keras")
    net = _slicing_net(torch, lambda x: x[:, :, 2:100, -100:-1])
    model = sc.from_torch(net, input_shape=(3, 8, 6))
    assert model.output_shape == (4, 6, 5)
    x = torch.randn(1, 3, 8, 6)
    exported = model.to_torch()
    exported.load_state_dict(net.state_dict())
    assert torch.equal(exported(x), net(x))
    assert tuple(model.to_keras().output_shape[1:]) == (4, 6, 5)


def test_indexing_errors_number_dims_as_torch_does():
    """Messages counted axes without the batch axis ("slicing axis 1" for dim 2); x[:, -6]
    on 4 channels gave one channel where PyTorch raises an IndexError."""
    torch = require("torch")
    cases = [(lambda x: x[:, :, 5:3], r"the slice of dim 2 would be empty"),
             (lambda x: x[:, 4], r"index 4 is out of range for dim 1 of size 4"),
             (lambda x: x[:, -6], r"index -6 is out of range for dim 1 of size 4"),
             (lambda x: x[:, -10], r"index -10 is out of range for dim 1 of size 4"),
             (lambda x: x[:, :, :, 9:], r"the slice of dim 3 would be empty")]
    for index, message in cases:
        net = _slicing_net(torch, index)
        assert _torch_shape(torch, net, (3, 8, 8)) is None
        with pytest.raises(sc.ShapeError, match=message):
            sc.from_torch(net, input_shape=(3, 8, 8))
    batch = _slicing_net(torch, lambda x: x[:, :, : x.size(0)])
    with pytest.raises(sc.ConversionError, match=r"a stop of dim 2 computed from the batch size"):
        sc.from_torch(batch, input_shape=(3, "H", "W"))


def test_a_slice_of_one_axis_survives_model_files_and_subs():
    """nn.Slice(((1, 3),)).get_config() gave slices=(1, 3) (one pair taken for "the same on
    every axis"), which no Slice accepts: a model file of x[:, 1:3] did not read back."""
    torch = require("torch")

    class Half(torch.nn.Module):
        def forward(self, x):
            return x[:, 1:3] + x[:, : x.size(1) // 2][:, :2]

    model = sc.from_torch(Half(), input_shape=("C", "H", "W"))
    assert str(model.output_shape) == "(2, H, W)"
    again = sc.model_from_spec(sc.model_to_spec(model))
    assert again.output_shape == model.output_shape and again.constraints == model.constraints
    for c in (4, 5, 9):  # subs rebuilds the slices from their configs
        expected = _forward_shapes(torch, Half(), (c, 3, 2))[0]
        assert model.subs(C=c, H=3, W=2).output_shape == expected


def test_time_major_attention_counts_and_shapes_as_torch():
    """``nn.MultiheadAttention`` with PyTorch's default ``batch_first=False`` reads time-major
    inputs (a transposed tensor or a model input) and gives a time-major output."""
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Linear(4, 8)
            self.attn = torch.nn.MultiheadAttention(8, 2)
            self.head = torch.nn.Linear(8, 3)

        def forward(self, x):
            h = self.embed(x).transpose(0, 1)
            out, _ = self.attn(h, h, h)
            return self.head(out.transpose(0, 1))

    class Cross(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=5)

        def forward(self, q, k):
            return self.attn(q, k, k)[0][-1]  # the last query step: batch first again

    batch = 2
    for net, shapes, steps, inputs in (
            (Encoder(), ("T", 4), {"T": 7}, [torch.randn(batch, 7, 4)]),
            (Cross(), [("L", 8), ("S", 5)], {"L": 6, "S": 9},
             [torch.randn(6, batch, 8), torch.randn(9, batch, 5)])):
        model = sc.from_torch(net, input_shape=shapes)
        with FlopCounterMode(display=False) as counter:
            out = net(*inputs)
        assert model.params == sum(p.numel() for p in net.parameters())
        assert model.subs(**steps).output_shape == tuple(out.shape[1:])
        assert model.subs(**steps).macs * batch == counter.get_total_flops() // 2


def test_time_major_attention_on_a_batch_first_tensor_is_refused():
    torch = require("torch")

    class Misread(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pre = torch.nn.Linear(8, 8)
            self.attn = torch.nn.MultiheadAttention(8, 2)

        def forward(self, x):
            h = self.pre(x)
            return self.attn(h, h, h)[0]

    with pytest.raises(sc.ConversionError, match=r"query on a batch-first tensor"):
        sc.from_torch(Misread(), input_shape=("L", 8))
