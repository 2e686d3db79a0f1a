"""sc.from_torch on torchvision 0.28's classifiers, against the real modules.

For each classifier, imported once with ``input_shape=(3, "H", "W")``:

- trainable parameters = ``sum(p.numel() for p in m.parameters())``, non-trainable = the
  batch norms' running means and variances;
- the closed-form output shape, evaluated at a size, equals a real forward pass there, and
  the model's constraints hold exactly where PyTorch accepts the size (ViT and MaxViT refuse
  every size but 224: their constraints must refuse them too);
- MACs at 224 = ``FlopCounterMode`` total / 2, with grad enabled and the math attention
  kernel (the fused inference path of ``nn.MultiheadAttention`` is not counted by it).

CI runs one member of every family at 224 (``CI_SUBSET``), built on PyTorch's ``meta``
device: no storage, no arithmetic, the same shapes and ``FlopCounterMode`` counts (PyTorch's
own shape functions). ``SYMCNN_LONG=1`` runs the 42 classifiers with real weights and real
forward passes at three sizes, and the other 38 classifiers torchvision lists (RegNets, the
larger EfficientNets, ConvNeXts, ViTs and Swins, Swin V2) at 224 on the meta device.
"""

import os
import textwrap

import pytest
import sympy

import symcnn as sc
from symcnn.interop import torch as sc_torch

from ..conftest import require
from ..support import torchvision_ref as ref

pytestmark = pytest.mark.frameworks

H, W = sc.symbols("H W")
SIZES = ((224, 224), (193, 257), (320, 288))

#: One classifier of every family (the smallest or the one with the most kinds of block).
CI_SUBSET = (
    "alexnet", "vgg11_bn", "resnet18", "resnext50_32x4d", "squeezenet1_1", "densenet121",
    "googlenet", "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mnasnet0_5",
    "shufflenet_v2_x0_5", "efficientnet_b0", "efficientnet_v2_s", "convnext_tiny",
    "vit_b_16", "swin_t", "maxvit_t",
)

#: Constraints a classifier must carry (its own ``torch._assert`` on the image size).
ASSERTED = {"vit_b_16": [sympy.Eq(H, 224), sympy.Eq(W, 224)]}


