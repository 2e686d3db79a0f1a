"""model.to_torch() exports ViT's learned tensors: ``ClassToken``, ``PositionEmbedding`` and
``symcnn.nn.ParameterAdd`` / ``ParameterMul``, each as a small module holding one parameter,
``weight``, named after the layer.

- ``ClassToken`` on ``(T, E)`` tokens holds ``(1, 1, E)`` and prepends it on the token axis
  of the batch-first ``(N, T, E)`` input: ``torch.cat([weight.expand(N, -1, -1), x], dim=1)``;
- ``PositionEmbedding`` holds ``(1, T, E)`` and adds it;
- ``ParameterAdd`` / ``ParameterMul`` hold a tensor of the layer's ``shape`` and add it /
  multiply by it with PyTorch's broadcasting, in the layout the exported graph uses: as given
  in a channels-first model (PyTorch-named, or imported with ``from_torch``), its last axis
  moved to the channel dim where the input's channels are moved first (a channels-last
  model's ``(1, 1, C)`` layer scale is ``(C, 1, 1)``); one gathered from a smaller table
  (``learned=``) is refused, naming the layer and the reason.

The exported counts are symcnn's, the modules compute what the layers define (checked
against the formula in plain torch on symcnn's layout), ``from_torch`` of the export gives
the counts, shapes and MACs back, and torchvision's ``vit_b_16`` (``weights=None``) imported
and exported again takes torchvision's own state dict and gives its outputs.
"""

import pytest

import symcnn as sc

from ..conftest import require
from ..support import torchvision_ref as ref

pytestmark = pytest.mark.frameworks

torch = require("torch")

T, E, C, HW = 5, 8, 6, 4


def count(net) -> int:
    return sum(p.numel() for p in net.parameters())


def to_export(x, moved: bool):
    """A tensor of symcnn's layout (batch first) as the exported module reads it."""
    return torch.movedim(x, -1, 1) if moved else x


def to_symcnn(x, moved: bool):
    return torch.movedim(x, 1, -1) if moved else x


def full(weight, rank: int):
    """``weight`` with leading ones up to ``rank`` dims (batch included)."""
    return weight.reshape((1,) * (rank - weight.dim()) + tuple(weight.shape))


def tokens(layer):
    """A channels-first model (a PyTorch-named layer first) whose ``(T, E)`` tokens, made
    by ``nn.Linear``, go through ``layer``: every tensor is in symcnn's order."""
    x = sc.Input((T, E), name="x")
    return sc.Model(x, layer(sc.nn.Linear(E, E, name="proj")(x)))


