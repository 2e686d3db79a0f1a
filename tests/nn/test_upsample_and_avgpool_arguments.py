"""``nn.Upsample`` and ``nn.AvgPool*d`` accept exactly the arguments PyTorch accepts.

PyTorch checks them only in ``forward``; symcnn accepted some that PyTorch refuses, and
``to_torch()`` then failed in the forward pass. Each case runs the real module: where it
fails, symcnn refuses with a ``LayerArgumentError`` (or a ``ShapeError`` for the input's rank)
naming the layer, the argument and the received value; where it runs, symcnn accepts and its
``to_torch()`` runs with the same output shape.
"""

import pytest

import symcnn as sc
from symcnn import nn

from ..conftest import require

pytestmark = pytest.mark.frameworks

MODES = ["nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact",
         "lanczos", "foo", 3]


def torch_runs(make, shape):
    """The output shape of a real forward pass (batch 1), or None where PyTorch refuses."""
    torch = require("torch")
    try:
        return tuple(make(torch.nn)(torch.zeros(1, *shape)).shape[1:])
    except (RuntimeError, ValueError, TypeError, NotImplementedError):
        return None


def check_agrees(make, shape, argument, value):
    expected = torch_runs(make, shape)
    if expected is not None:
        model = nn.Sequential(make(nn), input_shape=shape)
        assert tuple(int(d) for d in model.output_shape) == expected
        torch = require("torch")
        assert tuple(model.to_torch()(torch.zeros(1, *shape)).shape[1:]) == expected
        return
    with pytest.raises((sc.LayerArgumentError, sc.ShapeError)) as caught:
        nn.Sequential(make(nn), input_shape=shape)
    text = str(caught.value)
    assert type(make(require("torch").nn)).__name__ in text  # the layer
    assert f"{argument}={value!r}" in text, text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("spatial", [1, 2, 3, 4])
def test_the_mode_must_suit_the_number_of_spatial_axes(mode, spatial):
    shape = (2, *[3] * spatial)
    check_agrees(lambda m: m.Upsample(scale_factor=2, mode=mode), shape, "mode", mode)


@pytest.mark.parametrize("mode", ["nearest", "area", "nearest-exact", "bilinear", "bicubic"])
@pytest.mark.parametrize("corners", [None, True, False, 1, 0, "yes"])
def test_align_corners_only_with_the_interpolating_modes_and_only_a_bool(mode, corners):
    check_agrees(lambda m: m.Upsample(scale_factor=2, mode=mode, align_corners=corners),
                 (2, 4, 4), "align_corners", corners)


@pytest.mark.parametrize("recompute", [None, False, True])
def test_recompute_scale_factor_is_refused_with_a_size(recompute):
    check_agrees(lambda m: m.Upsample(size=5, recompute_scale_factor=recompute), (2, 3),
                 "recompute_scale_factor", recompute)


@pytest.mark.parametrize("cls, shape", [("AvgPool2d", (2, 9, 9)), ("AvgPool3d", (2, 6, 6, 6))])
@pytest.mark.parametrize("divisor", [None, 0, 1, 4, -2, 2.0, 2.5, True, "2"])
def test_divisor_override_is_a_non_zero_int(cls, shape, divisor):
    check_agrees(lambda m: getattr(m, cls)(3, divisor_override=divisor), shape,
                 "divisor_override", divisor)


def test_the_reported_settings_are_refused_naming_layer_argument_and_value():
    cases = [
        (lambda: nn.Upsample(scale_factor=2, mode="foo"), (3, 5, 5), sc.LayerArgumentError,
         r"^Upsample: `mode` must be one of .* Received: mode='foo'$"),
        (lambda: nn.Upsample(scale_factor=2, mode="bilinear", name="up"), (3, 5), sc.ShapeError,
         r"^Upsample layer 'up' \(#0\) on input shape \(3, 5\): mode='bilinear' needs 2 "
         r"spatial axes .* Received: mode='bilinear', shape=\(3, 5\)$"),
        (lambda: nn.Upsample(scale_factor=2, mode="linear"), (3, 5, 5), sc.ShapeError,
         r"mode='linear' needs 1 spatial axis .* Received: mode='linear'"),
        (lambda: nn.Upsample(scale_factor=2, align_corners=True), (3, 5, 5),
         sc.LayerArgumentError, r"^Upsample: `align_corners` can only be set with the "
                                r"interpolating modes .* Received: align_corners=True$"),
        (lambda: nn.AvgPool2d(3, divisor_override=0), (3, 9, 9), sc.LayerArgumentError,
         r"^AvgPool2d: `divisor_override` must not be 0 .* Received: divisor_override=0$"),
    ]
    for make, shape, error, pattern in cases:
        with pytest.raises(error, match=pattern):
            nn.Sequential(make(), input_shape=shape)


def test_from_torch_refuses_what_the_module_refuses():
    torch = require("torch")
    for module, shape in ((torch.nn.Upsample(scale_factor=2, mode="bilinear"), (3, 5)),
                          (torch.nn.AvgPool2d(3, divisor_override=0), (3, 9, 9))):
        with pytest.raises((RuntimeError, NotImplementedError)):
            module(torch.zeros(1, *shape))
        with pytest.raises((sc.ShapeError, sc.LayerArgumentError), match=r"^from_torch: "):
            sc.from_torch(module, input_shape=shape)
