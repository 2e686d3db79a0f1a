"""Pieces shared by the zoo: the default symbolic input and argument checks.

Every zoo function takes ``input_shape`` (default ``(H, W, 3)`` with ``H, W`` positive
integer symbols), ``include_top`` (``False`` ends the model at its last feature map, as in
``keras.applications``), ``classes`` and ``name`` (:func:`name_arg`: None keeps the
function's own name).
"""

from __future__ import annotations

import operator

import sympy

from ..errors import LayerArgumentError
from ..layers import Input
from ..symbols import as_size, size_symbol

__all__ = ["model_input", "check_flag", "size_arg", "check_count", "plain_int",
           "name_arg", "MAX_BLOCKS", "written_out"]

#: Most blocks of one stage drawn one by one (ResNet-1001 has 111; ViT-G 48 layers): a
#: deeper stage (a larger number, or a symbol) is drawn once, as sc.Repeat, where the
#: builder can (ResNet, ConvNeXt, ViT); the others refuse it (a count of a billion ran for
#: ever).
MAX_BLOCKS = 1000


def model_input(input_shape, owner: str, channels: int = 3):
    """``sc.Input(input_shape)``, or ``(H, W, channels)`` when ``input_shape`` is None.

    A shape that looks channels first is refused, naming the channels-last shape: a first
    size of 1 to 4 (a channel count) and a last size that is a symbol (``(3, "H", "W")``) or
    a number above 4, which is no usual channel count (``(3, 224, 224)``, ``(4, 224,
    224)``; ``(2, 224, 3)`` stays an image 2 pixels high, as it reads). It would build a
    network on an image 1 to 4 pixels high with ``W`` or 224 channels, which Keras'
    applications refuse as smaller than 32x32. An image that small is meant rarely; it is
    built with the height given as a symbol, then substituted (``resnet18(("h", 224,
    3)).subs(h=2)``).

    >>> model_input((3, 224, 224), "resnet50")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: resnet50: `input_shape` (3, 224, 224) looks channels first (3 channels): symcnn's zoo is channels last, as Keras, input_shape=(224, 224, 3); a PyTorch model is read channels first by sc.from_torch. For an image 3 pixels high give the height as a symbol and substitute it: resnet50(('h', 224, 224)).subs(h=3). Received: input_shape=(3, 224, 224)
    """
    if input_shape is None:
        input_shape = (size_symbol("H"), size_symbol("W"), channels)
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise LayerArgumentError(
            f"{owner}: `input_shape` must be (height, width, channels), channels last, "
            f"without the batch axis. Received: input_shape={input_shape!r}"
        )
    inputs = Input(tuple(input_shape))
    first, middle, last = inputs.shape
    if first.is_Integer and 1 <= first <= 4 and \
            (not last.is_number or last.is_Integer and last > 4):
        rest = ", ".join(map(_shown, input_shape[1:]))
        raise LayerArgumentError(
            f"{owner}: `input_shape` {_tuple(input_shape)} looks channels first ({first} "
            f"channel{'s' if first > 1 else ''}): symcnn's zoo is channels last, as Keras, "
            f"input_shape=({rest}, {first}); a PyTorch model is read channels first by "
            f"sc.from_torch. For an image {first} pixel{'s' if first > 1 else ''} high give "
            f"the height as a symbol and substitute it: {owner}(('h', {rest})).subs(h={first})."
            f" Received: input_shape={input_shape!r}"
        )
    return inputs


def _shown(size) -> str:
    """A size as written in Python: a name in quotes (``'W'``), a number or form as is."""
    return repr(size) if isinstance(size, str) else str(size)


def _tuple(shape) -> str:
    return f"({', '.join(map(_shown, shape))})"


def check_flag(value, arg: str, owner: str) -> bool:
    """``value`` if it is a bool, else a message naming the argument."""
    if not isinstance(value, bool):
        raise LayerArgumentError(f"{owner}: `{arg}` must be True or False. Received: {arg}={value!r}")
    return value


def size_arg(value, arg: str, owner: str) -> sympy.Expr:
    """A size argument of a zoo function (class count, width) as a SymPy integer.

    >>> size_arg("w", "width", "resnet18"), size_arg(64, "width", "resnet18")
    (w, 64)
    """
    return as_size(value, arg, owner)


def name_arg(name, default: str) -> str:
    """A zoo function's ``name``: ``default`` when None, else a non-empty string (``name=0``
    and ``name=""`` were dropped silently for the default).

    >>> name_arg(None, "resnet50"), name_arg("mine", "resnet50")
    ('resnet50', 'mine')
    """
    if name is None:
        return default
    if not isinstance(name, str) or not name:
        raise LayerArgumentError(f"{default}: `name` must be a non-empty string. "
                                 f"Received: name={name!r}")
    return name


def written_out(count) -> bool:
    """Whether a stage of ``count`` blocks (a number or a symbol, as :func:`size_arg` takes
    it) is drawn block by block (a number up to :data:`MAX_BLOCKS`, named as published)
    rather than as one :class:`symcnn.Repeat`, whose counts of a block that keeps the shape
    cost nothing per repetition.

    >>> written_out(size_arg(12, "blocks", "resnet")), written_out(10**9), written_out("L")
    (True, False, False)
    """
    return _number(count) and int(count) <= MAX_BLOCKS


def _number(count) -> bool:
    return bool(getattr(count, "is_Integer", isinstance(count, int)))


def check_count(count, arg: str, owner: str, given, symbolic: bool = True) -> None:
    """Refuse a number of blocks above :data:`MAX_BLOCKS` (see :func:`written_out`);
    ``symbolic``: whether the function takes a symbol there instead."""
    if _number(count) and not written_out(count):
        hint = ("give a symbol (such as 'L') for a deeper stage, drawn once as sc.Repeat" if
                symbolic else "a deeper stage is not drawn")
        raise LayerArgumentError(
            f"{owner}: `{arg}` draws each block, at most {MAX_BLOCKS:,} per stage; {hint}. "
            f"Received: {arg}={given!r}")


def plain_int(value) -> int | None:
    """``value`` as an ``int`` if it is an integer (NumPy's included) and not a bool, else
    None: for the counts a zoo function takes as plain numbers (``depth=50``, ``blocks=(6,
    12)``).

    >>> plain_int(50), plain_int(50.0), plain_int(True), plain_int([50])
    (50, None, None, None)
    """
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None
