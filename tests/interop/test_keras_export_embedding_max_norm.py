"""``to_keras`` refuses PyTorch's ``nn.Embedding(max_norm=...)``, which Keras cannot compute.

PyTorch renormalizes each row it looks up (and the stored weights) to a norm of at most
``max_norm``; Keras' ``Embedding`` looks rows up as they are, and its ``MaxNorm`` constraint
rescales weights after optimizer steps only. Both sides are run here on the same weights.
"""

from __future__ import annotations

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _numpy(y):
    return np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)


def _embedding(torch, **kwargs):
    torch.manual_seed(0)
    return torch.nn.Embedding(10, 4, **kwargs)


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0)])
def test_max_norm_is_refused_naming_layer_argument_and_value(max_norm, norm_type):
    torch = require("torch")
    require("keras")
    model = sc.from_torch(_embedding(torch, max_norm=max_norm, norm_type=norm_type),
                          input_shape=(10,))
    with pytest.raises(sc.ConversionError) as err:
        model.to_keras()
    text = str(err.value)
    assert "layer 'embedding' (Embedding)" in text
    assert f"max_norm={max_norm!r}" in text and f"norm_type={norm_type!r}" in text


def test_in_a_model_the_embedding_is_named():
    torch = require("torch")
    require("keras")
    net = torch.nn.Sequential(_embedding(torch, max_norm=1.0), torch.nn.Linear(4, 2))
    with pytest.raises(sc.ConversionError, match=r"layer '0' \(Embedding\): max_norm=1\.0"):
        sc.from_torch(net, input_shape=(10,)).to_keras()


def test_the_refusal_is_needed_pytorch_renormalizes_keras_does_not():
    """The reason the message gives, measured: on the same weights PyTorch's rows come out
    renormalized (and its weights change), Keras' rows as stored, with or without a
    ``MaxNorm`` constraint on either axis."""
    torch, keras = require("torch"), require("keras")
    e = _embedding(torch, max_norm=1.0)
    with torch.no_grad():
        e.weight.mul_(3.0)  # rows well over the norm
    w0 = e.weight.detach().clone().numpy()
    ids = np.array([[1, 3, 3, 7]])
    with torch.no_grad():
        want = e(torch.from_numpy(ids)).numpy()
    assert not np.allclose(e.weight.detach().numpy(), w0)  # PyTorch wrote the weights too
    for constraint in (None, keras.constraints.MaxNorm(1.0, axis=0),
                       keras.constraints.MaxNorm(1.0, axis=1)):
        km = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(
            10, 4, embeddings_constraint=constraint)])
        km.layers[-1].set_weights([w0])
        got = _numpy(km(ids))
        assert np.allclose(got, w0[ids])
        assert np.abs(got - want).max() > 0.1


def test_without_max_norm_the_export_gives_pytorch_values():
    """The refusal is for ``max_norm`` only: ``padding_idx`` and the gradient options
    change no value in the call, and the export computes PyTorch's."""
    torch = require("torch")
    require("keras")
    e = _embedding(torch, padding_idx=0, scale_grad_by_freq=True)
    k = sc.from_torch(e, input_shape=(10,)).to_keras()
    k.layers[-1].set_weights([e.weight.detach().numpy()])
    ids = np.arange(10)[None]
    with torch.no_grad():
        want = e(torch.from_numpy(ids)).numpy()
    assert k.count_params() == sum(p.numel() for p in e.parameters())
    assert np.allclose(_numpy(k(ids)), want, atol=1e-6)
