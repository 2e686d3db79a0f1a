"""The derivations of PyTorch-named layers (``sc.nn``) work out to their values.

Random chains of ``torch.nn`` layers (``torch_specs.torch_models``: strides with dilation,
explicit and ``'same'`` padding, ``ceil_mode``, ...) are written with the ``sc.nn`` class of
the same name and arguments; every step of every layer's derivation evaluates to the value
the layer computes, at the model's own sizes. (A dilated ``nn.MaxPool2d`` stated a formula
without its dilation: ``floor((32 - 3)/2) + 1``, 15, for the value 14.)
"""

from __future__ import annotations

from hypothesis import assume, given, settings

import symcnn as sc

from ..test_derivation import _check_steps
from .torch_specs import torch_models


@settings(max_examples=80)
@given(torch_models())
def test_the_working_of_every_sc_nn_layer_gives_its_value(spec):
    calls = spec["calls"]
    assume(all(op not in ("add", "cat") for _, _, op, _, _ in calls))  # chains only
    layers = [getattr(sc.nn, op)(**args) for _, _, op, args, _ in calls]
    model = sc.nn.Sequential(*layers, input_shape=spec["input"])
    _check_steps(model)


def test_a_dilated_pooling_that_does_not_fit_names_its_dilation():
    """The refusal said kernel_size=(1, 2), stride=(1, 2): a 2-wide window on 2 positions,
    which fits; the dilation makes it span 3."""
    import pytest

    with pytest.raises(sc.ShapeError, match=r"window spans 3 .* dilation=\(1, 2\)"):
        sc.nn.Sequential(sc.nn.MaxPool2d((1, 2), dilation=(1, 2)), input_shape=(1, 1, 2))
