"""PyTorch-named activations take the arguments PyTorch takes and refuse the ones it
refuses (at construction or at its first call), naming the argument and the value: a model
symcnn accepts runs in PyTorch. Found by a hunt: ``nn.Hardtanh(min_val=2, max_val=1)``,
``nn.Softplus(beta="b")``, ``nn.CELU(alpha=0)`` and ``nn.LogSoftmax(dim="x")`` were
accepted; PyTorch refuses each. ``nn.Embedding(trainable="false")`` was counted trainable.
"""

from __future__ import annotations

import pytest

import symcnn as sc

from ..conftest import require

CASES = [
    ("Hardtanh", {"min_val": 2, "max_val": 1}), ("Hardtanh", {"min_val": 1, "max_val": 1}),
    ("Hardtanh", {"min_val": "a"}), ("Hardtanh", {"max_val": None}),
    ("Hardtanh", {"min_val": -2, "max_val": 3}), ("Hardtanh", {"min_val": 0.5}),
    ("Softplus", {"beta": "b"}), ("Softplus", {"threshold": [1]}), ("Softplus", {"beta": 2}),
    ("Softplus", {"beta": 0.5, "threshold": 10}),
    ("CELU", {"alpha": 0}), ("CELU", {"alpha": 0.0}), ("CELU", {"alpha": "x"}),
    ("CELU", {"alpha": 2}), ("CELU", {"alpha": -1.5}),
    ("LogSoftmax", {"dim": "x"}), ("LogSoftmax", {"dim": 1.5}), ("LogSoftmax", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}),
]


def torch_accepts(torch, name: str, kwargs: dict) -> bool:
    try:
        module = getattr(torch.nn, name)(**kwargs)
        module(torch.randn(2, 3))
    except Exception:  # noqa: BLE001 - any refusal: an assertion, a TypeError, ...
        return False
    return True


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_an_activation_is_accepted_exactly_where_pytorch_accepts_it(name, kwargs):
    torch = require("torch")
    accepted = torch_accepts(torch, name, kwargs)
    if accepted:
        layer = getattr(sc.nn, name)(**kwargs)
        model = sc.Sequential([sc.Input((3,)), layer])
        assert model.output_shape == (3,) and model.params == 0
    else:
        (arg, value), *_ = [(k, v) for k, v in kwargs.items()][-1:]
        with pytest.raises(sc.LayerArgumentError, match=rf"^{name}: `") as err:
            getattr(sc.nn, name)(**kwargs)
        assert "Received: " in str(err.value) and f"{arg}=" in str(err.value)


@pytest.mark.parametrize("value", ["false", [False], 0, None])
def test_embedding_trainable_must_be_true_or_false(value):
    with pytest.raises(sc.LayerArgumentError, match=r"Embedding: `trainable` must be True or "
                                                    r"False\. Received: trainable="):
        sc.nn.Embedding(10, 4, trainable=value)
    spec = {"input": [5], "layers": [{"nn.Embedding": {"num_embeddings": 10,
                                                       "embedding_dim": 4,
                                                       "trainable": value}}]}
    with pytest.raises(sc.LayerArgumentError, match=r"layers\[0\] \(nn\.Embedding\)"):
        sc.model_from_spec(spec)


def test_a_frozen_embedding_counts_its_weights_as_non_trainable_as_pytorch_does():
    torch = require("torch")
    frozen = torch.nn.Embedding(10, 4, _freeze=True)
    model = sc.Sequential([sc.Input((5,)), sc.nn.Embedding(10, 4, _freeze=True)])
    assert model.non_trainable_params == sum(p.numel() for p in frozen.parameters()
                                             if not p.requires_grad)
    assert sc.nn.Embedding(10, 4, trainable=False).trainable is False
