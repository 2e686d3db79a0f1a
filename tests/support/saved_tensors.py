"""What PyTorch's eager autograd keeps for backward, measured with saved_tensors_hooks.

Every tensor packed for backward during one forward pass in training mode is recorded once
per storage (two views of one storage count once), in bytes; the storages of the module's
parameters and buffers are not activations and are left out. Each storage is attributed to
the leaf module running when it was first packed (``None`` outside any leaf module).
"""

from __future__ import annotations

import torch
from torch import nn


def measure(module: nn.Module, x: torch.Tensor):
    """``(total_bytes, [(leaf module class name, bytes first kept there), ...])``."""
    module.train()
    excluded = {t.untyped_storage().data_ptr()
                for t in list(module.parameters()) + list(module.buffers())}
    seen: dict = {}
    rows: list = []
    current: list = [None]

    def pre(mod, args):
        current[0] = mod
        rows.append([type(mod).__name__, 0])

    def post(mod, args, out):
        current[0] = None

    def pack(t):
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in excluded and ptr not in seen:
            seen[ptr] = storage.nbytes()
            if current[0] is None:
                rows.append(["<functional>", 0])
            rows[-1][1] += storage.nbytes()
        return t

    handles = []
    for m in module.modules():
        if not list(m.children()):
            handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            module(x)
    finally:
        for h in handles:
            h.remove()
    return sum(seen.values()), [(name, b) for name, b in rows]


class KerasTraining(nn.Module):
    """A Keras model (torch backend) called with ``training=True``, a training step, for
    :func:`measure`."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, training=True)


def assert_keras_keeps(model, input_shape, batches=(1, 2, 3)) -> None:
    """``model.training_memory``'s activations, a closed form in the batch, equal what a Keras
    3 training step (torch backend) of ``model.to_keras()`` keeps at each of ``batches``."""
    import sympy

    batch = sympy.Symbol("B", integer=True, positive=True)
    closed = model.training_memory(batch=batch, dtype="float32").activations
    twin = KerasTraining(model.to_keras())
    for b in batches:
        assert closed.subs(batch, b) == measure(twin, torch.randn(b, *input_shape))[0], b


class Unpacked(nn.Module):
    """``net`` called on the tensors of one list (``net(*xs)``), so :func:`measure`, which
    passes one input, measures a module of several inputs (attention's query, key, value)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, xs):
        return self.net(*xs)
