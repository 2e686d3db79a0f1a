"""Training memory keeps nothing for layers that no gradient flows through, as PyTorch.

PyTorch's autograd records no backward, and so keeps no tensor, for an operation none of whose
inputs or weights requires a gradient: a pooling or an activation applied to the model's input
before any trainable layer, and every layer of a frozen part (``trainable=False``) before the
trainable ones. symcnn counted them as if a gradient flowed (a max pooling of the input kept
the input and its indices). Every figure here is PyTorch's, measured with saved-tensor hooks
(tests/support/saved_tensors.py).
"""

from __future__ import annotations

import pytest

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from tests.support.saved_tensors import measure  # noqa: E402

B, L = sc.symbols("B L")


def _head():
    return [sc.Conv2D(4, 3), sc.ReLU(), sc.GlobalAveragePooling2D(), sc.Dense(5)]


MODELS = {  # symcnn models on (8, 8, 3); their PyTorch twins by to_torch
    "pool_first": lambda: sc.Sequential([sc.Input((8, 8, 3)), sc.MaxPooling2D(2), *_head()]),
    "activation_and_dropout_first": lambda: sc.Sequential(
        [sc.Input((8, 8, 3)), sc.Activation("gelu"), sc.Dropout(0.2), *_head()]),
    "torch_named_pool_first": lambda: sc.nn.Sequential(
        sc.nn.MaxPool2d(2), sc.nn.Dropout(0.2), sc.nn.Conv2d(3, 4, 3), sc.nn.ReLU(),
        sc.nn.Flatten(), sc.nn.Linear(16, 5), input_shape=(3, 8, 8)),
    "frozen_first_conv": lambda: sc.Sequential(
        [sc.Input((8, 8, 3)), sc.Conv2D(4, 3, activation="silu", trainable=False),
         sc.MaxPooling2D(2), sc.Conv2D(4, 3, trainable=False), sc.Conv2D(4, 1), sc.ReLU(),
         sc.GlobalAveragePooling2D(), sc.Dense(5)]),
    "frozen_before_and_after": lambda: sc.Sequential(  # frozen after a trainable layer: kept
        [sc.Input((8, 8, 3)), sc.Conv2D(4, 3, trainable=False), sc.ReLU(), sc.Conv2D(4, 1),
         sc.Conv2D(4, 3, trainable=False), sc.Activation("tanh"),
         sc.GlobalAveragePooling2D(), sc.Dense(5)]),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_layers_without_a_gradient_keep_what_pytorch_keeps(name):
    model = MODELS[name]()
    closed = model.training_memory(batch="B").activations
    net = model.to_torch()
    for batch in (1, 3):
        total, _ = measure(net, torch.randn(batch, 3, 8, 8))
        assert closed.subs(B, batch) == total, batch


def test_a_pooling_of_the_input_adds_no_bytes_of_its_own():
    mem = MODELS["pool_first"]().training_memory(batch="B")
    assert [bytes_ for name, _, bytes_ in mem.layers if name == "max_pooling2d"] == [0]


def test_a_frozen_torch_backbone_through_from_torch_keeps_what_pytorch_keeps():
    """A convolution and batch normalization with ``requires_grad_(False)`` on the input, a
    ReLU and a pooling after them: none keeps anything (batch norm in training mode
    neither); the trainable head keeps its input."""
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(54, 5))
    for p in [*net[0].parameters(), *net[1].parameters()]:
        p.requires_grad_(False)
    closed = sc.from_torch(net, (3, 8, 8)).training_memory(batch="B").activations
    for batch in (1, 3):
        assert closed.subs(B, batch) == measure(net, torch.randn(batch, 3, 8, 8))[0]


def _block():
    return sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(3, 3, padding="same"), sc.ReLU()])


def _unrolled(times: int, trainable: bool):
    layers = [layer for _ in range(times) for layer in (
        sc.Conv2D(3, 3, padding="same", trainable=trainable), sc.ReLU())]
    return sc.Sequential([sc.Input((8, 8, 3)), *layers, *_head()])


@pytest.mark.parametrize("trainable", [True, False])
def test_a_repeat_on_the_input_keeps_what_pytorch_keeps_for_the_unrolled_blocks(trainable):
    """A frozen ``Repeat`` (``trainable=False`` freezes the block's weights) keeps nothing;
    a trainable one keeps the blocks' tensors, the first convolution the model's input."""
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Repeat(_block(), 3, trainable=trainable),
                           *_head()])
    closed = model.training_memory(batch="B").activations
    net = _unrolled(3, trainable).to_torch()
    for batch in (1, 3):
        assert closed.subs(B, batch) == measure(net, torch.randn(batch, 3, 8, 8))[0]


def test_a_symbolic_repeat_without_weights_on_the_input_keeps_nothing():
    """A GELU and a dropout repeated L times on the model's input: no gradient, nothing kept."""
    block = sc.Sequential([sc.Input((8, 8, 3)), sc.Activation("gelu"), sc.Dropout(0.1)])
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Repeat(block, "L"), *_head()])
    closed = model.training_memory(batch="B").activations
    net = sc.Sequential([sc.Input((8, 8, 3)), sc.Activation("gelu"), sc.Dropout(0.1),
                         sc.Activation("gelu"), sc.Dropout(0.1), *_head()]).to_torch()
    assert L not in closed.free_symbols
    assert closed.subs(B, 2) == measure(net, torch.randn(2, 3, 8, 8))[0]


def test_a_symbolic_repeat_that_starts_the_gradient_is_exact_for_a_positive_count():
    """The first repetition runs on the model's input, which requires no gradient, the
    later ones on tensors that do; a convolution keeps its input either way, so one closed
    form holds from L = 1 on (a positive symbol), checked against PyTorch."""
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Repeat(_block(), "L"), sc.ReLU(),
                           *_head()])
    closed = model.training_memory(batch="B").activations
    for times in (1, 2, 3):
        unrolled = sc.Sequential([sc.Input((8, 8, 3)), *[layer for _ in range(times) for layer in (
            sc.Conv2D(3, 3, padding="same"), sc.ReLU())], sc.ReLU(), *_head()])
        assert closed.subs({L: times, B: 2}) == \
            measure(unrolled.to_torch(), torch.randn(2, 3, 8, 8))[0]


def test_a_symbolic_repeat_that_starts_the_gradient_asks_for_a_count_that_may_be_0():
    """With L = 0 the layers after it see the model's input, without a gradient: another
    model, so a count that may be 0 is asked for; so is a block whose first repetition
    keeps less than the others (a pooling before its convolution)."""
    may_be_0 = sc.symbols("M", positive=None, nonnegative=True)
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Repeat(_block(), may_be_0), sc.ReLU(),
                           *_head()])
    with pytest.raises(sc.CostError, match=r"'repeat' repeats a block with trainable weights "
                       r"on an input that requires no gradient.*the count M may be 0.*"
                       r"Received: times=M"):
        model.training_memory(batch="B")
    pooled = sc.Sequential([sc.Input((8, 8, 3)), sc.MaxPooling2D(3, strides=1, padding="same"),
                            sc.Conv2D(3, 3, padding="same")])
    with pytest.raises(sc.CostError, match=r"or the model's input, which requires no "
                                           r"gradient.*Received: times=L"):
        sc.Sequential([sc.Input((8, 8, 3)), sc.Repeat(pooled, "L"), *_head()]) \
            .training_memory(batch="B")
