"""``to_torch()`` of a frozen Keras ``BatchNormalization``: Keras 3 runs it in inference mode
(its moving statistics, never updated), also in a training step; a frozen ``nn.BatchNorm2d``
in ``train()`` would normalize with the batch's statistics instead."""

import io

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


@pytest.mark.parametrize("shape", [(5, 5, 3), (7, 3), (2, 3, 4, 3)])
def test_a_frozen_keras_batch_norm_computes_keras_values_in_a_training_step(shape):
    torch, keras = require("torch"), require("keras")
    model = sc.Sequential([sc.Input(shape), sc.BatchNormalization(trainable=False, name="bn")])
    exported = model.to_torch()
    twin = keras.Sequential([keras.Input(shape),
                             keras.layers.BatchNormalization(trainable=False, name="bn")])
    rng = np.random.default_rng(0)
    gamma, beta, mean = (rng.normal(size=3).astype("float32") for _ in range(3))
    variance = np.abs(rng.normal(size=3)).astype("float32") + 0.5
    twin.layers[0].set_weights([gamma, beta, mean, variance])
    bn = dict(exported.named_modules())["bn"]
    for tensor, value in ((bn.weight, gamma), (bn.bias, beta), (bn.running_mean, mean),
                          (bn.running_var, variance)):
        tensor.data = torch.tensor(value)
    x = rng.normal(size=(4, *shape)).astype("float32")
    exported.train()  # a training step: the frozen layer stays in inference mode
    y = exported(torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1))))
    expected = np.asarray(twin(x, training=True).detach().cpu())
    assert np.allclose(np.moveaxis(y.detach().numpy(), 1, -1), expected, atol=1e-5)
    assert np.array_equal(bn.running_mean.numpy(), mean)  # not updated
    assert sum(p.numel() for p in exported.parameters() if p.requires_grad) == 0


def test_the_frozen_batch_norm_module_saves_and_loads():
    torch = require("torch")
    model = sc.Sequential([sc.Input((5, 5, 3)), sc.BatchNormalization(trainable=False, name="bn")])
    buffer = io.BytesIO()
    torch.save(model.to_torch(), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    assert not loaded.train().get_submodule("bn").training
