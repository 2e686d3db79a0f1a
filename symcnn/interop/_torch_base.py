"""What the PyTorch import's handler modules share: the markers, the refusal exception, and
reading a call's arguments.

>>> bind((1,), {"dim": 2}, ("input", "dim", "keepdim"), {"keepdim": False})
{'keepdim': False, 'input': 1, 'dim': 2}
"""

from __future__ import annotations

from ..layers.base import Tensor

__all__ = ["Unsupported", "Marker", "UNKNOWN", "BATCH", "bind", "expect_tensor"]


class Unsupported(Exception):
    """Raised by a handler for a use it cannot express; the message says what."""


class Marker:
    """A value that is not a tensor or a size (printed by its text)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


UNKNOWN = Marker("<unknown>")  # the result of an unsupported operation
BATCH = Marker("<batch size>")


def bind(args, kwargs, names: tuple, defaults: dict | None = None) -> dict:
    """A call's arguments by name: ``defaults``, then ``args`` in the order of ``names``,
    then ``kwargs``."""
    values = dict(defaults or {})
    values.update(zip(names, args))
    values.update(kwargs)
    return values


def expect_tensor(value, what: str = "input") -> Tensor:
    """``value`` when it is a tensor; :class:`Unsupported` otherwise."""
    if not isinstance(value, Tensor):
        raise Unsupported(f"expects a tensor as {what}, got {value!r}")
    return value
