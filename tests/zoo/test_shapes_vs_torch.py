"""Every zoo model's symbolic shapes agree with a real PyTorch forward pass.

The symcnn model is built once on a symbolic ``(H, W)`` input; for each input size the
closed-form output shape of every convolution, pool and fully connected layer, with ``H``
and ``W`` substituted, must equal the shape the plain ``torch.nn`` reference
(``tests/support/torch_models.py``) produces in a CPU forward pass. Sizes include odd ones
and each network's smallest admissible input; one size below it must fail in torch too.
Forward passes use small inputs (the largest is AlexNet's 227x227), the references' weights
are left uninitialised (shapes need none), and the deepest networks get fewer sizes.
"""

from __future__ import annotations

import functools

import pytest

import symcnn as sc
from tests.conftest import require
from tests.zoo.compare import align, materialise, symcnn_tap_shapes, torch_tap_shapes

pytestmark = pytest.mark.frameworks


def _torch():
    require("torch")
    from tests.support import torch_models as T

    return T


# id: (symcnn builder, torch builder taking (h, w), sizes (h, w), input channels)
CASES = {
    "lenet5": (lambda: sc.zoo.lenet5(),
               lambda T, h, w: T.LeNet5(input_hw=(h, w)), [(32, 32), (33, 47), (45, 38)], 1),
    "alexnet": (lambda: sc.zoo.alexnet(),
                lambda T, h, w: T.AlexNet(), [(63, 63), (64, 95), (127, 81)], 3),
    "alexnet_two_tower": (lambda: sc.zoo.alexnet_two_tower(),
                          lambda T, h, w: T.AlexNetTwoTower(input_hw=(h, w)),
                          [(67, 67), (99, 130), (227, 227)], 3),
    **{f"vgg{d}{bn}": (functools.partial(getattr(sc.zoo, f"vgg{d}{bn}")),
                       functools.partial(lambda T, h, w, d, bn: T.VGG(d, bn == "_bn"), d=d, bn=bn),
                       [(32, 32), (33, 65), (63, 47)] if d in (11, 16) else [(35, 49)], 3)
       for d in (11, 13, 16, 19) for bn in ("", "_bn")},
    "resnet18": (lambda: sc.zoo.resnet18(), lambda T, h, w: T.resnet18(),
                 [(1, 1), (33, 17), (64, 95)], 3),
    "resnet18_width16": (lambda: sc.zoo.resnet18(width=16, classes=10),
                         lambda T, h, w: T.ResNet(T.BasicBlock, [2, 2, 2, 2], 10, width=16),
                         [(7, 9), (65, 31)], 3),
    "resnet34": (lambda: sc.zoo.resnet34(), lambda T, h, w: T.resnet34(), [(31, 64)], 3),
    "resnet50": (lambda: sc.zoo.resnet50(), lambda T, h, w: T.resnet50(),
                 [(1, 1), (33, 17), (64, 95)], 3),
    "resnet101": (lambda: sc.zoo.resnet101(), lambda T, h, w: T.resnet101(), [(63, 33)], 3),
    "resnet152": (lambda: sc.zoo.resnet152(), lambda T, h, w: T.resnet152(), [(47, 65)], 3),
    "mobilenet_v2": (lambda: sc.zoo.mobilenet_v2(), lambda T, h, w: T.MobileNetV2(),
                     [(1, 1), (31, 45), (96, 97)], 3),
    "mobilenet_v2_0.35": (lambda: sc.zoo.mobilenet_v2(alpha=0.35, classes=10),
                          lambda T, h, w: T.MobileNetV2(10, 0.35), [(33, 66)], 3),
    "efficientnet_b0": (lambda: sc.zoo.efficientnet_b0(), lambda T, h, w: T.EfficientNet(),
                        [(1, 1), (29, 31), (64, 65)], 3),
    "efficientnet_b2_coefficients": (
        lambda: sc.zoo.efficientnet_b0(width_coefficient=1.1, depth_coefficient=1.2),
        lambda T, h, w: T.EfficientNet(1.1, 1.2), [(37, 50)], 3),
    "densenet121": (lambda: sc.zoo.densenet121(), lambda T, h, w: T.DenseNet(),
                    [(29, 29), (32, 61), (95, 64)], 3),
}


@functools.lru_cache(maxsize=None)
def symbolic_model(case: str):
    return CASES[case][0]()


@pytest.mark.parametrize("case", list(CASES))
def test_every_layer_shape_matches_a_torch_forward_pass(case):
    T = _torch()
    _, torch_build, sizes, channels = CASES[case]
    model = symbolic_model(case)
    for h, w in sizes:
        mine = symcnn_tap_shapes(model, h, w)
        theirs = torch_tap_shapes(materialise(torch_build, T, h, w), h, w, channels)
        assert len(mine) == len(theirs), f"{case} at {h}x{w}: tap count differs"
        assert mine == align(mine, theirs), f"{case} at {h}x{w}"


# The smallest admissible input, from the model's constraints, and the reference at it.
MINIMUM = {"lenet5": 32, "alexnet": 63, "alexnet_two_tower": 67, "vgg11": 32, "densenet121": 29}


@pytest.mark.parametrize("case", list(MINIMUM))
def test_constraints_give_the_smallest_input_torch_accepts(case):
    T = _torch()
    import torch

    _, torch_build, _, channels = CASES[case]
    model = symbolic_model(case)
    H, W = sc.symbols("H W")
    smallest = MINIMUM[case]
    assert model.constraints == [H >= smallest, W >= smallest]
    torch_tap_shapes(materialise(torch_build, T, smallest, smallest), smallest, smallest,
                     channels)
    too_small = smallest - 1
    with pytest.raises((RuntimeError, ValueError)):
        torch_tap_shapes(materialise(torch_build, T, too_small, smallest), too_small, smallest,
                         channels)


@pytest.mark.parametrize("case", ["resnet50", "mobilenet_v2", "efficientnet_b0"])
def test_networks_without_constraints_accept_a_single_pixel(case):
    assert symbolic_model(case).constraints == []
