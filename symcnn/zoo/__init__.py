"""Ready-made models: the textbook worked examples, and classic networks.

Every classic network is a function returning a symcnn model whose input is ``(H, W, 3)``
with ``H`` and ``W`` symbols unless ``input_shape`` is given; ``classes`` sets the class
count, ``include_top=False`` ends the model at its last feature map, and the widths are
arguments (numbers or symbols). The architectures are torchvision's, so parameter counts
equal the published ones. ``docs/zoo.md`` lists every model's closed forms.

>>> import symcnn as sc
>>> sc.zoo.textbook.free_width().params
160*n + 48320
>>> sc.zoo.resnet50().trainable_params
25557032
>>> sc.zoo.resnet50(include_top=False).output_shape
(ceiling(H/32), ceiling(W/32), 2048)
"""

from . import scaling, textbook
from .alexnet import alexnet, alexnet_two_tower
from .densenet import densenet, densenet121
from .efficientnet import EFFICIENTNET_COEFFICIENTS, efficientnet_b0
from .lenet import TableConv2D, lenet5
from .mobilenet import mobilenet_v2
from .mobilenet_v3 import mobilenet_v3_large, mobilenet_v3_small
from .resnet import resnet, resnet18, resnet34, resnet50, resnet101, resnet152
from .scaling import make_divisible
from .convnext import convnext, convnext_base, convnext_large, convnext_small, convnext_tiny
from .swin import swin, swin_b, swin_s, swin_t
from .vit import vit, vit_b_16, vit_b_32, vit_h_14, vit_l_16, vit_l_32
from .vgg import vgg, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

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
