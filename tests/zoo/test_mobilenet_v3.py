"""MobileNetV3-Large/Small with a width multiplier, against torchvision itself."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

import symcnn as sc
from tests.conftest import require


def _torchvision(name, **options):
    from tests.support.torchvision_ref import classifier

    return classifier(name, **options)


def _params(name, width_mult):
    net = _torchvision(name, device="meta", width_mult=width_mult)
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("name", ["mobilenet_v3_large", "mobilenet_v3_small"])
def test_symbolic_alpha_substituted_equals_torchvision(name):
    alpha = sc.multiplier("alpha")
    model = getattr(sc.zoo, name)((224, 224, 3), alpha=alpha)
    for text in ("0.25", "0.5", "0.75", "1.0", "1.25"):
        expected = _params(name, float(text))
        assert model.subs(alpha=text).trainable_params == expected
        assert getattr(sc.zoo, name)((224, 224, 3), alpha=float(text)).trainable_params \
            == expected


def test_largest_alpha_on_a_grid_equals_brute_force_over_torchvision():
    alpha = sc.multiplier("alpha")
    params = sc.zoo.mobilenet_v3_large((224, 224, 3), alpha=alpha).trainable_params
    # from 1/4 up, where the closed form holds (module docstring)
    within = [k for k in range(5, 25) if _params("mobilenet_v3_large", k / 20) <= 3_000_000]
    assert within == list(range(5, max(within) + 1)) and max(within) < 24
    found = sc.solve_budget(params, 3_000_000, alpha, step=Fraction(1, 20))
    assert found == sympy.Rational(max(within), 20)


@pytest.mark.parametrize("name", ["mobilenet_v3_large", "mobilenet_v3_small"])
def test_training_activations_equal_torchvision_saved_tensors(name):
    torch = require("torch")
    from tests.support.saved_tensors import measure

    net = _torchvision(name)
    for size, batch in ((64, 2), (96, 1)):
        total, _ = measure(net, torch.randn(batch, 3, size, size))
        model = getattr(sc.zoo, name)((size, size, 3))
        assert model.training_memory(batch=batch).activations == total
