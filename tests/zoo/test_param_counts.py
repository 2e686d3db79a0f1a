"""Zoo parameter counts: published figures, plain ``torch.nn`` twins, and width closed forms.

Trainable parameters equal the torch reference's ``parameters()``; non-trainable ones equal
its batch-normalization running statistics (and LeNet-5's fixed RBF centres), as Keras
counts them. Each closed form in the width symbols is checked against the reference built
at random widths. References are built on PyTorch's meta device (shapes, no memory).
"""

from __future__ import annotations

import functools
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from tests.conftest import require
from tests.zoo.compare import on_meta, torch_non_trainable

pytestmark = pytest.mark.frameworks


def _torch():
    require("torch")
    from tests.support import torch_models as T

    return T


@pytest.mark.parametrize("build, published", [
    (sc.zoo.resnet50, 25_557_032),
    (sc.zoo.vgg16, 138_357_544),
    (sc.zoo.mobilenet_v2, 3_504_872),
    (sc.zoo.alexnet, 61_100_840),
])
def test_published_reference_counts(build, published):
    assert build().trainable_params == published


# id: (symcnn model at the standard configuration, torch reference builder)
STANDARD = {
    "lenet5": (lambda: sc.zoo.lenet5((32, 32, 1)), lambda T: T.LeNet5()),
    "alexnet": (lambda: sc.zoo.alexnet(), lambda T: T.AlexNet()),
    "alexnet_two_tower": (lambda: sc.zoo.alexnet_two_tower((227, 227, 3)),
                          lambda T: T.AlexNetTwoTower()),
    **{f"vgg{d}{bn}": (functools.partial(getattr(sc.zoo, f"vgg{d}{bn}")),
                       functools.partial(lambda T, d, bn: T.VGG(d, bn), d=d, bn=bool(bn)))
       for d in (11, 13, 16, 19) for bn in ("", "_bn")},
    **{f"resnet{d}": (getattr(sc.zoo, f"resnet{d}"),
                      functools.partial(lambda T, d: T.resnet_by_depth(d), d=d))
       for d in (18, 34, 50, 101, 152)},
    "mobilenet_v2": (lambda: sc.zoo.mobilenet_v2(), lambda T: T.MobileNetV2()),
    "efficientnet_b0": (lambda: sc.zoo.efficientnet_b0(), lambda T: T.EfficientNet()),
    "densenet121": (lambda: sc.zoo.densenet121(), lambda T: T.DenseNet()),
}


@pytest.mark.parametrize("case", list(STANDARD))
def test_counts_equal_the_torch_reference(case):
    T = _torch()
    build, reference = STANDARD[case]
    model, module = build(), on_meta(reference, T)
    assert model.trainable_params == T.count_parameters(module)
    assert model.non_trainable_params == torch_non_trainable(module)


@pytest.mark.parametrize("name", sorted(sc.zoo.EFFICIENTNET_COEFFICIENTS))
def test_efficientnet_b0_to_b7_coefficients_give_torchvision_counts(name):
    T = _torch()
    width, depth = sc.zoo.EFFICIENTNET_COEFFICIENTS[name]
    model = sc.zoo.efficientnet_b0(width_coefficient=width, depth_coefficient=depth)
    assert model.trainable_params == T.count_parameters(on_meta(T.EfficientNet, width, depth))


# ----------------------------------------------------------------------------- closed forms


@functools.lru_cache(maxsize=None)
def _closed_forms() -> dict:
    """Trainable-parameter closed forms in the width symbols, built once per test run."""
    forms = {}
    for depth in (18, 34, 50, 101, 152):
        forms[f"resnet{depth}"] = sc.zoo.resnet(depth, width="w", classes="n").trainable_params
    for depth in (11, 19):
        for bn in (False, True):
            forms[f"vgg{depth}{'_bn' if bn else ''}"] = sc.zoo.vgg(
                depth, batch_norm=bn, width="w", units="u", classes="n").trainable_params
    forms["densenet121"] = sc.zoo.densenet121(growth_rate="k", init_filters="f",
                                              bn_size="b", classes="n").trainable_params
    forms["mobilenet_v2"] = sc.zoo.mobilenet_v2(alpha="alpha", classes="n").trainable_params
    forms["efficientnet_b0"] = sc.zoo.efficientnet_b0(
        width_coefficient="w", depth_coefficient="d", classes="n").trainable_params
    return {k: (v, v.free_symbols) for k, v in forms.items()}


