"""ConvNeXt: torchvision's and Keras' parameter counts, FlopCounterMode MACs, closed forms
in the depths and widths."""

import sympy
import pytest

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs
from ..support.torchvision_ref import classifier


@pytest.mark.frameworks
@pytest.mark.parametrize("size", [(67, 93)])  # not multiples of 32: floors everywhere
def test_convnext_tiny_matches_torchvision_in_params_output_and_macs(size):
    torch = require("torch")
    reference = classifier("convnext_tiny")
    x = torch.zeros(1, 3, *size)
    model = sc.zoo.convnext_tiny(input_shape=(*size, 3))
    assert model.params == model.trainable_params == sum(p.numel() for p in reference.parameters())
    assert model.output_shape == tuple(reference(x).shape[1:])
    assert model.macs == torch_macs(reference, x, onednn=True)  # no LSTM: same count
    features = sc.zoo.convnext_tiny(include_top=False).subs(H=size[0], W=size[1])
    assert features.output_shape[:2] == tuple(reference.features(x).shape[2:])


@pytest.mark.frameworks
def test_convnext_tiny_has_keras_counts():
    keras = require("keras")
    theirs = keras.applications.ConvNeXtTiny(weights=None)
    assert sc.zoo.convnext_tiny(input_shape=(224, 224, 3)).params == theirs.count_params()
    # without the top Keras keeps a layer norm on the last feature map (1,536 weights)
    features = keras.applications.ConvNeXtTiny(weights=None, include_top=False,
                                               input_shape=(160, 192, 3),
                                               include_preprocessing=False)
    ours = sc.zoo.convnext_tiny(input_shape=(160, 192, 3), include_top=False)
    assert ours.params == features.count_params()
    assert ours.output_shape == tuple(features.output_shape[1:])


def test_a_symbolic_depth_and_width_give_the_numeric_builds():
    L, d = sc.symbols("L d")
    symbolic = sc.zoo.convnext(depths=(1, 1, "L", 1), dims=("d", 2 * d, 4 * d, 8 * d),
                               input_shape=(64, 64, 3), classes=10)
    for depth, width in [(1, 4), (3, 8)]:
        numeric = sc.zoo.convnext(depths=(1, 1, depth, 1), dims=(width, 2 * width, 4 * width,
                                                                  8 * width),
                                  input_shape=(64, 64, 3), classes=10)
        at = {L: depth, d: width}
        assert symbolic.params.xreplace(at) == numeric.params
        assert symbolic.macs.xreplace(at) == numeric.macs
    assert sympy.Poly(symbolic.params, L, d).degree(d) == 2


def test_bad_stage_arguments_are_named():
    with pytest.raises(sc.LayerArgumentError, match="depths.*dims"):
        sc.zoo.convnext(depths=(3, 3, 9))


@pytest.mark.frameworks
@pytest.mark.slow
@pytest.mark.skipif(not __import__("os").environ.get("SYMCNN_LONG"),
                    reason="long run: set SYMCNN_LONG=1 (builds up to 198 M weights)")
@pytest.mark.parametrize("name", ["convnext_small", "convnext_base", "convnext_large"])
def test_every_convnext_has_torchvisions_parameter_count(name):
    reference = classifier(name)
    model = getattr(sc.zoo, name)(input_shape=(224, 224, 3))
    assert model.params == sum(p.numel() for p in reference.parameters())
