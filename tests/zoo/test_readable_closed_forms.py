"""Zoo shapes stay readable and exact: one rounding per size, equal to the step-by-step value.

A stack of strided layers nests floors and ceilings; symcnn's arithmetic collapses each nest
into one rounding of a polynomial as it builds. Every size of every layer of every zoo
network must come out with at most one floor or ceiling and none nested, and the collapsed
form must equal what the same network computes layer by layer on a concrete input.
"""

from __future__ import annotations

import functools

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

H, W = sc.symbols("H W")

BUILDERS = {
    "lenet5": sc.zoo.lenet5, "alexnet": sc.zoo.alexnet,
    "alexnet_two_tower": sc.zoo.alexnet_two_tower, "vgg19_bn": sc.zoo.vgg19_bn,
    "resnet18": sc.zoo.resnet18, "resnet50": sc.zoo.resnet50, "resnet152": sc.zoo.resnet152,
    "mobilenet_v2": sc.zoo.mobilenet_v2, "efficientnet_b0": sc.zoo.efficientnet_b0,
    "densenet121": sc.zoo.densenet121,
}
SMALLEST = {"lenet5": 32, "alexnet": 63, "alexnet_two_tower": 67, "vgg19_bn": 32,
            "densenet121": 29}


@functools.lru_cache(maxsize=None)
def features(name):
    return BUILDERS[name](include_top=False)


def _roundings(expr):
    return [e for e in sympy.preorder_traversal(sympy.sympify(expr))
            if isinstance(e, (sympy.floor, sympy.ceiling))]


def test_resnet50_last_feature_map_is_one_ceiling_of_h_over_32():
    assert features("resnet50").output_shape == (sympy.ceiling(H / 32), sympy.ceiling(W / 32),
                                                 2048)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_size_of_every_layer_has_at_most_one_rounding(name):
    for node in features(name).nodes:
        for tensor in node.outputs:
            for size in tensor.shape:
                roundings = _roundings(size)
                assert len(roundings) <= 1, (node.layer.name, size)
                assert not any(_roundings(r.args[0]) for r in roundings), (node.layer.name, size)


@pytest.mark.parametrize("name", list(BUILDERS))
@settings(max_examples=25)
@given(data=st.data())
def test_closed_form_equals_the_network_built_on_numbers(name, data):
    smallest = SMALLEST.get(name, 1)
    h = data.draw(st.integers(smallest, smallest + 200), label="h")
    w = data.draw(st.integers(smallest, smallest + 200), label="w")
    symbolic = features(name).output_shape
    numeric = BUILDERS[name]((h, w, 1 if name == "lenet5" else 3), include_top=False)
    assert tuple(sympy.sympify(d).xreplace({H: h, W: w}) for d in symbolic) == numeric.output_shape