def _at(name, **values):
    form, symbols = _closed_forms()[name]
    table = {s: values[s.name] for s in symbols}
    return int(form.subs(table))


@settings(max_examples=6)
@given(depth=st.sampled_from([18, 34, 50, 101, 152]), w=st.integers(1, 80),
       n=st.integers(1, 2000))
def test_resnet_closed_form_in_width_and_classes(depth, w, n):
    T = _torch()
    reference = on_meta(T.resnet_by_depth, depth, n, w)
    assert _at(f"resnet{depth}", w=w, n=n) == T.count_parameters(reference)


@settings(max_examples=6)
@given(depth=st.sampled_from([11, 19]), bn=st.booleans(), w=st.integers(1, 96),
       u=st.integers(1, 5000), n=st.integers(1, 2000))
def test_vgg_closed_form_in_width_units_and_classes(depth, bn, w, u, n):
    T = _torch()
    reference = on_meta(T.VGG, depth, bn, n, w, u)
    name = f"vgg{depth}{'_bn' if bn else ''}"
    assert _at(name, w=w, u=u, n=n) == T.count_parameters(reference)


@settings(max_examples=8)
@given(k=st.integers(1, 64), f=st.integers(1, 128), b=st.integers(1, 6), n=st.integers(1, 2000))
def test_densenet121_closed_form_in_growth_rate_stem_width_and_bottleneck(k, f, b, n):
    T = _torch()
    reference = on_meta(T.DenseNet, k, (6, 12, 24, 16), f, b, n)
    assert _at("densenet121", k=k, f=f, b=b, n=n) == T.count_parameters(reference)


multipliers = st.one_of(
    st.integers(5, 300).map(lambda c: c / 100),      # floats, as torchvision users pass them
    st.sampled_from([0.35, 0.5, 0.75, 1.0, 1.1, 1.2, 1.3, 1.4, 1.8, 2.0, 3.1]),
)


@settings(max_examples=12)
@given(alpha=multipliers, n=st.integers(1, 2000))
def test_mobilenet_v2_closed_form_in_alpha_matches_torchvision_rounding(alpha, n):
    T = _torch()
    value = _at("mobilenet_v2", alpha=sympy.Float(alpha, precision=53), n=n)
    assert value == T.count_parameters(on_meta(T.MobileNetV2, n, alpha))
    assert value == sc.zoo.mobilenet_v2(alpha=alpha, classes=n).trainable_params


@settings(max_examples=12)
@given(w=multipliers, d=multipliers, n=st.integers(1, 2000))
def test_efficientnet_closed_form_in_both_coefficients_matches_torchvision(w, d, n):
    T = _torch()
    value = _at("efficientnet_b0", w=sympy.Float(w, precision=53),
                d=sympy.Float(d, precision=53), n=n)
    assert value == T.count_parameters(on_meta(T.EfficientNet, w, d, n))


@settings(max_examples=12)
@given(w=st.fractions(Fraction(1, 20), 3, max_denominator=40),
       d=st.fractions(Fraction(1, 20), 3, max_denominator=40))
def test_efficientnet_exact_coefficients_build_the_same_network_as_the_closed_form(w, d):
    model = sc.zoo.efficientnet_b0(width_coefficient=w, depth_coefficient=d, classes="n")
    assert model.trainable_params.subs(_n(model), 7) == _at(
        "efficientnet_b0", w=sympy.Rational(w.numerator, w.denominator),
        d=sympy.Rational(d.numerator, d.denominator), n=7)


def _n(model):
    return next(s for s in model.free_symbols if s.name == "n")


def test_closed_forms_have_only_the_width_symbols():
    names = {k: sorted(s.name for s in v[1]) for k, v in _closed_forms().items()}
    assert names["resnet50"] == ["n", "w"]
    assert names["densenet121"] == ["b", "f", "k", "n"]
    assert names["efficientnet_b0"] == ["d", "n", "w"]
