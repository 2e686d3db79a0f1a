"""torchvision 0.28 as a test reference (never a dependency of symcnn).

``scripts/install-torchvision-reference.sh`` installs the wheel into
``<venv>/reference/torchvision-0.28``, outside site-packages (so that packages which try
``import torchvision`` themselves, such as ptflops, see none); :func:`torchvision` puts that
directory on ``sys.path``. The wheel's compiled ops do not load with this CPU torch; its
model definitions are plain Python. Importing it calls
``torch.library.register_fake`` for those compiled ops (``torchvision::nms``...), which fails,
so the function is replaced by a no-op while torchvision is imported, then restored.
Models are always built with ``weights=None`` (no downloads, random weights).
"""

from __future__ import annotations

import os
import sys

from ..conftest import require

#: The 42 classifiers the issue measures: every torchvision 0.28 classification family with
#: all its members, except the larger variants of the newer families (RegNet, ShuffleNet
#: x1.5/x2.0, EfficientNet B4-B7 and V2-M/L, ConvNeXt S/B/L, ViT beyond B/16, Swin beyond T,
#: ResNeXt-101 and Wide ResNet-101).
CLASSIFIERS = (
    "alexnet",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "wide_resnet50_2",
    "squeezenet1_0", "squeezenet1_1",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "googlenet", "inception_v3",
    "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
    "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_v2_s",
    "convnext_tiny", "vit_b_16", "swin_t", "maxvit_t",
)


def torchvision():
    """``torchvision`` imported with ``register_fake`` stubbed (skip locally if missing)."""
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    torch = require("torch")
    path = os.path.join(sys.prefix, "reference", "torchvision-0.28")
    if os.path.isdir(path) and path not in sys.path:
        sys.path.insert(0, path)
    library = torch.library
    original = library.register_fake
    library.register_fake = lambda *args, **kwargs: (lambda fn: fn)
    try:
        return require("torchvision")
    finally:
        library.register_fake = original


#: GoogLeNet and Inception-v3 are built as torchvision builds them for its pretrained weights:
#: without the auxiliary classifiers, which forward never runs in eval mode (symcnn counts the
#: modules forward uses; tests/interop/test_torchvision.py checks the difference with them).
#: ``init_weights=False`` skips their slow truncated-normal initialisation (weights are random
#: either way).
OPTIONS = {"googlenet": {"aux_logits": False, "init_weights": False},
           "inception_v3": {"aux_logits": False, "init_weights": False}}


def classifier(name: str, device: str | None = None, **options):
    """A torchvision classifier with random weights (``weights=None``), in eval mode.

    ``device="meta"`` builds it without storage: parameter counts, forward shapes and
    ``FlopCounterMode`` counts are the same (PyTorch's own shape functions), in seconds.
    """
    tv = torchvision()
    torch = sys.modules["torch"]
    kwargs = {"weights": None, **OPTIONS.get(name, {}), **options}
    if device is None:
        return tv.models.get_model(name, **kwargs).eval()
    try:
        with torch.device(device):
            return tv.models.get_model(name, **kwargs).eval()
    except NotImplementedError:  # RegNet computes its widths from tensors (.tolist())
        return tv.models.get_model(name, **kwargs).eval().to(device)


def all_classifiers() -> list:
    """Every classification model torchvision lists (80 in 0.28)."""
    tv = torchvision()
    return tv.models.list_models(module=tv.models)
