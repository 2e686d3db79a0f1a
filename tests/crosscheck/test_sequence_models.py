"""symcnn agrees with Keras 3 and torch.nn on random sequence models.

Hypothesis draws sequence models (``sequence_specs.py``): embeddings of token ids, Dense,
Conv1D, layer normalization, dropout, multi-head self- and cross-attention with and without
residual additions, SimpleRNN, LSTM, GRU (both forms), Bidirectional (every merge mode), at
random sequence lengths and widths. Keras and symcnn build each on their own: every tensor's
shape (Keras' forward pass), every layer's total, trainable and non-trainable counts and the
totals must agree. The models PyTorch has modules for are also built in torch.nn: shapes,
parameters, and MACs = FlopCounterMode / 2 for the whole model. The sequence length as a
symbol ``T`` must give the numeric build at the drawn length, MACs included.

``model.to_keras()`` of each symcnn build must have the same counts, layer by layer, and
``from_keras`` must read it back.

Default run (derandomized profile): 30 Keras models, 20 PyTorch models, 30 symbolic checks,
15 exports.
``SYMCNN_LONG=1`` runs 10 times as many.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings

from ..conftest import require
from .sequence_specs import (export_disagreements, keras_disagreements, sequence_models,
                             symbcnn_code_for_report, symbolic_disagreements,
                             torch_disagreements)

pytestmark = pytest.mark.frameworks

SCALE = 10 if os.environ.get("SYMCNN_LONG") else 1
RELAXED = dict(deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _report(title, spec, errors):
    return "\n".join([title, *(f"  - {e}" for e in errors), "", f"spec = {spec!r}", "",
                      symbcnn_code_for_report(spec)])


@settings(max_examples=30 * SCALE, **RELAXED)
@given(spec=sequence_models())
def test_random_sequence_models_agree_with_keras_layer_by_layer(spec, tally):
    require("keras")
    errors = keras_disagreements(spec)
    assert not errors, _report("symcnn disagrees with Keras 3:", spec, errors)
    tally["Keras sequence"] += 1


@settings(max_examples=20 * SCALE, **RELAXED)
@given(spec=sequence_models(torch_only=True))
def test_random_sequence_models_agree_with_torch_nn_and_its_flop_counter(spec, tally):
    require("torch")
    errors = torch_disagreements(spec)
    assert not errors, _report("symcnn disagrees with PyTorch:", spec, errors)
    tally["PyTorch sequence"] += 1


@settings(max_examples=30 * SCALE, **RELAXED)
@given(spec=sequence_models())
def test_a_symbolic_sequence_length_gives_the_numeric_build(spec, tally):
    errors = symbolic_disagreements(spec)
    assert not errors, _report("the symbolic build disagrees with the numeric one:", spec,
                               errors)
    tally["symbolic sequence"] += 1


@settings(max_examples=15 * SCALE, **RELAXED)
@given(spec=sequence_models())
def test_random_sequence_models_export_to_keras_and_back(spec, tally):
    require("keras")
    errors = export_disagreements(spec)
    assert not errors, _report("to_keras disagrees with symcnn:", spec, errors)
    tally["exported sequence"] += 1
