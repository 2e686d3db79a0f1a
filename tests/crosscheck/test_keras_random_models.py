"""symcnn agrees with real Keras 3 (torch backend) on random valid models.

Hypothesis draws a neutral spec (``keras_specs.py``) over the layer catalogue: convolutions of
every kind with strides, dilations, groups and every padding, transposed convolutions with
and without ``output_padding``, pooling (window, global with ``keepdims``, adaptive),
normalization, Dense on any rank, reshaping layers, branches merged by Add, Subtract,
Multiply, Average, Maximum, Minimum or Concatenate, squeeze-and-excitation gates that
broadcast, shared layers, ``channels_first`` layers and frozen (``trainable=False``) layers, at
random input sizes (odd ones included). Keras and symcnn each build the spec on their own;
every tensor's shape (Keras' declared shape and its real forward pass), every layer's total,
trainable and non-trainable counts and the model totals must be equal.

Default run: 2 x 200 Keras models and 2 x 300 symbolic checks (symbolic input sizes;
symbolic layer arguments). ``SYMCNN_LONG=1`` adds a slow run of
thousands (``SYMCNN_LONG=5000`` sets the count).
"""

import os
import warnings

import pytest
from hypothesis import HealthCheck, assume, given, settings

from ..conftest import require
from .build import (broadcasts, keras_disagreements, report, run_symcnn,
                    symbolic_argument_disagreements, symbolic_disagreements)
from .keras_specs import keras_models

pytestmark = pytest.mark.frameworks

LONG = os.environ.get("SYMCNN_LONG", "")
LONG_EXAMPLES = int(LONG) if LONG.isdigit() and int(LONG) > 1 else 3000
RELAXED = dict(deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_against_keras(spec, tally):
    require("keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = keras_disagreements(spec)
    assert not errors, report("symcnn disagrees with Keras 3:", spec, errors,
                              recheck="keras_disagreements")
    tally["Keras"] += 1


@settings(max_examples=200, **RELAXED)
@given(spec=keras_models(sequential=True))
def test_random_sequential_models_agree_with_keras(spec, tally):
    check_against_keras(spec, tally)


@settings(max_examples=200, **RELAXED)
@given(spec=keras_models(sequential=False))
def test_random_functional_models_agree_with_keras(spec, tally):
    check_against_keras(spec, tally)


@settings(max_examples=300, **RELAXED)
@given(spec=keras_models())
def test_symbolic_build_substituted_equals_numeric_build_layer_by_layer(spec, tally):
    errors = symbolic_disagreements(spec)
    assert not errors, report("the symbolic build disagrees with the numeric one:", spec, errors,
                              recheck="symbolic_disagreements")
    tally["symbolic"] += 1


@settings(max_examples=300, **RELAXED)
@given(spec=keras_models())
def test_symbolic_layer_arguments_substituted_equal_the_numeric_build(spec, tally):
    # filters, units, kernel sizes, strides, dilations, pool sizes, ... all symbols
    assume(not broadcasts(spec, run_symcnn(spec)[1]))
    errors = symbolic_argument_disagreements(spec)
    assert not errors, report("the build with symbolic arguments disagrees with the numbers:",
                              spec, errors, recheck="symbolic_argument_disagreements")
    tally["symbolic"] += 1


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long run: set SYMCNN_LONG=1 (or a model count)")
@settings(max_examples=LONG_EXAMPLES, **RELAXED)
@given(spec=keras_models())
def test_long_run_of_random_models_agrees_with_keras(spec, tally):
    check_against_keras(spec, tally)


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long run: set SYMCNN_LONG=1 (or a model count)")
@settings(max_examples=LONG_EXAMPLES // 3, **RELAXED)
@given(spec=keras_models())
def test_long_run_of_symbolic_builds_of_keras_models(spec, tally):
    errors = symbolic_disagreements(spec)
    assert not errors, report("the symbolic build disagrees with the numeric one:", spec, errors,
                              recheck="symbolic_disagreements")
    tally["symbolic"] += 1
