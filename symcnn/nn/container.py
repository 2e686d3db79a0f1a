"""``Sequential(*modules, input_shape=...)``: PyTorch's container, with the input shape added."""

from __future__ import annotations

from ..errors import GraphError, brief
from ..layers.base import Layer, Tensor
from ..layers.core import Input
from ..model import Sequential as _KerasSequential

__all__ = ["Sequential", "Block"]


class Block:
    """``nn.Sequential(...)`` without ``input_shape``: modules waiting for a shape.

    Put it in an outer ``nn.Sequential`` (its modules are spliced in, in order) or call it on
    a tensor (each module is applied in turn).

    >>> from symcnn import nn, Input
    >>> block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
    >>> block(Input((8, "H", "W"))).shape
    (8, H, W)
    >>> nn.Sequential(nn.Conv2d(3, 8, 1), block, input_shape=(3, 32, 32)).params
    616
    """

    def __init__(self, modules, name: str | None = None) -> None:
        self.modules = tuple(_splice(modules))
        self.name = name

    def __call__(self, x: Tensor) -> Tensor:
        for module in self.modules:
            x = module(x)
        return x

    def __iter__(self):
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)

    def __repr__(self) -> str:
        inner = ", ".join(repr(m) for m in self.modules)
        return f"Sequential({inner})  # no input_shape: a block for a larger model"


def _splice(modules) -> list:
    out = []
    for position, module in enumerate(modules):
        if isinstance(module, Block):
            out.extend(module.modules)
        elif isinstance(module, Layer):
            out.append(module)
        else:
            raise GraphError(f"Sequential: module {position} is not a layer. Received: {brief(module)}")
    return out


class Sequential(_KerasSequential):
    """``torch.nn.Sequential(*modules)`` with ``input_shape`` (channels first, no batch axis).

    Without ``input_shape`` it returns a :class:`Block` to nest in a larger ``Sequential``.

    >>> from symcnn import nn
    >>> m = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    ...                   nn.Linear(6 * 12 * 12, 10), input_shape=(1, 28, 28))
    >>> m.output_shape, m.params
    ((10,), 8806)

    ``input_format`` is :class:`~symcnn.model.Model`'s (a statement of the model's input,
    so it needs ``input_shape``): ``"channels_first"`` makes ``to_torch`` and receptive
    fields read the input channels first even where no layer states a layout.

    >>> nn.Sequential(nn.Flatten(), input_shape=(2, 3), input_format="channels_first").input_format
    'channels_first'
    """

    type_name = "Sequential"

    def __new__(cls, *modules, input_shape=None, name: str | None = None,
                input_format: str | None = None):
        if input_shape is None:
            if input_format is not None:
                raise GraphError(f"Sequential: `input_format` states the layout of a model's "
                                 f"input, so it needs `input_shape` (without it, Sequential is "
                                 f"a block for a larger model). Received: input_shape=None, "
                                 f"input_format={brief(input_format)}")
            return Block(modules, name)
        return super().__new__(cls)

    def __init__(self, *modules, input_shape=None, name: str | None = None,
                 input_format: str | None = None) -> None:
        if isinstance(input_shape, Tensor):
            x = input_shape
        else:
            x = Input(input_shape)
        super().__init__([x, *_splice(modules)], name=name, input_format=input_format)