#: name -> (model, whether the module's tensors are symcnn's moved channels first, the layer's
#: function on symcnn's layout given its weight in symcnn's layout).
CASES = {
    "ClassToken": (lambda: tokens(sc.ClassToken(name="tok")), False,
                   lambda x, w: torch.cat([w.expand(x.shape[0], 1, E), x], dim=1)),
    "PositionEmbedding": (lambda: tokens(sc.PositionEmbedding(name="tok")), False,
                          lambda x, w: x + w),
    "ParameterAdd (1, T, E) on tokens": (lambda: tokens(sc.nn.ParameterAdd((1, T, E),
                                                                           name="tok")),
                                         False, lambda x, w: x + w),
    "ParameterMul (C, 1, 1), channels first": (
        lambda: sc.Sequential([sc.Input((3, HW, HW)), sc.nn.Conv2d(3, C, 1, name="conv"),
                               sc.nn.ParameterMul((C, 1, 1), name="tok")]),
        False, lambda x, w: w * x),
    "ParameterMul (1, 1, C), channels last": (
        lambda: sc.Sequential([sc.Input((HW, HW, 3)), sc.Conv2D(C, 1, name="conv"),
                               sc.nn.ParameterMul((1, 1, C), name="tok")]),
        True, lambda x, w: w * x),
    "ParameterAdd (C,), channels last": (
        lambda: sc.Sequential([sc.Input((HW, HW, 3)), sc.Conv2D(C, 1, name="conv"),
                               sc.nn.ParameterAdd((C,), name="tok")]),
        True, lambda x, w: x + w),
    "ParameterAdd (T, E) on a channels-last sequence, read (N, E, T)": (
        lambda: sc.Sequential([sc.Input((T, E)), sc.nn.ParameterAdd((T, E), name="tok")]),
        True, lambda x, w: x + w),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_layer_exports_with_symcnn_count_and_computes_its_formula(case):
    build, moved, formula = CASES[case]
    model = build()
    record = next(r for r in model.layers if r.name == "tok")
    net = model.to_torch()
    module = net.get_submodule("tok")
    assert [n for n, _ in module.named_parameters()] == ["weight"]
    assert module.weight.numel() == record.params > 0
    assert count(net) == model.params
    torch.manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_()
    inp = model.inputs[0]
    x = torch.randn(2, *(int(d) for d in inp.shape))
    with torch.no_grad():
        got = to_symcnn(net(to_export(x, moved)), moved)
        before = dict(net.named_children())
        hidden = x
        for name in ("proj", "conv"):  # the layer's input, from the exported first layer
            if name in before:
                hidden = to_symcnn(before[name](to_export(x, moved)), moved)
        rank = len(inp.shape) + 1
        w = to_symcnn(full(module.weight, max(rank, module.weight.dim())), moved)
        expected = formula(hidden, w)
    assert tuple(got.shape[1:]) == tuple(int(d) for d in model.output_shape)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_from_torch_of_the_export_gives_the_counts_shapes_and_macs_back(case):
    model = CASES[case][0]()
    moved = CASES[case][1]
    net = model.to_torch()
    shape = tuple(int(d) for d in model.inputs[0].shape)
    back = sc.from_torch(net, input_shape=shape[-1:] + shape[:-1] if moved else shape)
    assert (back.params, back.trainable_params, back.macs) == \
        (model.params, model.trainable_params, model.macs)
    out = tuple(int(d) for d in model.output_shape)
    assert back.output_shape == (out[-1:] + out[:-1] if moved and len(out) > 1 else out)


def small_vit():
    """``sc.zoo.vit`` with every size a number: 16x16 images, patches of 4, width 16, two
    layers of two heads, an MLP of 32, five classes."""
    return sc.zoo.vit(4, 16, 2, 2, 32, input_shape=(16, 16, 3), classes=5)


def test_a_small_zoo_vit_exports_with_its_count_and_runs():
    model = small_vit()
    net = model.to_torch()
    assert count(net) == model.params == model.trainable_params
    assert net.get_submodule("class_token").weight.shape == (1, 1, 16)
    assert net.get_submodule("pos_embedding").weight.shape == (1, 17, 16)
    out = net(torch.randn(3, 3, 16, 16))  # channels first: (N, C, H, W)
    assert tuple(out.shape) == (3, *(int(d) for d in model.output_shape))
    out.sum().backward()  # it trains: the token and the positions get gradients
    assert net.get_submodule("class_token").weight.grad is not None
    assert net.get_submodule("pos_embedding").weight.grad.abs().sum() > 0


def test_a_small_zoo_vit_with_symbolic_sizes_substituted_exports():
    """Patch size and width as symbols (the layers written out: a symbolic ``num_layers``
    is a ``Repeat``, which ``to_torch`` does not export)."""
    e, p = sc.symbols("e p")
    model = sc.zoo.vit(p, 2 * e, 2, 2, 32, input_shape=(16, 16, 3), classes=5)
    with pytest.raises(sc.ConversionError, match="Substitute them first"):
        model.to_torch()
    sized = model.subs(e=8, p=4)
    assert count(sized.to_torch()) == sized.params == model.params.subs({e: 8, p: 4}) \
        == small_vit().params


def test_from_torch_of_a_zoo_vit_export_gives_its_counts_shape_and_macs_back():
    model = small_vit()
    back = sc.from_torch(model.to_torch(), input_shape=(3, 16, 16))
    assert (back.params, back.trainable_params, back.macs) == \
        (model.params, model.trainable_params, model.macs)
    assert back.output_shape == model.output_shape


def test_torchvision_vit_b_16_imported_exports_and_computes_torchvisions_values():
    """``from_torch(vit_b_16(weights=None))`` exported: torchvision's count and state dict
    (its ``class_token`` and ``encoder.pos_embedding`` parameters are the modules' ``weight``,
    every other name is the same), and its outputs on a random 224x224 batch."""
    tv = ref.torchvision()
    torch.manual_seed(0)
    original = tv.models.vit_b_16(weights=None).eval()
    with torch.no_grad():  # torchvision starts the token and the head at zeros
        for name, p in original.named_parameters():
            if name in ("class_token", "encoder.pos_embedding") or name.startswith("heads"):
                p.normal_()
    model = sc.from_torch(original, input_shape=(3, 224, 224))
    net = model.to_torch().eval()
    assert count(net) == count(original) == model.params
    renamed = {"class_token": "class_token.weight",
               "encoder.pos_embedding": "encoder.pos_embedding.weight"}
    state = {renamed.get(k, k): v for k, v in original.state_dict().items()}
    net.load_state_dict(state)  # strict: the same names and shapes, nothing left over
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected, got = original(x), net(x)
    assert expected.abs().max() > 1  # a real signal
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_torchvision_convnext_tiny_layer_scales_export_channels_first():
    """ConvNeXt's ``layer_scale`` of shape ``(C, 1, 1)`` (``ParameterMul``) stays
    ``(C, 1, 1)``: the model is channels first; torchvision's state dict loads (each
    ``layer_scale`` renamed ``layer_scale.weight``) and gives its outputs."""
    tv = ref.torchvision()
    torch.manual_seed(0)
    original = tv.models.convnext_tiny(weights=None).eval()
    with torch.no_grad():  # torchvision starts them at 1e-6
        for name, p in original.named_parameters():
            if name.endswith("layer_scale"):
                p.normal_()
    net = sc.from_torch(original, input_shape=(3, 224, 224)).to_torch().eval()
    assert count(net) == count(original)
    state = {k + ".weight" if k.endswith("layer_scale") else k: v
             for k, v in original.state_dict().items()}
    net.load_state_dict(state)
    assert net.get_submodule("features.1.0.layer_scale").weight.shape == (96, 1, 1)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected, got = original(x), net(x)
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_a_frozen_token_exports_frozen_and_comes_back_frozen():
    model = tokens(sc.ClassToken(name="tok", trainable=False))
    net = model.to_torch()
    assert not net.get_submodule("tok").weight.requires_grad
    assert sum(p.numel() for p in net.parameters() if p.requires_grad) == \
        model.trainable_params == model.params - E
    back = sc.from_torch(net, input_shape=(T, E))
    assert (back.params, back.trainable_params) == (model.params, model.trainable_params)


def test_a_shared_position_embedding_is_one_module():
    pos = sc.PositionEmbedding(name="pos")
    x = sc.Input((T, E))
    model = sc.Model(x, pos(pos(sc.nn.Linear(E, E, name="proj")(x))))
    net = model.to_torch()
    assert count(net) == model.params == E * E + E + T * E
    weight = net.get_submodule("pos").weight
    with torch.no_grad():
        weight.normal_()
        x = torch.randn(2, T, E)
        torch.testing.assert_close(net(x), net.get_submodule("proj")(x) + 2 * weight)


def test_a_tensor_gathered_from_a_smaller_table_is_refused_with_the_layer_and_reason():
    x = sc.Input((2, 9, 9))
    rel = sc.nn.ParameterAdd((1, 2, 9, 9), learned=50, name="relative_position_bias")
    model = sc.Model(x, rel(sc.nn.Conv2d(2, 2, 1, name="conv")(x)))
    assert model.params == 2 * 2 + 2 + 50
    with pytest.raises(sc.ConversionError) as err:
        model.to_torch()
    message = str(err.value)
    assert "layer 'relative_position_bias' (ParameterAdd)" in message
    assert "learned=50" in message and "gathered from a table of 50" in message
