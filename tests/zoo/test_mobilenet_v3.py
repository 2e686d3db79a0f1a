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


#: Where the symbolic model's closed forms start to hold (its recorded constraint).
BOUNDARY = {"mobilenet_v3_large": sympy.Rational(5, 36),
            "mobilenet_v3_small": sympy.Rational(10, 81)}


@pytest.mark.parametrize("name", ["mobilenet_v3_large", "mobilenet_v3_small"])
def test_at_small_alpha_the_symbolic_model_refuses_where_torchvision_differs(name):
    """Up to the boundary torchvision leaves out expansions that the symbolic model draws:
    the model records alpha > boundary, so substituting 0.1 is refused (it was 185,184
    trainable parameters for the large model, where torchvision has 184,944), naming the
    numeric build, and a budget solved on the model answers only admissible values."""
    model = getattr(sc.zoo, name)((224, 224, 3), alpha=sc.multiplier("alpha"))
    assert [str(c) for c in model.constraints] == [f"alpha > {BOUNDARY[name]}"]
    numeric = getattr(sc.zoo, name)((224, 224, 3), alpha=0.1)
    assert numeric.trainable_params == _params(name, 0.1)  # a number: torchvision's network
    with pytest.raises(sc.ShapeError, match=rf"hold only where alpha > {BOUNDARY[name]}.*"
                                            rf"alpha=1/10"):
        model.subs(alpha="0.1")
    assert model.subs(alpha="0.25").constraints == []
    alpha = next(s for s in model.free_symbols if s.name == "alpha")
    smallest = next(sympy.Rational(k, 100) for k in range(1, 100)
                    if sympy.Rational(k, 100) > BOUNDARY[name])
    low = model.subs(alpha=smallest).params
    assert sc.solve_budget(model, low - 1, alpha, step=Fraction(1, 100)) is None
    assert sc.solve_budget(model, low, alpha, step=Fraction(1, 100)) == smallest


def _rounds(v):
    """torchvision's _make_divisible(v, 8) in exact arithmetic, written out here."""
    n = max(8, int(v + 4) // 8 * 8)
    return n + 8 if n < Fraction(9, 10) * v else n


@pytest.mark.parametrize("name", ["mobilenet_v3_large", "mobilenet_v3_small"])
def test_the_boundary_is_the_largest_alpha_where_an_expansion_rounds_away(name):
    """An exact scan of every rounding step of every expanded and input width: at and below
    the boundary some expansion rounds to its input width (torchvision leaves it out), above
    it none does. (The boundary was 1/4, refusing 0.2, where both agree.)"""
    from symcnn.zoo.mobilenet_v3 import _LARGE, _SMALL

    table = _LARGE if name == "mobilenet_v3_large" else _SMALL
    pairs = [(c_in, c_exp) for c_in, _, c_exp, *_ in table if c_exp != c_in]

    def dropped(a):
        return any(_rounds(c_in * a) == _rounds(c_exp * a) for c_in, c_exp in pairs)

    steps = sorted({v / c for c in {c for p in pairs for c in p}
                    for k in range(1, 60) for v in (Fraction(8 * k - 4), Fraction(80 * k, 9))
                    if v / c <= 1})
    probes = sorted(set(steps) | {(a + b) / 2 for a, b in zip([Fraction(0)] + steps, steps)})
    last = max(a for a in probes if dropped(a))
    assert all(dropped(a) for a in probes if a <= last)  # every alpha up to it
    model = getattr(sc.zoo, name)(alpha="alpha")
    (constraint,) = model.constraints
    alpha = next(iter(constraint.free_symbols))
    assert constraint == (alpha > sympy.Rational(last.numerator, last.denominator))


@pytest.mark.parametrize("name", ["mobilenet_v3_large", "mobilenet_v3_small"])
def test_near_the_boundary_the_closed_form_equals_torchvision_where_accepted(name):
    """params and MACs (FlopCounterMode, halved) of torchvision at alpha = 0.10 .. 0.30:
    the closed form substituted equals them wherever the model accepts the value (0.2 for
    the large model was refused), and differs at some refused value."""
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    model = getattr(sc.zoo, name)((33, 47, 3), alpha="alpha")
    alpha = next(s for s in model.free_symbols if s.name == "alpha")
    differs_below = False
    for k in range(10, 31):
        net = _torchvision(name, device="meta", width_mult=k / 100)
        with FlopCounterMode(display=False) as counter:
            net(torch.empty(1, 3, 33, 47, device="meta"))
        expected = (sum(p.numel() for p in net.parameters()), counter.get_total_flops() // 2)
        value = sympy.Rational(k, 100)
        closed = (model.trainable_params.subs(alpha, value), model.macs.subs(alpha, value))
        if value > BOUNDARY[name]:
            substituted = model.subs(alpha=value)
            assert (substituted.trainable_params, substituted.macs) == expected == closed, k
        else:
            with pytest.raises(sc.ShapeError, match="hold only where"):
                model.subs(alpha=value)
            differs_below |= closed != expected
    assert differs_below


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
