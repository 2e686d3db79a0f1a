"""What the PyTorch-named layers share: torch-style configs and checks of declared sizes."""

from __future__ import annotations

from typing import Any

from ..errors import LayerArgumentError, ShapeError
from ..layers.base import Checker

__all__ = ["TorchLayer", "TORCH_ONLY_ARGS"]

#: ``_config`` keys of the PyTorch-named layers that their Keras-named parents do not take.
TORCH_ONLY_ARGS = frozenset({
    "in_channels", "num_features", "in_features", "padding_mode", "track_running_stats",
    "dilation", "num_channels", "normalized_shape", "start_dim", "end_dim",
})


def compact(value):
    """``(3, 3)`` -> ``3`` for display; other values unchanged.

    >>> compact((3, 3)), compact((1, 2)), compact("same")
    (3, (1, 2), 'same')
    """
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return value[0]
    return value


def torch_padding(value):
    """A layer's padding as PyTorch writes it: a string, one amount per axis, or pairs.

    >>> torch_padding(((1, 1), (2, 2))), torch_padding("same"), torch_padding(((0, 1),))
    ((1, 2), 'same', ((0, 1),))
    """
    if isinstance(value, str):
        return value
    if all(a == b for a, b in value):
        return tuple(a for a, _ in value)
    return value


def flag(owner: str, value: Any, arg: str) -> bool:
    if not isinstance(value, bool):
        raise LayerArgumentError(f"{owner}: `{arg}` must be True or False. Received: {arg}={value!r}")
    return value


def bind(owner: str, params: tuple, args: tuple, kwargs: dict) -> dict:
    """Match positional and keyword arguments to ``params`` ((name, default) pairs)."""
    names = [p for p, _ in params]
    if len(args) > len(names):
        raise LayerArgumentError(f"{owner}: takes at most {len(names)} positional argument(s) "
                                 f"({', '.join(names) or 'none'}). Received: {len(args)}")
    values = dict(params)
    values.update(zip(names, args))
    for key, value in kwargs.items():
        if key not in values:
            raise LayerArgumentError(f"{owner}: unexpected argument `{key}`. Received: {key}={value!r}")
        values[key] = value
    return values


class TorchLayer:
    """Mixin: PyTorch-named ``get_config`` and a check of the declared input size.

    Subclasses call :meth:`_torch_config` with the PyTorch arguments (coerced) and may
    implement :meth:`_check_input`; ``get_config`` shows the arguments not at their default,
    so ``type(layer)(**layer.get_config())`` rebuilds the layer and ``subs`` works.
    """

    #: (torch argument, default) pairs omitted from ``get_config`` at their default.
    _optional: tuple = ()

    def _torch_config(self, **values: Any) -> None:
        object.__setattr__(self, "_torch", values)

    def get_config(self) -> dict:
        config = {}
        defaults = dict(self._optional)
        for key, value in self._torch.items():
            shown = compact(value)
            if key in defaults and _same(shown, defaults[key]):
                continue
            config[key] = shown
        if self.name is not None:
            config["name"] = self.name
        if not self.trainable:
            config["trainable"] = False
        return config

    def _declared(self, check: Checker, actual, declared, arg: str, what: str) -> None:
        if what == "channels" and getattr(actual, "is_Symbol", False) and getattr(
                declared, "is_number", False):
            # a free size where the module declares a channel count: a channels-last shape
            # given to a channels-first module, e.g. ("H", "W", 3) for Conv2d(3, ...)
            raise ShapeError(f"{self.type_name}: `{arg}` is {declared} but the input has "
                             f"{actual} {what}; PyTorch modules take channels first, e.g. "
                             f"input_shape=({declared}, H, W). Received: {arg}={declared}, "
                             f"{what}={actual}")
        check.equal(actual, declared,
                    lambda: f"`{arg}` is {declared} but the input has {actual} {what}. "
                    f"Received: {arg}={declared}")

    def output_shape_for(self, shape, check: Checker):
        self._check_input(shape, check)
        return super().output_shape_for(shape, check)

    def _check_input(self, shape, check: Checker) -> None:
        """Validate the incoming shape against the declared sizes (none by default)."""


def _same(a, b) -> bool:
    try:
        return type(a) is type(b) and bool(a == b) or (
            not isinstance(a, (bool, str, tuple)) and not isinstance(b, (bool, str, tuple))
            and a is not None and b is not None and bool(a == b))
    except TypeError:
        return False
