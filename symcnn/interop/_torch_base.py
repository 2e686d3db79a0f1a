"""What the PyTorch import's handler modules share: the markers, the refusal exception, and
reading a call's arguments.

>>> bind((1,), {"dim": 2}, ("input", "dim", "keepdim"), {"keepdim": False})
{'keepdim': False, 'input': 1, 'dim': 2}
"""

from __future__ import annotations

import sympy

from ..layers.base import Tensor

__all__ = ["Unsupported", "batch_second_refusal", "Marker", "UNKNOWN", "BATCH", "BatchSecond",
           "bind", "expect_tensor", "is_number",
           "all_or_none_trainable", "module_trainable"]


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


class BatchSecond:
    """A tensor whose batch axis is PyTorch's dim 1, held as the symcnn tensor of its other
    axes: a recurrent module's ``h_n`` and ``c_n`` (``(D*num_layers, N, H)``), the output of
    one with ``batch_first=False`` (``(T, N, D*H)``), or ``x.transpose(0, 1)``. Indexing
    dim 0 (``h[-1]``), ``squeeze(0)`` and moving the batch back first (``transpose(0, 1)``,
    ``permute(1, 0, 2)``) give ordinary tensors; anything else is refused, never read as if
    the batch were dim 0."""

    def __init__(self, tensor: Tensor, what: str) -> None:
        self.tensor = tensor
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}, whose batch axis is dim 1>"


def bind(args, kwargs, names: tuple, defaults: dict | None = None) -> dict:
    """A call's arguments by name: ``defaults``, then ``args`` in the order of ``names``,
    then ``kwargs``."""
    values = dict(defaults or {})
    values.update(zip(names, args))
    values.update(kwargs)
    return values


def expect_tensor(value, what: str = "input") -> Tensor:
    """``value`` when it is a tensor; :class:`Unsupported` otherwise (a time-major tensor,
    :class:`BatchSecond`, is said to be one, with the ways to make it batch-first)."""
    if isinstance(value, BatchSecond):
        raise Unsupported(batch_second_refusal(value))
    if not isinstance(value, Tensor):
        raise Unsupported(f"expects a tensor as {what}, got {value!r}")
    return value


def batch_second_refusal(value: BatchSecond) -> str:
    """Why an operation on a time-major tensor is refused, and what reads it.

    >>> print(batch_second_refusal(BatchSecond(None, "the output of 'rnn'")))
    the output of 'rnn' has its batch axis at dim 1 (time-major), which symcnn reads only through h[-1], squeeze(0) or transpose(0, 1); build the recurrent module with batch_first=True, or write x.transpose(0, 1) before this operation
    """
    return (f"{value.what} has its batch axis at dim 1 (time-major), which symcnn reads only "
            f"through h[-1], squeeze(0) or transpose(0, 1); build the recurrent module with "
            f"batch_first=True, or write x.transpose(0, 1) before this operation")


def all_or_none_trainable(flags, what: str) -> bool:
    """Whether the weights of one symcnn layer train, from ``(name, requires_grad)`` pairs:
    True when all do (or there are none), False when none does. A symcnn layer trains all
    its weights or none, so a mix (``conv.weight.requires_grad_(False)`` with the bias
    trainable) is :class:`Unsupported`, naming both sides, rather than counted one way.

    >>> all_or_none_trainable([("weight", False), ("bias", False)], "Conv2d")
    False
    >>> all_or_none_trainable([("weight", False), ("bias", True)], "Conv2d")
    Traceback (most recent call last):
    ...
    symcnn.interop._torch_base.Unsupported: Conv2d has frozen parameters (weight) next to trainable ones (bias), and a symcnn layer trains all its weights or none; freeze all of them or none (module.requires_grad_(False) or (True)) before converting
    """
    flags = list(flags)
    frozen = [name for name, trains in flags if not trains]
    training = [name for name, trains in flags if trains]
    if frozen and training:
        raise Unsupported(f"{what} has frozen parameters ({', '.join(frozen)}) next to "
                          f"trainable ones ({', '.join(training)}), and a symcnn layer trains "
                          f"all its weights or none; freeze all of them or none "
                          f"(module.requires_grad_(False) or (True)) before converting")
    return not frozen


def module_trainable(module, what: str, recurse: bool = True) -> bool:
    """Whether a module's parameters train (:func:`all_or_none_trainable` of its
    ``named_parameters``; its own only, without ``recurse``)."""
    return all_or_none_trainable(((n, p.requires_grad)
                                  for n, p in module.named_parameters(recurse=recurse)), what)


def is_number(value) -> bool:
    """A number (or a size) an operation was given, not a tensor nor a flag.

    >>> is_number(2), is_number(0.5), is_number(True)
    (True, True, False)
    """
    return isinstance(value, (int, float, sympy.Expr)) and not isinstance(value, bool)
