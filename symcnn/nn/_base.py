"""What the PyTorch-named layers share: torch-style configs and checks of declared sizes."""

from __future__ import annotations

from typing import Any

import sympy

from .. import arith
from ..errors import LayerArgumentError, ShapeError, brief
from ..layers.base import Checker

__all__ = ["TorchLayer", "TORCH_ONLY_ARGS", "slice_bound", "slice_position",
           "check_wrapping_pad"]

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


def _holds(check: Checker, expr, bound) -> bool:
    """``expr >= bound``: False when it never holds; True when it always holds or depends on
    the symbols (the condition is then recorded in ``check``)."""
    try:
        relation = arith.require_at_least(expr, bound)
    except arith.Infeasible:
        return False
    if relation is not None:
        check.constraints.append(relation)
    return True


def slice_bound(value):
    """A slice bound as the slicing layers keep it: None, an int (a SymPy Integer becomes
    one) or an integer-valued size expression; ``ValueError`` for anything else.

    >>> from symcnn import symbols
    >>> slice_bound(sympy.Integer(-2)), slice_bound(symbols("W") - 1)
    (-2, W - 1)
    """
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, sympy.Expr) and value.is_Integer:
        return int(value)
    if isinstance(value, sympy.Expr) and value.is_integer and not value.has(
            sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
        return value
    raise ValueError(f"not a slice bound: {brief(value)}")


def slice_position(size, bound, default, check: Checker):
    """Where the slice bound ``bound`` falls on an axis of ``size`` elements, as Python and
    PyTorch place it: ``default`` when open (None), counted from the end when negative, and
    clipped to ``[0, size]``. With symbols, a comparison that depends on them takes one
    branch and records its condition in ``check``: the bound inside the axis (``:100`` on
    ``H`` elements is 100 where ``H >= 100``), and for a computed bound whose sign depends
    on the symbols, the sign it has for large sizes. One that can never hold clips.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> check = Checker()
    >>> [slice_position(8, bound, 0, check) for bound in (100, -100, -3)]
    [8, 0, 5]
    >>> slice_position(H, 100, H, check), check.constraints
    (100, [H >= 100])
    """
    if bound is None:
        return sympy.sympify(default)
    bound, size = sympy.sympify(bound), sympy.sympify(size)
    if _from_start(check, bound):  # up to the end
        return bound if _within(check, size, bound) else size
    from_end = sympy.expand(size + bound)  # from the start at most
    return from_end if _within(check, size, -bound) else sympy.Integer(0)


def _within(check: Checker, size, amount) -> bool:
    """``size >= amount``, where every size is at least 1 (no condition for 0 or 1)."""
    return amount.is_Integer and amount <= 1 or _holds(check, size, amount)


#: Where the sign of a computed slice bound depends on the symbols, the branch taken is the
#: sign the bound has with every symbol at this value (``W - 5``: from the start).
_LARGE = 10**6


def _from_start(check: Checker, bound) -> bool:
    """Is ``bound >= 0`` (Python counts it from the start; negative from the end)?"""
    try:
        relation = arith.require_at_least(bound, 0)
    except arith.Infeasible:
        return False
    if relation is None:
        return True
    if bound.xreplace({s: _LARGE for s in bound.free_symbols}) >= 0 \
            or not _holds(check, -bound, 1):
        check.constraints.append(relation)
        return True
    return False  # _holds recorded bound <= -1


#: How far a padding mode may reach: ``reflect`` mirrors without repeating the edge, so a
#: side must be shorter than the axis; ``circular`` wraps around at most once, so a side
#: may be as long as the axis (PyTorch: "Padding size should be less than the corresponding
#: input dimension", "Padding value causes wrapping around more than once").
_WRAPS = {"reflect": (1, "reflection padding", "more than {n} elements (PyTorch mirrors "
                      "without repeating the edge: a pad must be smaller than the input)"),
          "circular": (0, "circular padding", "at least {n} elements (PyTorch wraps around "
                       "at most once: a pad may not exceed the input)")}


def check_wrapping_pad(check: Checker, mode: str, size, pair, dim: int, received: str) -> None:
    """Require what PyTorch requires of ``mode`` padding by ``pair`` (before, after) on an
    axis of ``size`` elements, PyTorch's dim ``dim``: each side less than the size for
    ``reflect``, at most the size for ``circular`` (nothing for other modes). A side that
    depends on the symbols is a constraint; one that never fits is a ShapeError ending with
    ``received``.

    >>> from symcnn import symbols
    >>> check = Checker()
    >>> check_wrapping_pad(check, "reflect", symbols("H"), (3, 3), 2, "padding=3")
    >>> check.constraints
    [H >= 4]
    >>> check_wrapping_pad(check, "circular", 3, (3, 3), 2, "padding=3")
    >>> check_wrapping_pad(check, "reflect", 3, (3, 3), 2, "padding=3")
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: reflection padding by 3 needs more than 3 elements (...), but dim 2 has 3. Received: padding=3
    """
    if mode not in _WRAPS:
        return
    slack, what, need = _WRAPS[mode]
    for side in dict.fromkeys(pair):  # each distinct amount once
        check.at_least(size, sympy.expand(side + slack), lambda side=side: (
            f"{what} by {side} needs {need.format(n=side)}, but dim {dim} has {size}. "
            f"Received: {received}"))


def flag(owner: str, value: Any, arg: str) -> bool:
    if not isinstance(value, bool):
        raise LayerArgumentError(f"{owner}: `{arg}` must be True or False. Received: {arg}={brief(value)}")
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
            raise LayerArgumentError(f"{owner}: unexpected argument `{key}`. Received: {key}={brief(value)}")
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
    #: PyTorch's layout, channels before the positions: how a model of these layers reads
    #: its input (receptive fields), also where no layer has a ``data_format``.
    input_format = "channels_first"

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
