"""``from_torch`` keeps what the PyTorch model has, or refuses it; it never drops it silently.

- ``F.interpolate(..., antialias=True)``: ``nn.Upsample`` cannot carry it, so the import
  (and its ``to_torch()``) would interpolate other values: refused.
- ``F.layer_norm(x, shape, None, bias)``: ``nn.LayerNorm`` has no bias-only form, so the bias
  would be lost from the counts: refused.
- A module whose own parameters are partly frozen (``conv.weight.requires_grad_(False)``): a
  symcnn layer trains all its weights or none, so the split would be counted one way:
  refused, naming the module and both sides. All frozen or none: PyTorch's counts.

Counts are compared with the real modules' ``parameters()``, values with real forward
passes.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

from ..conftest import require
from ..support.torchvision_ref import torchvision

pytestmark = pytest.mark.frameworks


def _interpolating(antialias):
    torch = require("torch")
    F = torch.nn.functional

    class Resize(torch.nn.Module):
        def forward(self, x):
            return F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=antialias)
    return Resize()


def test_interpolate_with_antialias_is_refused_naming_the_call_and_argument():
    with pytest.raises(sc.ConversionError, match=r"torch\.nn\.functional\.interpolate .*"
                                                  r"antialias=True: nn\.Upsample has no "
                                                  r"antialias"):
        sc.from_torch(_interpolating(True), input_shape=(3, 8, 8))


def test_interpolate_without_antialias_converts_with_pytorchs_values():
    torch = require("torch")
    module = _interpolating(False)
    x = torch.randn(2, 3, 8, 8)
    exported = sc.from_torch(module, input_shape=(3, 8, 8)).to_torch()
    assert torch.equal(exported(x), module(x))


def _layer_norm(weight: bool, bias: bool, frozen=()):
    torch = require("torch")
    F = torch.nn.functional

    class Norm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(6)) if weight else None
            self.bias = torch.nn.Parameter(torch.randn(6)) if bias else None
            for name in frozen:
                getattr(self, name).requires_grad_(False)

        def forward(self, x):
            return F.layer_norm(x, (6,), self.weight, self.bias)
    return Norm()


def test_layer_norm_with_a_bias_but_no_weight_is_refused():
    with pytest.raises(sc.ConversionError, match=r"F\.layer_norm with a bias \('bias'\) but no "
                                                  r"weight: nn\.LayerNorm has no bias-only form"):
        sc.from_torch(_layer_norm(weight=False, bias=True), input_shape=(5, 6))


@pytest.mark.parametrize("weight, bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_forms_nn_layer_norm_has_keep_their_counts_and_values(weight, bias):
    torch = require("torch")
    module = _layer_norm(weight, bias)
    imported = sc.from_torch(module, input_shape=(5, 6))
    assert imported.trainable_params == sum(p.numel() for p in module.parameters())
    exported = imported.to_torch()
    assert sum(p.numel() for p in exported.parameters()) == imported.trainable_params
    if weight:  # the same weights in the exported module, then the same values
        norm = next(m for m in exported.modules() if isinstance(m, torch.nn.LayerNorm))
        with torch.no_grad():
            norm.weight.copy_(module.weight)
            if bias:
                norm.bias.copy_(module.bias)
    x = torch.randn(3, 5, 6)
    assert torch.allclose(exported(x), module(x), atol=1e-6)


def test_layer_norm_with_one_of_weight_and_bias_frozen_is_refused():
    with pytest.raises(sc.ConversionError, match=r"F\.layer_norm has frozen parameters \(bias\) "
                                                  r"next to trainable ones \(weight\)"):
        sc.from_torch(_layer_norm(True, True, frozen=("bias",)), input_shape=(5, 6))


def _modules():
    torch = require("torch")
    nn = torch.nn
    return {
        "conv": (lambda: nn.Conv2d(3, 8, 3), (3, 6, 6)),
        "bn": (lambda: nn.BatchNorm2d(4), (4, 6, 6)),
        "linear": (lambda: nn.Linear(5, 7), (5,)),
        "group_norm": (lambda: nn.GroupNorm(2, 4), (4, 6, 6)),
    }


@pytest.mark.parametrize("kind", ["conv", "bn", "linear", "group_norm"])
def test_a_partly_frozen_module_is_refused_naming_module_and_parameters(kind):
    make, shape = _modules()[kind]
    module = make()
    module.weight.requires_grad_(False)
    with pytest.raises(sc.ConversionError) as caught:
        sc.from_torch(module, input_shape=shape)
    text = str(caught.value)
    assert f"nn.{type(module).__name__} has frozen parameters (weight) next to trainable ones " \
           f"(bias)" in text
    assert "freeze all of them or none" in text


@pytest.mark.parametrize("kind", ["lstm", "attention"])
def test_partly_frozen_recurrent_and_attention_modules_are_refused(kind):
    torch = require("torch")
    nn = torch.nn
    if kind == "lstm":
        inner, shape = nn.LSTM(4, 5, batch_first=True), ("T", 4)
        inner.weight_hh_l0.requires_grad_(False)
        frozen = "weight_hh_l0"
    else:
        inner, shape = nn.MultiheadAttention(8, 2, batch_first=True), (5, 8)
        inner.out_proj.weight.requires_grad_(False)
        frozen = "out_proj.weight"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)[0] if kind == "lstm" else self.inner(x, x, x)[0]
    with pytest.raises(sc.ConversionError, match=rf"module 'inner'.*frozen parameters "
                                                  rf"\({frozen}\) next to trainable ones"):
        sc.from_torch(Net(), input_shape=shape)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_counts_follow_requires_grad_or_the_mix_is_refused(data):
    """Random parameters frozen in a small network: where no module is split, the counts
    are PyTorch's (trainable: requires_grad; non-trainable: the frozen ones and the batch
    norm's running statistics); where one is, the error names it."""
    torch = require("torch")
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 4 * 4, 5), nn.PReLU())
    for name, p in net.named_parameters():
        p.requires_grad_(data.draw(st.booleans(), label=name))
    split = [name for name, m in net.named_modules() if name and len(
        {p.requires_grad for p in m.parameters(recurse=False)}) == 2]
    if split:
        with pytest.raises(sc.ConversionError) as caught:
            sc.from_torch(net, input_shape=(3, 6, 6))
        for name in split:
            assert f"module '{name}'" in str(caught.value)
        return
    imported = sc.from_torch(net, input_shape=(3, 6, 6))
    assert imported.trainable_params == sum(p.numel() for p in net.parameters()
                                            if p.requires_grad)
    running = sum(b.numel() for n, b in net.named_buffers() if "running" in n)
    assert imported.non_trainable_params == sum(
        p.numel() for p in net.parameters() if not p.requires_grad) + running
    exported = imported.to_torch()
    assert sum(p.numel() for p in exported.parameters() if p.requires_grad) == \
        imported.trainable_params


