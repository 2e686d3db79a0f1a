"""Layer results are cached by signature (class, arguments, input shapes), never changing them.

A network repeats the same layer on the same shapes many times; ``apply_layer`` computes each
signature once. These tests pin that the cache is invisible: every result equals a fresh
computation, errors are still raised, and names stay per layer.
"""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc
from symcnn.layers import base


@pytest.fixture
def no_cache(monkeypatch):
    """Build without the cache: every layer call computed afresh."""

    def build(make):
        with monkeypatch.context() as patch:
            patch.setattr(base, "_signature", lambda layer, shapes: None)
            return make()

    return build


def _facts(model):
    return [(r.name, r.output_shape, r.params, r.trainable_params, r.non_trainable_params,
             r.constraints) for r in model.layers] + [model.params, model.constraints]


def test_identical_layers_on_identical_shapes_share_one_computation():
    x = sc.Input(("H", "W", 16))
    first = sc.Conv2D(16, 3, padding="same")(x)
    second = sc.Conv2D(16, 3, padding="same", name="other")(x)
    assert first.node.computed is second.node.computed
    assert first.shape == second.shape == (sc.symbols("H"), sc.symbols("W"), 16)


@pytest.mark.parametrize("make", [
    lambda: sc.zoo.resnet50(),
    lambda: sc.zoo.resnet18(width="w"),
    lambda: sc.zoo.resnet50(input_shape=(225, 223, 3)),
    lambda: sc.zoo.mobilenet_v2(),
    lambda: sc.zoo.textbook.free_width(),
], ids=["resnet50", "resnet18_w", "resnet50_odd_sizes", "mobilenet_v2", "free_width"])
def test_models_built_with_the_cache_equal_models_built_without_it(make, no_cache):
    assert _facts(make()) == _facts(no_cache(make))


def test_the_cache_never_hides_an_argument_check():
    x = sc.Input((3, "H", "W"))
    sc.nn.Conv2d(3, 8, 3)(x)
    with pytest.raises(sc.ShapeError, match="`in_channels` is 4 but the input has 3"):
        sc.nn.Conv2d(4, 8, 3)(x)


def test_layers_differing_only_in_a_symbol_assumption_are_not_confused(no_cache):
    plain, positive = sympy.Symbol("k", integer=True), sc.symbols("k")

    def make(k):
        x = sc.Input((12, 12, 4))
        return sc.Model(x, sc.Conv2D(8, k)(x))

    with_plain, with_positive = make(plain), make(positive)  # plain first: then positive
    assert _facts(with_plain) == _facts(no_cache(lambda: make(plain)))
    assert _facts(with_positive) == _facts(no_cache(lambda: make(positive)))
    assert with_plain.constraints != with_positive.constraints  # plain k also needs k >= 1


def test_frozen_layers_are_cached_apart_from_trainable_ones():
    x = sc.Input((8, 8, 4))
    frozen = sc.Model(x, sc.Conv2D(4, 3, trainable=False)(x))
    trained = sc.Model(x, sc.Conv2D(4, 3)(x))
    assert (frozen.trainable_params, frozen.non_trainable_params) == (0, 148)
    assert (trained.trainable_params, trained.non_trainable_params) == (148, 0)


def test_a_full_cache_is_cleared_rather_than_grown(monkeypatch):
    monkeypatch.setattr(base, "_COMPUTED", {})
    monkeypatch.setattr(base, "_COMPUTED_MAX", 3)
    x = sc.Input(("H", 8, 4))
    for filters in range(1, 8):
        x = sc.Conv2D(filters, 1)(x)
        assert len(base._COMPUTED) <= 3


def test_the_key_tells_apart_values_python_deems_equal():
    assert base._frozen(1) != base._frozen(True) != base._frozen(1.0)
    assert base._frozen(sympy.Integer(1)) != base._frozen(1)
    assert base._frozen((1, 2)) != base._frozen([1, 2])
    assert base._frozen({"a": 1}) == base._frozen({"a": 1})


def test_the_key_holds_integer_sizes_as_plain_ints_and_symbols_as_they_are():
    H = sc.symbols("H")
    assert base._dims((H, sympy.Integer(8), sympy.Integer(3))) == (H, 8, 3)


def test_a_layer_with_an_unhashable_argument_is_computed_without_the_cache(monkeypatch):
    monkeypatch.setattr(base, "_COMPUTED", {})
    x = sc.Input((8, 8, 4))
    layer = sc.Conv2D(4, 3, kernel_initializer={"seeds": {1, 2}})  # a set: unhashable
    assert base._cached(base._signature(layer, [x.shape])) is None
    assert layer(x).shape == (6, 6, 4)
    assert base._COMPUTED == {}
