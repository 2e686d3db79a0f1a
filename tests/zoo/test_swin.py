"""Swin Transformers: torchvision's parameter counts, output shapes and FlopCounterMode MACs."""

import os

import pytest
import sympy

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


def test_window_size_is_an_int_or_a_pair():
    """``window_size=7`` is (7, 7), as torchvision's list of two; anything else is named
    (an int raised a bare TypeError, and the command line exited 70)."""
    assert sc.zoo.swin(window_size=7, input_shape=(64, 64, 3)).params == \
        sc.zoo.swin(window_size=(7, 7), input_shape=(64, 64, 3)).params
    for bad in ((7,), (7, 7, 7), 0, "7", (7.0, 7), True):
        with pytest.raises(sc.LayerArgumentError, match="`window_size` must be"):
            sc.zoo.swin(window_size=bad)


@pytest.mark.frameworks
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("SYMCNN_LONG"), reason="long run: set SYMCNN_LONG=1")
@pytest.mark.parametrize("name", ["swin_s", "swin_b"])
def test_every_swin_has_torchvisions_parameter_count(name):
    reference = classifier(name)
    assert getattr(sc.zoo, name)(input_shape=(224, 224, 3)).params == \
        sum(p.numel() for p in reference.parameters())


def test_a_symbolic_width_states_its_divisibility_once():
    """Each stage asks 3 | k*e; SymPy writes Mod(2*e, 6) as 2*Mod(e, 3), which listed the
    same condition four times."""
    model = sc.zoo.swin(embed_dim="e")
    e = sc.symbols("e")
    assert [c for c in model.constraints if c.has(sympy.Mod)] == [sympy.Eq(sympy.Mod(e, 3), 0)]
    with pytest.raises(sc.ShapeError):
        model.subs(e=4)