def _reference(torch, net, h, w, count_macs: bool, device):
    """``(output shape, MACs)`` of a forward pass, or ``(None, None)`` if it refuses."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(1, 3, h, w, device=device)
    try:
        if not count_macs:
            with torch.no_grad():
                return tuple(net(x).shape[1:]), None
        counter = FlopCounterMode(display=False)
        with sdpa_kernel(SDPBackend.MATH), counter:  # grad enabled: the counted path
            out = net(x)
        return tuple(out.shape[1:]), counter.get_total_flops() // 2
    except (RuntimeError, ValueError, AssertionError):
        return None, None


def check_classifier(name: str, sizes, device=None) -> None:
    torch = require("torch")
    net = ref.classifier(name, device=device)
    model = sc.from_torch(net, input_shape=(3, "H", "W"))
    running = sum(m.running_mean.numel() + m.running_var.numel() for m in net.modules()
                  if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                  and m.running_mean is not None)
    assert model.trainable_params == sum(p.numel() for p in net.parameters())
    assert model.non_trainable_params == running
    for c in ASSERTED.get(name, []):
        assert c in model.constraints
    for h, w in sizes:
        point = {H: h, W: w}
        expected, macs = _reference(torch, net, h, w, (h, w) == (224, 224), device)
        holds = all(bool(c.xreplace(point)) for c in model.constraints)
        assert holds == (expected is not None), (name, h, w, model.constraints)
        if expected is None:
            continue
        assert tuple(sympy.sympify(d).xreplace(point) for d in model.output_shape) == expected
        if macs is not None:
            assert sympy.sympify(model.macs).xreplace(point) == macs, name


@pytest.mark.parametrize("name", CI_SUBSET)
def test_every_family_imports_exactly_at_224(name):
    check_classifier(name, SIZES[:1], device="meta")


@pytest.mark.skipif(not os.environ.get("SYMCNN_LONG"), reason="the full sweep: SYMCNN_LONG=1")
@pytest.mark.parametrize("name", ref.CLASSIFIERS)
def test_all_42_classifiers_import_exactly_at_three_sizes(name):
    check_classifier(name, SIZES)


def _others() -> list:
    if not os.environ.get("SYMCNN_LONG"):
        return []
    require("torch")
    return [n for n in ref.all_classifiers() if n not in ref.CLASSIFIERS]


@pytest.mark.skipif(not os.environ.get("SYMCNN_LONG"), reason="the full sweep: SYMCNN_LONG=1")
@pytest.mark.parametrize("name", _others())
def test_the_other_38_torchvision_classifiers_import_exactly_at_224(name):
    check_classifier(name, SIZES[:1], device="meta")


def _family(name: str) -> str:
    """``resnext50_32x4d`` and ``wide_resnet50_2`` are ResNets; ``vgg11_bn`` is a VGG."""
    for prefix in ("resnet", "resnext", "wide_resnet"):
        if name.startswith(prefix):
            return "resnet"
    return name.split("_")[0].rstrip("0123456789")


def test_the_sweep_covers_42_classifiers_and_ci_every_family():
    assert len(set(ref.CLASSIFIERS)) == 42
    assert set(CI_SUBSET) <= set(ref.CLASSIFIERS)
    families = {_family(n) for n in ref.CLASSIFIERS}
    assert len(families) == 15
    assert {_family(n) for n in CI_SUBSET} == families


def test_auxiliary_classifiers_that_forward_never_runs_are_not_counted():
    torch = require("torch")
    net = ref.classifier("googlenet", device="meta", aux_logits=True)
    model = sc.from_torch(net, input_shape=(3, 224, 224))
    aux = sum(p.numel() for m in (net.aux1, net.aux2) for p in m.parameters())
    assert aux > 0
    assert model.trainable_params == sum(p.numel() for p in net.parameters()) - aux


@pytest.mark.parametrize("name, size", [("googlenet", 224), ("inception_v3", 299)])
def test_in_training_mode_the_auxiliary_logits_are_outputs_too(name, size):
    """In training mode GoogLeNet and Inception v3 return a named tuple (``GoogLeNetOutputs``:
    the logits and the auxiliary logits); every tensor in it is an output of the model, and
    the auxiliary classifiers are counted."""
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    net = ref.classifier(name, device="meta", aux_logits=True).train()
    model = sc.from_torch(net, input_shape=(3, "H", "W"))
    assert model.trainable_params == sum(p.numel() for p in net.parameters())
    counter = FlopCounterMode(display=False)
    with counter:
        outputs = net(torch.zeros(2, 3, size, size, device="meta"))  # batch norm trains: 2
    point = {H: size, W: size}
    shapes = [tuple(sympy.sympify(d).xreplace(point) for d in s) for s in model.output_shape]
    assert shapes == [tuple(o.shape[1:]) for o in outputs]
    assert len(shapes) == len(type(outputs)._fields)
    assert sympy.sympify(model.macs).xreplace(point) * 2 == counter.get_total_flops() // 2


def test_an_unsupported_operation_in_torchvision_names_torchvision_s_line():
    torch = require("torch")
    tv = ref.torchvision()
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), tv.ops.misc.FrozenBatchNorm2d(8))
    with pytest.raises(sc.ConversionError) as info:
        sc.from_torch(net, input_shape=(3, "H", "W"))
    first = str(info.value).splitlines()[1]
    assert first.startswith("  - _operator.mul (node 'mul') in module '1' at misc.py:")
    assert ": return x * scale + bias: the buffer or constant" in first


def test_error_locations_skip_torch_but_not_a_package_whose_name_starts_with_torch(
        tmp_path, monkeypatch):
    """``site-packages/torch`` is a prefix of ``site-packages/torchvision`` as a string, not as
    a path: a module defined under ``torchvision`` is where the error is."""
    require("torch")
    (tmp_path / "torch").mkdir()
    package = tmp_path / "torchvision"
    package.mkdir()
    (package / "netdef.py").write_text(textwrap.dedent("""
        import torch

        class Net(torch.nn.Module):
            def forward(self, x):
                return torch.matmul(x, x)
        """))
    monkeypatch.setattr(sc_torch, "_SKIP_DIRS", (*sc_torch._SKIP_DIRS, str(tmp_path / "torch")))
    monkeypatch.syspath_prepend(str(package))
    netdef = __import__("netdef")
    with pytest.raises(sc.ConversionError, match=r"at netdef\.py:6: return torch\.matmul"):
        sc.from_torch(netdef.Net(), input_shape=(3, 4, 4))
