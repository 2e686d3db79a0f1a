"""The ViT family: closed forms in patch_size, hidden_dim, num_layers, num_heads, mlp_dim,
H and W, against torchvision's VisionTransformer (or a torch.nn twin when torchvision is not
installed): parameters, output shape and MACs = FlopCounterMode / 2 (grad enabled, math
attention kernel).

CI: ViT-B/16's parameter count (86,567,656) from torchvision's model, and random small ViTs
for parameters and MACs (a ViT-B/16 forward under FlopCounterMode takes about 20 s: only with
``SYMCNN_LONG``).
"""

import os

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs

LONG = bool(os.environ.get("SYMCNN_LONG"))


def reference_vit(patch, hidden, layers, heads, mlp, image, classes):
    """torchvision's VisionTransformer, or a torch.nn twin with the same parameters and
    products when torchvision is not installed."""
    torch = require("torch")
    try:
        from ..support.torchvision_ref import torchvision

        tv = torchvision()
        return tv.models.vision_transformer.VisionTransformer(
            image, patch, layers, heads, hidden, mlp, num_classes=classes)
    except BaseException:  # noqa: BLE001 - pytest's skip is a BaseException
        if os.environ.get("CI"):
            raise
    nn = torch.nn

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_proj = nn.Conv2d(3, hidden, patch, stride=patch)
            self.class_token = nn.Parameter(torch.zeros(1, 1, hidden))
            self.pos_embedding = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, hidden))
            self.layers = nn.Sequential(*(nn.TransformerEncoderLayer(
                hidden, heads, mlp, dropout=0.0, activation="gelu", batch_first=True,
                norm_first=True) for _ in range(layers)))
            self.ln = nn.LayerNorm(hidden)
            self.head = nn.Linear(hidden, classes)

        def forward(self, x):
            x = self.conv_proj(x).flatten(2).transpose(1, 2)
            x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
            return self.head(self.ln(self.layers(x + self.pos_embedding))[:, 0])

    return Twin()


@pytest.mark.frameworks
def test_vit_b_16_has_torchvisions_parameter_count_at_224():
    torchvision = pytest.importorskip("tests.support.torchvision_ref").torchvision
    try:
        reference = torchvision().models.vit_b_16(weights=None)
    except BaseException:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        reference = reference_vit(16, 768, 12, 12, 3072, 224, 1000)
    expected = sum(p.numel() for p in reference.parameters())
    model = sc.zoo.vit_b_16(input_shape=(224, 224, 3))
    assert model.params == model.trainable_params == expected == 86567656
    assert model.output_shape == (1000,)


@pytest.mark.frameworks
@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long run: set SYMCNN_LONG=1 (a 20 s forward pass)")
def test_vit_b_16_macs_at_224_are_the_flop_counters_with_grad_and_the_math_kernel():
    torch = require("torch")
    reference = reference_vit(16, 768, 12, 12, 3072, 224, 1000)
    assert sc.zoo.vit_b_16(input_shape=(224, 224, 3)).macs == \
        torch_macs(reference, torch.zeros(1, 3, 224, 224), onednn=True)


@pytest.mark.frameworks
@settings(max_examples=8, deadline=None)
@given(patch=st.integers(2, 6), heads=st.integers(1, 3), head_dim=st.integers(1, 4),
       layers=st.integers(1, 2), mlp=st.integers(1, 12), cells=st.integers(1, 3),
       classes=st.integers(1, 5))
def test_small_vits_match_torchvision_in_params_output_and_macs(patch, heads, head_dim, layers,
                                                                 mlp, cells, classes):
    torch = require("torch")
    hidden, image = heads * head_dim, patch * cells
    reference = reference_vit(patch, hidden, layers, heads, mlp, image, classes)
    model = sc.zoo.vit(patch, hidden, layers, heads, mlp, input_shape=(image, image, 3),
                       classes=classes)
    x = torch.zeros(1, 3, image, image)
    assert model.params == sum(p.numel() for p in reference.parameters())
    assert model.output_shape == tuple(reference(x).shape[1:])
    assert model.macs == torch_macs(reference, x)


def test_closed_forms_in_every_size_argument_equal_the_numeric_builds():
    p, e, L, h, m, H, W = sc.symbols("p e L h m H W")
    symbolic = sc.zoo.vit("p", h * e, "L", "h", "m", input_shape=("H", "W", 3), classes=10)
    N = sympy.floor(H / p) * sympy.floor(W / p)
    d = h * e
    per_block = 4 * d**2 + 2 * d * m + 9 * d + m
    expected = 3 * p**2 * d + d + d + (N + 1) * d + L * per_block + 2 * d + 10 * d + 10
    assert sympy.expand(symbolic.params - expected) == 0
    block_macs = 4 * (N + 1) * d**2 + 2 * (N + 1)**2 * d + 2 * (N + 1) * d * m
    assert sympy.expand(symbolic.macs - (N * 3 * p**2 * d + L * block_macs + 10 * d)) == 0
    for values in [dict(p=16, e=64, L=12, h=12, m=3072, H=224, W=224),
                   dict(p=4, e=3, L=2, h=2, m=5, H=9, W=13)]:
        numeric = sc.zoo.vit(values["p"], values["h"] * values["e"], values["L"], values["h"],
                             values["m"], input_shape=(values["H"], values["W"], 3), classes=10)
        at = {sc.symbols(k): v for k, v in values.items()}
        assert (symbolic.params.xreplace(at), symbolic.macs.xreplace(at)) == \
            (numeric.params, numeric.macs)


def test_a_width_that_is_not_a_multiple_of_the_heads_is_refused_with_the_fix():
    with pytest.raises(sc.LayerArgumentError, match="num_heads\\*head_dim.*hidden_dim=d"):
        sc.zoo.vit(16, "d", 12, 12, 3072)
    with pytest.raises(sc.LayerArgumentError, match="patch_size"):
        sc.zoo.vit(0)


@pytest.mark.frameworks
@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long run: set SYMCNN_LONG=1 (builds up to 632 M weights)")
@pytest.mark.parametrize("name", ["vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"])
def test_every_vit_has_torchvisions_parameter_count_at_224(name):
    from ..support.torchvision_ref import torchvision

    reference = getattr(torchvision().models, name)(weights=None)
    model = getattr(sc.zoo, name)(input_shape=(224, 224, 3))
    assert model.params == sum(p.numel() for p in reference.parameters())
