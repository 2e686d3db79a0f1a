"""A stated parameter formula computed with Python ints (issue 16) gives what SymPy's
evaluation of the formula gives (``value_of``), for every layer that states one."""

import sympy
from hypothesis import given, strategies as st

import symcnn as sc
from symcnn.derivation.blocks import value_of
from symcnn.layers.formula_values import integer_value

n = sc.symbols("n")
channels = st.sampled_from([1, 2, 3, 4, 6, 8, 12, 16, 24, 64, n, 2 * n])
small = st.integers(1, 5)
flags = st.booleans()


def _layers(c, k, f, g, bias):
    yield sc.Conv2D(f * g, k, groups=g, use_bias=bias), (9, 9, c * g)
    yield sc.DepthwiseConv2D(k, depth_multiplier=f, use_bias=bias), (9, 9, c)
    yield sc.SeparableConv2D(f, k, depth_multiplier=g, use_bias=bias), (9, 9, c)
    yield sc.Conv2DTranspose(f * g, k, groups=g, use_bias=bias), (9, 9, c * g)
    yield sc.Conv1D(f, k, use_bias=bias), (20, c)
    yield sc.Dense(f, use_bias=bias), (4, c)
    yield sc.BatchNormalization(center=bias, scale=g % 2 == 0), (5, c)


@given(channels, small, small, small, flags)
def test_integer_values_of_stated_formulas_are_sympys(c, k, f, g, bias):
    for layer, shape in _layers(c, k, f, g, bias):
        formula, bindings = layer.params_formula(shape)
        count = integer_value(formula, bindings)
        symbolic = any(isinstance(v, sympy.Basic) and v.free_symbols for v in bindings.values())
        assert (count is None) == symbolic, (layer, formula, bindings)
        if count is not None:
            assert sympy.Integer(count) == value_of(formula, bindings)
        trainable, _ = layer.params_for(shape)
        assert trainable == value_of(formula, bindings)
