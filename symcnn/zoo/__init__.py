"""Ready-made models: the textbook worked examples, and classic networks.

Every classic network is a function returning a symcnn model whose input is ``(H, W, 3)``
with ``H`` and ``W`` symbols unless ``input_shape`` is given; ``classes`` sets the class
count, ``include_top=False`` ends the model at its last feature map, ``name`` names the
model (every function that builds one takes it, as Keras' applications do; None keeps the
function's own), and the widths are arguments (numbers or symbols). The architectures are
torchvision's, so parameter counts equal the published ones. ``docs/zoo.md`` lists every
model's closed forms.

>>> import symcnn as sc
>>> sc.zoo.textbook.free_width().params
160*n + 48320
>>> sc.zoo.resnet50().trainable_params
25557032
>>> sc.zoo.resnet50(include_top=False).output_shape
(ceiling(H/32), ceiling(W/32), 2048)

Each architecture's module is imported when one of its names is first used (PEP 562, as
for ``symcnn`` itself), so ``sc.zoo.resnet50`` loads neither Swin nor the PyTorch-named
layers it builds on (issue 16).

>>> sc.zoo.resnet.__name__, sc.zoo.vit.__module__
('resnet', 'symcnn.zoo.vit')
"""

import importlib

from ..lazy_modules import keep_functions

#: Public name -> (its module in this package, attribute; None for the module itself).
_LAZY = {
    "textbook": ("textbook", None), "scaling": ("scaling", None),
    **{name: (module, name) for module, names in {
        "scaling": ("make_divisible",),
        "lenet": ("TableConv2D", "lenet5"),
        "alexnet": ("alexnet", "alexnet_two_tower"),
        "mobilenet": ("mobilenet_v2",),
        "mobilenet_v3": ("mobilenet_v3_large", "mobilenet_v3_small"),
        "densenet": ("densenet", "densenet121"),
        "efficientnet": ("efficientnet_b0", "EFFICIENTNET_COEFFICIENTS"),
        "resnet": ("resnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"),
        "convnext": ("convnext", "convnext_tiny", "convnext_small", "convnext_base",
                     "convnext_large"),
        "swin": ("swin", "swin_t", "swin_s", "swin_b"),
        "vit": ("vit", "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"),
        "vgg": ("vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
                "vgg19", "vgg19_bn"),
    }.items() for name in names},
}

__all__ = [
    "textbook", "scaling", "make_divisible", "TableConv2D",
    "lenet5", "alexnet", "alexnet_two_tower", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "densenet", "densenet121",
    "efficientnet_b0", "EFFICIENTNET_COEFFICIENTS",
    "resnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "convnext", "convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
    "swin", "swin_t", "swin_s", "swin_b",
    "vit", "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14",
    "vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
]

#: Functions named as their module (``resnet``, ``vit``...): importing the module must not
#: replace the function (``sc.zoo.resnet`` stays the function once ``symcnn.zoo.resnet`` is
#: loaded).
_SHADOWED = frozenset(n for n, (m, a) in _LAZY.items() if a is not None and n == m)

keep_functions(__name__, _SHADOWED)


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'symcnn.zoo' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = importlib.import_module(f".{module}", __name__)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__():  # the models, not the loading tools (importlib, keep_functions)
    return sorted({n for n in globals() if n.startswith("__")} | set(__all__))
