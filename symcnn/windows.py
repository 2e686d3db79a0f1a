"""What one output position reads along one axis: the windows layers state for receptive fields.

A layer answers ``window_for(input_shape)`` with one entry per axis of its input (channels
included): ``None`` where positions pass through unchanged, or one of the maps below. Each
map says which input positions ``lo(o) .. hi(o)`` output position ``o`` reads (``reads``: every
``step``-th of them, for a dilated window), how the step between output positions scales
(``jump``), and how often the span repeats (``period``). :mod:`symcnn.receptive` composes
them; it never looks at a layer's class.

>>> from symcnn import symbols
>>> o = symbols("o")
>>> Window(3, 2, 1, 1).bounds(o, 32)        # a 3-wide window, stride 2, one padding before
(2*o - 1, 2*o + 1)
>>> Upsampled(2).bounds(o, 16)
(floor(o/2), floor(o/2))
>>> Whole().bounds(o, 7)
(0, 6)
>>> Window(3, dilation=2).reads(o, 32)    # o, o + 2 and o + 4
(o, o + 4, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .arith import ceil_div, floor_div
from .formulas import effective_kernel
from .signs import prove_nonnegative
from .structural import expanded

__all__ = ["AxisMap", "Window", "Transposed", "Upsampled", "Adaptive", "Whole", "NotAWindow",
           "Copied"]

Size = "int | sympy.Expr"


ONE = sympy.Integer(1)


def _scaled_period(period, factor):
    factor = sympy.sympify(factor)
    return period * int(factor) if (period and factor.is_Integer) else None


def _at_least(a, b) -> bool:
    """``a >= b`` proved for every admissible value (False: not proved)."""
    return prove_nonnegative(expanded(sympy.sympify(a) - sympy.sympify(b)))


def _divides(a, b) -> bool:
    """``a`` divides ``b`` (False: not known to)."""
    a, b = sympy.sympify(a), sympy.sympify(b)
    if a == 1 or expanded(a - b) == 0:
        return True
    return bool(a.is_Integer and b.is_Integer and a != 0 and int(b) % int(a) == 0)


def _sumset_step(u, count_times_u, v, k):
    """The step of ``{0, u, ..., (m - 1)*u} + {0, v, ..., (k - 1)*v}`` (``count_times_u``
    is ``m*u``, or None when ``m`` is not known) when it is an arithmetic progression: ``v``
    where ``v`` divides ``u`` and ``u <= k*v`` (the kernel's taps fill the gap), ``u`` where
    ``u`` divides ``v`` and ``v <= m*u``; else None (not known to be one)."""
    if _divides(v, u) and _at_least(sympy.sympify(k) * v, u):
        return sympy.sympify(v)
    if count_times_u is not None and _divides(u, v) and _at_least(count_times_u, v):
        return sympy.sympify(u)
    return None


class AxisMap:
    """Base of the per-axis maps: output position ``o`` reads ``bounds(o, size)``."""

    #: False: positions along this axis are not a window (the field is undefined).
    defined: bool = True
    #: False: the axis stops being a spatial axis of the output (Flatten, global pooling).
    keeps_axis: bool = True

    def bounds(self, o, size) -> tuple:
        """``(lo, hi)``: the first and last input position read by output position ``o``
        along an input axis of ``size`` positions."""
        raise NotImplementedError

    def reads(self, o, size) -> tuple:
        """``(lo, hi, step)``: output position ``o`` reads ``lo``, ``lo + step``, ..., ``hi``
        (positions outside ``0 .. size - 1`` are padding). By default every position of
        :meth:`bounds` (``step`` 1); a dilated window says its dilation."""
        lo, hi = self.bounds(o, size)
        return lo, hi, ONE

    def image_step(self, spread, step):
        """The step of the positions that output positions ``o``, ``o + step``, ...,
        ``o + spread`` (``spread`` a positive multiple of ``step``, or None when not known)
        read together, when they form an arithmetic progression, which runs from
        ``reads(o)``'s first to ``reads(o + spread)``'s last; None when that is not known (the
        default: :mod:`symcnn.receptive` then lists the positions, or, for symbolic sizes,
        answers only where no tensor's end cuts them)."""
        return None

    def jump(self, jump, size):
        """The distance between neighbouring outputs' fields, from the input's ``jump``
        (None once it is not constant)."""
        return jump

    def period(self, period):
        """How often ``hi - lo`` repeats in ``o`` (None: not known)."""
        return period

    def affine(self, size):
        """``(a, b, width)`` when output ``o`` reads ``a*o + b`` to ``a*o + b + width`` with an
        integer ``a`` (``bounds`` in a form receptive fields compose without substituting),
        else None."""
        return None


@dataclass(frozen=True)
class Window(AxisMap):
    """A sliding window: output ``o`` reads ``s*o - p`` to ``s*o - p + d*(k - 1)``.

    Convolution and pooling (``p`` is the padding before), and also zero padding
    (``Window(1, pad_before=p)``) and cropping (``Window(1, pad_before=-c)``).

    >>> Window(3, dilation=2).bounds(0, 10)
    (0, 4)
    """

    kernel: object = 1
    stride: object = 1
    dilation: object = 1
    pad_before: object = 0

    def _span(self) -> tuple:
        """``(s, -p, d*(k - 1))``: output ``o`` reads ``s*o - p`` to ``s*o - p + d*(k - 1)``,
        the one statement of the window that ``bounds`` and ``affine`` both read."""
        return (sympy.sympify(self.stride), expanded(-sympy.sympify(self.pad_before)),
                effective_kernel(self.kernel, self.dilation) - 1)

    def bounds(self, o, size) -> tuple:
        stride, start, width = self._span()
        lo = expanded(stride * o + start)
        return lo, expanded(lo + width)

    def reads(self, o, size) -> tuple:
        """Every ``d``-th position of the span (the kernel's taps).

        >>> Window(2, 3, dilation=4, pad_before=1).reads(2, 10)
        (5, 9, 4)
        """
        lo, hi = self.bounds(o, size)
        return lo, hi, (ONE if hi == lo else sympy.sympify(self.dilation))

    def image_step(self, spread, step):
        """Output positions ``step`` apart start reads ``s*step`` apart; each reads ``k`` taps
        ``d`` apart: an arithmetic progression where the taps fill the gap between starts
        (step ``d``) or the starts fill the gap between taps (step ``s*step``).

        >>> Window(3, 2).image_step(4, 1), Window(2, 1, dilation=3).image_step(None, 1)
        (1, None)
        """
        _, _, width = self._span()
        u = sympy.sympify(self.stride) * step
        if width == 0:
            return u
        counted = None if spread is None else expanded(sympy.sympify(self.stride) * spread + u)
        return _sumset_step(u, counted, self.dilation, self.kernel)

    def jump(self, jump, size):
        return None if jump is None else sympy.expand(jump * self.stride)

    def affine(self, size):
        """``(s, -p, d*(k - 1))`` for an integer stride.

        >>> Window(3, 2, pad_before=1).affine(10)
        (2, -1, 2)
        """
        span = self._span()
        return span if span[0].is_Integer else None


@dataclass(frozen=True)
class Transposed(AxisMap):
    """A transposed convolution (a convolution over the input with ``s - 1`` zeros between
    elements; Dumoulin & Visin, 2016): output ``o`` reads ``ceiling((o + p - k + 1)/s)`` to
    ``floor((o + p)/s)``. Only for a dilation of 1 or a stride of 1, with ``k >= s``.

    >>> [Transposed(3, 2, pad_before=1).bounds(o, 8) for o in range(3)]
    [(0, 0), (0, 1), (1, 1)]
    """

    kernel: object = 1
    stride: object = 1
    dilation: object = 1
    pad_before: object = 0

    def bounds(self, o, size) -> tuple:
        k, s, p = self.kernel, sympy.sympify(self.stride), self.pad_before
        if s == 1:
            k_eff = effective_kernel(k, self.dilation)
            return sympy.expand(o + p - k_eff + 1), sympy.expand(o + p)
        return ceil_div(o + p - k + 1, s), floor_div(o + p, s)

    def reads(self, o, size) -> tuple:
        """With a stride of 1, every ``d``-th position of the span; otherwise (no dilation,
        ``k >= s``) every position.

        >>> Transposed(3, 1, dilation=2, pad_before=4).reads(0, 8)
        (0, 4, 2)
        """
        lo, hi = self.bounds(o, size)
        dense = sympy.sympify(self.stride) != 1 or hi == lo
        return lo, hi, (ONE if dense else sympy.sympify(self.dilation))

    def image_step(self, spread, step):
        """Stride 1: as a window of stride 1 (taps ``d`` apart); a larger stride: the
        outputs' reads abut (``k >= s``), so consecutive outputs read consecutive positions."""
        if sympy.sympify(self.stride) != 1:
            return ONE if step == 1 else None
        return _sumset_step(sympy.sympify(step), None if spread is None else
                            expanded(spread + step), self.dilation, self.kernel)

    def jump(self, jump, size):
        return None if jump is None else sympy.expand(jump / sympy.sympify(self.stride))

    def period(self, period):
        return period if self.stride == 1 else _scaled_period(period, self.stride)


@dataclass(frozen=True)
class Upsampled(AxisMap):
    """Each input position repeated ``factor`` times: output ``o`` reads ``floor(o/f)``."""

    factor: object = 2

    def bounds(self, o, size) -> tuple:
        at = floor_div(o, self.factor)
        return at, at

    def image_step(self, spread, step):
        """Outputs at most ``f`` apart read consecutive positions; ``f*j`` apart, ``j`` apart."""
        if _at_least(self.factor, step):
            return ONE
        if _divides(self.factor, step):
            return sympy.expand(sympy.sympify(step) / sympy.sympify(self.factor))
        return None

    def jump(self, jump, size):
        return None if jump is None else sympy.expand(jump / sympy.sympify(self.factor))

    def period(self, period):
        return _scaled_period(period, self.factor)


@dataclass(frozen=True)
class Adaptive(AxisMap):
    """PyTorch's adaptive pooling to ``out_size`` positions: output ``o`` reads
    ``floor(o*i/m)`` to ``ceiling((o + 1)*i/m) - 1``.

    >>> Adaptive(2).bounds(1, 5)
    (2, 4)
    """

    out_size: object = 1

    def bounds(self, o, size) -> tuple:
        m = self.out_size
        return floor_div(o * size, m), ceil_div((o + 1) * size, m) - 1

    def image_step(self, spread, step):
        """Neighbouring outputs' windows touch or overlap: consecutive outputs read every
        position between."""
        return ONE if step == 1 else None

    def jump(self, jump, size):
        return None if jump is None else sympy.expand(jump * size / sympy.sympify(self.out_size))

    def period(self, period):
        return _scaled_period(period, self.out_size)


@dataclass(frozen=True)
class Whole(AxisMap):
    """Every output position reads every position of the axis (Dense over it, softmax or
    normalization over it, global pooling, Flatten). ``keeps_axis=False`` when the axis stops
    being spatial."""

    keeps_axis: bool = True

    def bounds(self, o, size) -> tuple:
        return sympy.Integer(0), sympy.expand(size - 1)

    def image_step(self, spread, step):
        return ONE

    def jump(self, jump, size):
        return None

    def period(self, period):
        return 1


#: The padding modes whose padding holds copies of input positions (PyTorch's names).
COPYING_MODES = ("reflect", "replicate", "circular")


@dataclass(frozen=True)
class Copied(AxisMap):
    """A ``window`` over an input padded with copies of its own positions, not zeros:
    PyTorch's ``reflect``, ``replicate`` and ``circular`` padding (the padding modules,
    ``F.pad`` and a convolution's ``padding_mode``).

    The window itself is the zero-padded one (``bounds``, ``jump``, ``affine``: the
    receptive field, padding positions included, and ``input_span(padding=True)``); the
    padding positions it covers hold copies of input positions, which :meth:`source` names,
    so :func:`symcnn.receptive.input_span` maps them back instead of dropping them:

    - ``reflect``: mirrored about the end position (``-1`` holds ``1``, ``size`` holds
      ``size - 2``);
    - ``replicate``: the end position itself (``-3`` holds ``0``);
    - ``circular``: wrapped around what a crop on the other side leaves
      (``crop_before .. size - 1 - crop_after``): ``-1`` holds ``size - 1``. Not a window:
      an output near one end reads the other end too.

    ``layer`` names the layer in messages.

    >>> pad = Copied(Window(1, pad_before=2), "reflect")
    >>> pad.bounds(0, 8), [pad.source(q, 8) for q in (-2, -1, 0, 7, 8, 9)]
    ((-2, -2), [2, 1, 0, 7, 6, 5])
    >>> Copied(Window(1, pad_before=2), "circular").source(-1, 8)
    7
    """

    window: AxisMap
    mode: str
    crop_before: int = 0
    crop_after: int = 0
    layer: str = ""

    @property
    def defined(self) -> bool:  # type: ignore[override]
        return self.window.defined

    @property
    def keeps_axis(self) -> bool:  # type: ignore[override]
        return self.window.keeps_axis

    def bounds(self, o, size) -> tuple:
        return self.window.bounds(o, size)

    def reads(self, o, size) -> tuple:
        return self.window.reads(o, size)

    def image_step(self, spread, step):
        return self.window.image_step(spread, step)

    def jump(self, jump, size):
        return self.window.jump(jump, size)

    def period(self, period):
        return self.window.period(period)

    def affine(self, size):
        return self.window.affine(size)

    def source(self, q: int, size: int) -> int:
        """The input position whose value position ``q`` (in the input's coordinates, inside
        the padded axis) holds; ``q`` inside ``0 .. size - 1`` is itself.

        >>> [Copied(Window(1, pad_before=3), "replicate").source(q, 4) for q in (-3, 2, 6)]
        [0, 2, 3]
        >>> [Copied(Window(1, pad_before=-2), "circular", crop_before=2).source(q, 8)
        ...  for q in (8, 9, 10)]
        [2, 3, 4]
        """
        top = size - 1
        if self.mode == "circular":
            lo, hi = self.crop_before, top - self.crop_after
            return lo + (q - lo) % (hi - lo + 1)
        if 0 <= q <= top:
            return q
        if self.mode == "replicate":
            return 0 if q < 0 else top
        if self.mode == "reflect":
            return -q if q < 0 else 2 * top - q
        raise ValueError(f"unknown padding mode {self.mode!r}")


@dataclass(frozen=True)
class NotAWindow(AxisMap):
    """Positions along this axis are rearranged (concatenation along it, a channel axis that
    mixes): a receptive field through it is undefined."""

    defined: bool = False

    def bounds(self, o, size) -> tuple:
        raise ValueError("positions along this axis are not a window")
