"""symcnn.nn.Contiguous: ``x.contiguous()`` as a layer.

The same shape, no parameters, nothing kept for backward; a contiguous tensor, which is a
copy of its input where that is not contiguous (the training memory of the layers around it
is checked against PyTorch in tests/training/test_view_copies.py); model files name it
(from_torch and to_torch: tests/interop/test_torch_contiguous.py).
"""

from __future__ import annotations

import symcnn as sc
from symcnn.spec import model_from_spec
from symcnn.spec_export import model_to_spec

H = sc.symbols("H")


def _transposed(*middle):
    return sc.nn.Sequential(sc.nn.Conv2d(3, 8, 3), sc.Permute((2, 3, 1)), *middle,
                            sc.nn.ReLU(), sc.nn.Linear(8, 4), input_shape=(3, "H", "H"))


def test_contiguous_keeps_the_shape_has_no_parameters_and_no_receptive_field_effect():
    with_call, without = _transposed(sc.nn.Contiguous()), _transposed()
    assert with_call.output_shape == without.output_shape == (H - 2, H - 2, 4)
    assert with_call.params == without.params
    assert with_call.macs == without.macs
    assert with_call.receptive_field == without.receptive_field


def test_contiguous_rebuilds_from_its_config_and_from_a_model_file():
    layer = sc.nn.Contiguous(name="c")
    assert type(layer)(**layer.get_config()).get_config() == layer.get_config()
    model = _transposed(sc.nn.Contiguous())
    again = model_from_spec(model_to_spec(model))
    assert [r.layer.type_name for r in again.layers] == [r.layer.type_name for r in model.layers]
    assert again.training_memory(batch="B").activations == \
        model.training_memory(batch="B").activations
