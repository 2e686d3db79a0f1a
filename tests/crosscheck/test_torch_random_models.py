"""symcnn agrees with real ``torch.nn`` (CPU) on random valid channels-first models.

Hypothesis draws a neutral spec (``torch_specs.py``): Conv1d/2d/3d with integer, tuple,
``'valid'`` and ``'same'`` padding (even kernels included), strides together with dilation,
groups; ConvTranspose with ``output_padding`` (below the stride or the dilation);
MaxPool/AvgPool with padding and ``ceil_mode``; adaptive average and max pooling; BatchNorm,
GroupNorm, Linear on any rank, Flatten, zero padding and cropping (negative padding),
nearest upsampling; residual sums, channel concatenation and shared modules. The spec is
translated call by call into symcnn layers with ``data_format="channels_first"``. The module's
parameter numel must equal symcnn's ``trainable_params`` (per module and in total), and every
tensor of a real forward pass must have symcnn's shape.

Default run: 300 PyTorch models and 2 x 300 symbolic checks (symbolic input sizes;
symbolic layer arguments). ``SYMCNN_LONG=1`` adds a slow run of
thousands (``SYMCNN_LONG=5000`` sets the count).
"""

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings

from ..conftest import require
from .build import broadcasts, report, run_symcnn, symbolic_argument_disagreements
from .torch_specs import (to_symcnn, torch_code, torch_disagreements, torch_models,
                          torch_symbolic_disagreements)

pytestmark = pytest.mark.frameworks

LONG = os.environ.get("SYMCNN_LONG", "")
LONG_EXAMPLES = int(LONG) if LONG.isdigit() and int(LONG) > 1 else 3000
RELAXED = dict(deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_against_torch(spec, tally):
    require("torch")
    errors = torch_disagreements(spec)
    assert not errors, report("symcnn disagrees with PyTorch:", spec, errors, to_symcnn,
                              torch_code(spec), recheck="torch_disagreements")
    tally["PyTorch"] += 1


@settings(max_examples=300, **RELAXED)
@given(spec=torch_models())
def test_random_channels_first_models_agree_with_torch(spec, tally):
    check_against_torch(spec, tally)


@settings(max_examples=300, **RELAXED)
@given(spec=torch_models())
def test_symbolic_build_of_torch_models_substituted_equals_numeric_build(spec, tally):
    errors = torch_symbolic_disagreements(spec)
    assert not errors, report("the symbolic build disagrees with the numeric one:", spec,
                              errors, to_symcnn, recheck="torch_symbolic_disagreements")
    tally["symbolic"] += 1


@settings(max_examples=300, **RELAXED)
@given(spec=torch_models())
def test_symbolic_layer_arguments_of_torch_models_substituted_equal_the_numeric_build(spec, tally):
    assume(not broadcasts(spec, run_symcnn(spec, translate=to_symcnn)[1]))
    errors = symbolic_argument_disagreements(spec, translate=to_symcnn)
    assert not errors, report("the build with symbolic arguments disagrees with the numbers:",
                              spec, errors, to_symcnn, recheck="symbolic_argument_disagreements")
    tally["symbolic"] += 1


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long run: set SYMCNN_LONG=1 (or a model count)")
@settings(max_examples=LONG_EXAMPLES, **RELAXED)
@given(spec=torch_models())
def test_long_run_of_random_models_agrees_with_torch(spec, tally):
    check_against_torch(spec, tally)


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long run: set SYMCNN_LONG=1 (or a model count)")
@settings(max_examples=LONG_EXAMPLES // 3, **RELAXED)
@given(spec=torch_models())
def test_long_run_of_symbolic_builds_of_torch_models(spec, tally):
    errors = torch_symbolic_disagreements(spec)
    assert not errors, report("the symbolic build disagrees with the numeric one:", spec,
                              errors, to_symcnn, recheck="torch_symbolic_disagreements")
    tally["symbolic"] += 1
