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


@pytest.mark.parametrize("name", ["mobilenet_v3_large", "mobilenet_v3_small"])
def test_below_a_quarter_the_symbolic_model_refuses_where_torchvision_differs(name):
    """Below alpha = 1/4 torchvision leaves out expansions that the symbolic model draws:
    the model records alpha >= 1/4, so substituting 0.1 is refused (it was 185,184
    trainable parameters for the large model, where torchvision has 184,944), and a budget
    solved on the model answers only admissible values."""
    model = getattr(sc.zoo, name)((224, 224, 3), alpha=sc.multiplier("alpha"))
    assert [str(c) for c in model.constraints] == ["alpha >= 1/4"]
    numeric = getattr(sc.zoo, name)((224, 224, 3), alpha=0.1)
    assert numeric.trainable_params == _params(name, 0.1)  # a number: torchvision's network
    with pytest.raises(sc.ShapeError, match=r"hold only where alpha >= 1/4.*alpha=1/10"):
        model.subs(alpha="0.1")
    assert model.subs(alpha="0.25").constraints == []
    alpha = next(s for s in model.free_symbols if s.name == "alpha")
    quarter = model.subs(alpha="0.25").params
    assert sc.solve_budget(model, quarter - 1, alpha, step=Fraction(1, 20)) is None
    assert sc.solve_budget(model, quarter, alpha, step=Fraction(1, 20)) == sympy.Rational(1, 4)


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
