"""Swin Transformers: torchvision's parameter counts, output shapes and FlopCounterMode MACs."""

import os

import pytest

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs
from ..support.torchvision_ref import classifier


@pytest.mark.frameworks
def test_swin_t_matches_torchvision_in_params_output_and_macs_at_an_odd_size():
    torch = require("torch")
    reference = classifier("swin_t")
    size = (75, 101)  # windows padded, patch merging padded to even sizes
    x = torch.zeros(1, 3, *size)
    model = sc.zoo.swin_t(input_shape=(*size, 3))
    assert model.params == sum(p.numel() for p in reference.parameters()) == 28288354
    assert model.output_shape == tuple(reference(x).shape[1:])
    assert model.macs == torch_macs(reference, x, onednn=True)  # no LSTM: same count
    features = sc.zoo.swin_t(include_top=False).subs(H=size[0], W=size[1])
    assert features.output_shape == tuple(reference.norm(reference.features(x)).shape[1:])


def test_a_symbolic_width_gives_the_numeric_builds():
    C = sc.symbols("C")
    kwargs = dict(depths=(1, 2, 1, 1), num_heads=(1, 2, 4, 8), input_shape=(64, 64, 3),
                  classes=10)
    symbolic = sc.zoo.swin("C", **kwargs)
    for width in (8, 16):
        numeric = sc.zoo.swin(width, **kwargs)
        assert symbolic.params.xreplace({C: width}) == numeric.params
        assert symbolic.macs.xreplace({C: width}) == numeric.macs


def test_stage_arguments_are_checked():
    with pytest.raises(sc.LayerArgumentError, match="depths.*num_heads"):
        sc.zoo.swin(96, depths=(2, 2, 6), num_heads=(3, 6, 12, 24))


@pytest.mark.frameworks
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("SYMCNN_LONG"), reason="long run: set SYMCNN_LONG=1")
@pytest.mark.parametrize("name", ["swin_s", "swin_b"])
def test_every_swin_has_torchvisions_parameter_count(name):
    reference = classifier(name)
    assert getattr(sc.zoo, name)(input_shape=(224, 224, 3)).params == \
        sum(p.numel() for p in reference.parameters())