def test_swin_v2_window_attention_counts_follow_requires_grad_or_the_mix_is_refused():
    """One layer counts Swin V2's attention with its bias MLP (``cpb_mlp``): frozen whole,
    PyTorch's counts; frozen in part (the MLP only, or one Linear's weight), refused."""
    model = torchvision().models.swin_v2_t()
    attention = model.features[1][0].attn

    def counts():
        imported = sc.from_torch(model, input_shape=(3, 256, 256))
        return imported.trainable_params, imported.non_trainable_params

    def torch_counts():
        return (sum(p.numel() for p in model.parameters() if p.requires_grad),
                sum(p.numel() for p in model.parameters() if not p.requires_grad))

    attention.requires_grad_(False)
    assert counts() == torch_counts()
    attention.cpb_mlp.requires_grad_(True)
    with pytest.raises(sc.ConversionError, match=r"shifted_window_attention has frozen "
                                                  r"parameters \(features\.1\.0\.attn\.qkv"):
        counts()
    attention.requires_grad_(True)
    attention.cpb_mlp[0].weight.requires_grad_(False)
    with pytest.raises(sc.ConversionError, match=r"module 'features\.1\.0\.attn\.cpb_mlp\.0'"
                                                  r".*nn\.Linear has frozen parameters \(weight\)"):
        counts()
