"""PyTorch's reshaping modules: ``Flatten``, ``Unflatten``, padding modules and ``Upsample``.

Dimensions (``start_dim``, ``dim``) count the batch axis as 0, as in PyTorch.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import sympy

from .. import arith, formulas
from ..errors import SUBS_HINT, LayerArgumentError, ShapeError, brief
from ..layers import reshape as _reshape
from ..layers.base import Checker, Layer, format_shape
from ..layers.layout import reads_cuts, sliced
from ..layers.saved import NOTHING, kept_input
from ..layers.views import reshaped
from ..symbols import MAX_SIZE_BITS, as_size
from ..windows import COPYING_MODES, Copied, NotAWindow, Upsampled, Window
from ._base import TorchLayer, bind, check_wrapping_pad, slice_bound, slice_position

__all__ = [
    "Flatten", "Unflatten", "Upsample", "Slice",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
]


def _dim(owner: str, dim, rank: int, arg: str) -> int:
    """A PyTorch dimension (batch axis = 0, negatives from the end) as a non-batch index + 1."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise LayerArgumentError(f"{owner}: `{arg}` must be an int. Received: {arg}={brief(dim)}")
    index = dim if dim >= 0 else rank + dim
    if not 0 <= index < rank:
        raise ShapeError(f"`{arg}` is out of range for an input of rank {rank} (batch axis "
                         f"included). Received: {arg}={brief(dim)}")
    if index == 0:
        raise ShapeError(f"`{arg}`=0 would merge or split the batch axis, which a shape "
                         f"without the batch axis cannot show. Received: {arg}={brief(dim)}")
    return index


class Flatten(TorchLayer, _reshape.Flatten):
    """``torch.nn.Flatten(start_dim=1, end_dim=-1)``: merges dimensions ``start_dim..end_dim``.

    >>> from symcnn import nn, Input
    >>> nn.Flatten()(Input((64, "H", "W"))).shape
    (64*H*W,)
    >>> nn.Flatten(2)(Input((64, "H", "W"))).shape
    (64, H*W)
    """

    _optional = (("start_dim", 1), ("end_dim", -1))

    def __init__(self, start_dim=1, end_dim=-1, name: str | None = None, trainable: bool = True):
        _reshape.Flatten.__init__(self, name=name, trainable=trainable)
        for arg, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise LayerArgumentError(f"Flatten: `{arg}` must be an int. Received: {arg}={brief(value)}")
        self._set(start_dim=start_dim, end_dim=end_dim)
        self._torch_config(start_dim=start_dim, end_dim=end_dim)

    def output_shape_for(self, shape, check: Checker):
        rank = len(shape) + 1
        start = _dim(self.type_name, self.start_dim, rank, "start_dim")
        end = _dim(self.type_name, self.end_dim, rank, "end_dim")
        if start > end:
            raise ShapeError(f"`start_dim` comes after `end_dim`. Received: start_dim="
                             f"{self.start_dim}, end_dim={self.end_dim}")
        merged = sympy.expand(formulas.prod(shape[start - 1:end]))
        return (*shape[:start - 1], merged, *shape[end:])


class Unflatten(TorchLayer, Layer):
    """``torch.nn.Unflatten(dim, unflattened_size)``; one entry may be -1.

    >>> from symcnn import nn, Input
    >>> nn.Unflatten(1, (16, 7, 7))(Input((784,))).shape
    (16, 7, 7)
    """

    def __init__(self, dim, unflattened_size, name: str | None = None, trainable: bool = True):
        super().__init__(name=name, trainable=trainable)
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise LayerArgumentError(f"Unflatten: `unflattened_size` must be a non-empty tuple. "
                                     f"Received: unflattened_size={brief(unflattened_size)}")
        sizes = tuple(-1 if s == -1 and isinstance(s, int) else self._size(s, "unflattened_size")
                      for s in unflattened_size)
        self._set(dim=dim, unflattened_size=sizes)
        self._torch_config(dim=dim, unflattened_size=sizes)

    def get_config(self) -> dict:
        return {**super().get_config(), "unflattened_size": self.unflattened_size}

    def output_shape_for(self, shape, check: Checker):
        index = _dim(self.type_name, self.dim, len(shape) + 1, "dim") - 1
        size = shape[index]
        known = sympy.expand(formulas.prod(s for s in self.unflattened_size if s != -1))
        message = (f"cannot split size {size} into {format_shape(self.unflattened_size)}. "
                   f"Received: unflattened_size={format_shape(self.unflattened_size)}")
        if -1 in self.unflattened_size:
            check.divisible(size, known, message)
            missing = arith.floor_div(size, known) if known.is_Integer else sympy.cancel(size / known)
            sizes = tuple(missing if s == -1 else s for s in self.unflattened_size)
        else:
            check.equal(size, known, message)
            sizes = self.unflattened_size
        return (*shape[:index], *sizes, *shape[index + 1:])

    def window_for(self, input_shape):
        """Positions are rearranged into new axes, as by a reshape: not a window."""
        return None

    output_is_view = True  # x.unflatten(dim, sizes): a view whatever the strides

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Nothing: the backward of a view reshapes the gradient back, from the sizes."""
        return NOTHING

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The view's layout (:func:`~symcnn.layers.views.reshaped`): the split axis'
        memory, re-split; not stated where that cannot be told."""
        return (reshaped(input_layouts[0], input_shapes[0], output_shapes[0]),)

    def output_copy_for(self, input_layouts, input_shapes, output_shapes, batch):
        """0: splitting one axis into several is always a view in PyTorch (``unflatten`` is
        ``view``, which can split any axis), even of a transposed or sliced input."""
        return sympy.Integer(0)


class Slice(TorchLayer, Layer):
    """Basic slicing ``x[:, a:b, c:d]``, which no ``torch.nn`` module does (``from_torch`` and
    ``to_torch`` use it for crops).

    ``slices`` holds one ``(start, stop)`` pair per non-batch axis from the first (missing
    trailing pairs keep their axis); ``None`` is an open end and negative values count from
    the end, as in Python. A bound may be a size expression (``from_torch`` of
    ``x[:, :, :x.size(2) // 2]`` gives ``(None, floor(H/2))``). A bound past either end is
    clipped, as Python and PyTorch clip it (``:100`` keeps all 8 rows of 8); where that
    depends on the symbols, the closed form is the unclipped one and the model records its
    condition (``:100`` on ``H`` rows: 100 rows where ``H >= 100``). An empty slice is an
    error. Messages number axes as PyTorch does (dim 0 is the batch axis).

    >>> from symcnn import nn, Input
    >>> nn.Slice(((None, None), (1, -1), (0, 4)))(Input((8, "H", 10))).shape
    (8, H - 2, 4)
    >>> nn.Slice(((None, None), (None, 100)))(Input((3, 8, 8))).shape
    (3, 8, 8)
    """

    def __init__(self, slices, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        try:
            if not isinstance(slices, (tuple, list)) or not all(
                    isinstance(p, (tuple, list)) and len(p) == 2 for p in slices):
                raise ValueError
            pairs = tuple(tuple(slice_bound(v) for v in p) for p in slices)
        except ValueError:
            raise LayerArgumentError(f"Slice: `slices` must be (start, stop) pairs of ints, "
                                     f"integer size expressions or None, one per axis. "
                                     f"Received: slices={brief(slices)}") from None
        self._set(slices=pairs)
        self._torch_config(slices=pairs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["slices"] = self.slices  # pairs as given: one pair is not "the same for all"
        return config

    def positions(self, shape, check: Checker | None = None) -> tuple:
        """``(begin, end)`` of the slice on each axis of ``shape`` (unsliced axes whole),
        clipped as in Python; conditions on the symbols go to ``check``.

        >>> from symcnn import nn
        >>> nn.Slice(((None, None), (-3, 100))).positions((4, 8, 6))
        ((0, 4), (5, 8), (0, 6))
        """
        check = Checker() if check is None else check
        pairs = self.slices + ((None, None),) * (len(shape) - len(self.slices))
        return tuple((slice_position(size, start, 0, check),
                      slice_position(size, stop, size, check))
                     for size, (start, stop) in zip(shape, pairs))

    def output_shape_for(self, shape, check: Checker):
        if len(self.slices) > len(shape):
            raise ShapeError(f"has {len(self.slices)} (start, stop) pairs for an input of rank "
                             f"{len(shape)} (batch axis left out). Received: "
                             f"slices={brief(self.slices)}")
        out = []
        for axis, (size, (begin, end)) in enumerate(zip(shape, self.positions(shape, check))):
            length = sympy.expand(end - begin)
            if axis < len(self.slices):
                check.at_least(length, 1, lambda: f"the slice of dim {axis + 1} would be "
                               f"empty ({size} elements there). Received: slices={brief(self.slices)}")
            out.append(length)
        return tuple(out)

    output_is_view = True  # a slice is a view of its input's storage

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Nothing: PyTorch's slice backward needs only the sizes."""
        return NOTHING

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The input's memory with a gap along each axis cut short (symcnn axes, batch 0);
        not stated where whether an axis is cut depends on the symbols (``:6`` on ``H``
        rows is cut for every ``H`` the model admits, ``H >= 6``, but the last six rows of
        six are not)."""
        check = Checker()
        positions = self.positions(input_shapes[0], check)
        cut = []
        for axis, (size, (begin, end)) in enumerate(zip(input_shapes[0], positions)):
            short = sympy.expand(size - end + begin)  # the elements the slice leaves out
            if short.is_Integer and short == 0:
                continue
            if not short.is_Integer and not _always_positive(short, check.constraints):
                return (None,)
            cut.append(axis + 1)
        return (sliced(input_layouts[0], cut),)

    def window_for(self, input_shape):
        """Output ``o`` reads ``o + start`` along each sliced axis (a 1-wide window)."""
        starts = [b for b, _ in self.positions(input_shape)[:len(self.slices)]]
        return tuple(Window(1, pad_before=-b) if b != 0 else None for b in starts) + (
            None,) * (len(input_shape) - len(starts))


def _always_positive(expr, conditions) -> bool:
    """``expr >= 1`` for every size, or wherever one of ``conditions`` (``H >= 6``) holds."""
    try:
        needed = arith.require_at_least(expr, 1)
    except arith.Infeasible:
        return False
    return needed is None or isinstance(needed, sympy.GreaterThan) and any(
        isinstance(c, sympy.GreaterThan) and c.lhs == needed.lhs and c.rhs.is_Number
        and needed.rhs.is_Number and c.rhs >= needed.rhs for c in conditions)


def _amount(owner: str, value):
    """A padding amount: any int (negative crops, as in PyTorch) or a non-negative size."""
    if isinstance(value, (int, sympy.Integer)) and not isinstance(value, bool):
        if abs(int(value)).bit_length() > MAX_SIZE_BITS:  # as sizes are: no huge numbers
            raise LayerArgumentError(
                f"{owner}: `padding` is larger than 2**{MAX_SIZE_BITS} in size, the largest "
                f"amount symcnn takes. Received: padding={brief(value)}")
        return sympy.Integer(value)  # also a symbolic amount substituted (model.subs)
    return as_size(value, "padding", owner, minimum=0)


class _PadNd(TorchLayer):
    """Padding modules: ``padding`` is an int or ``2*rank`` ints, last axis first; a negative
    amount crops, as in PyTorch."""

    _pad_params: tuple = ()
    #: PyTorch's padding mode ("reflect" bounds each side by the axis, see
    #: :func:`~symcnn.nn._base.check_wrapping_pad`).
    _mode: str = "constant"

    def __init__(self, padding, *args, name: str | None = None, trainable: bool = True,
                 **kwargs) -> None:
        t, rank = self.type_name, self.rank
        values = bind(t, self._pad_params, args, kwargs)
        if isinstance(padding, (tuple, list)):
            if len(padding) != 2 * rank:
                raise LayerArgumentError(f"{t}: `padding` must be an int or a tuple of "
                                         f"{2 * rank} ints (last axis first). "
                                         f"Received: padding={brief(padding)}")
            flat = [_amount(t, p) for p in padding]
            pairs = tuple((flat[2 * a], flat[2 * a + 1]) for a in range(rank))[::-1]
        else:
            p = _amount(t, padding)
            pairs = ((p, p),) * rank
        super().__init__(padding=0, data_format="channels_first", name=name,
                         trainable=trainable)
        self._set(padding=pairs)
        torch_form = tuple(p for pair in self.padding[::-1] for p in pair)
        self._torch_config(padding=torch_form, **values)

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        out = []
        received = f"padding={brief(self._torch['padding'])}"
        for axis, (i, (a, b)) in enumerate(zip(shape[1:], self.padding)):
            dim = axis + 2  # PyTorch's numbering: batch, channels, then the padded axes
            size = sympy.expand(i + a + b)
            check.at_least(size, 1, lambda: f"padding by ({a}, {b}) leaves nothing of the "
                           f"{i} elements of dim {dim}. Received: {received}")
            crop = -sum(min(p, 0) for p in (a, b) if p.is_Integer)
            pads = any(not p.is_Integer or p > 0 for p in (a, b))
            if self._mode == "constant" and crop > 0 and pads:
                # one side crops, the other pads: PyTorch crops the input first, so the
                # input must cover the crop (ZeroPad2d((0, 0, 3, -3)) refuses 1 row)
                check.at_least(i, crop, lambda: f"padding by ({a}, {b}) crops {crop} of the "
                               f"{i} elements of dim {dim}, and PyTorch needs the input to "
                               f"cover the crop before it pads. Received: {received}")
            if self._mode == "circular" and crop > 0 and pads:
                _check_circular_crop(check, i, (a, b), crop, dim, received)
            check_wrapping_pad(check, self._mode, i, (a, b), dim, received)
            out.append(size)
        return (shape[0], *out)

    def window_for(self, input_shape):
        """Zero padding's windows; for ``reflect``, ``replicate`` and ``circular`` padding
        each wrapped in a :class:`~symcnn.windows.Copied` (the padding holds copies of input
        positions, which ``input_span`` maps back to)."""
        maps = super().window_for(input_shape)
        if self._mode not in COPYING_MODES:
            return maps
        spatial = iter(self.padding)
        out = []
        for m in maps:
            if not isinstance(m, Window):
                out.append(m)
                continue
            crops = tuple(-int(p) if (isinstance(p, int) or getattr(p, "is_Integer", False))
                          and p < 0 else 0 for p in next(spatial))
            out.append(Copied(m, self._mode, *crops, layer=self._where()))
        return tuple(out)


def _check_circular_crop(check: Checker, size, pair, crop, dim: int, received: str) -> None:
    """Circular padding by ``pair`` where one side crops ``crop`` elements and the other pads
    ``p``: require ``size >= crop + p``, the input covering the crop and then the wrap.

    PyTorch (``_pad_circular`` in ATen's PadNd.cpp) copies the cropped input into the output,
    then fills the padded side by copying from the output itself. Measured over pads -9..9
    and sizes 1..13 (a model of that code agrees with every forward pass), with ``r = size -
    crop`` the elements left after the crop:

    * ``r >= p``: accepted, and the output is the crop wrapped around (correct);
    * ``0 < r < p`` (the pad wraps more than once around what is left): refused when the
      copy's source and target are dense in memory (batch 1, 1 channel and the axes before
      this one of output size 1: "some elements of the input tensor and the written-to tensor refer
      to a single memory location"), otherwise accepted with values depending on the layout;
    * ``r <= 0`` (the crop takes the whole input): some sizes refused (the copies' shapes
      disagree), others accepted with an output of uninitialised memory, so the accepted set
      has holes (``CircularPad1d((-4, 2))`` runs on 3 and 4 elements, not on 5).

    So PyTorch's own accepted set depends on the batch size and the other axes, which a
    layer's shape does not know; symcnn accepts exactly the sizes where PyTorch always
    accepts and computes the wrapped crop, ``size >= crop + p``: one linear condition, also
    a constraint for a symbolic size or pad.

    >>> from symcnn import symbols
    >>> check = Checker()
    >>> _check_circular_crop(check, symbols("H"), (-4, 2), 4, 2, "padding=(-4, 2)")
    >>> check.constraints
    [H >= 6]
    """
    a, b = pair
    pad = b if sympy.sympify(a).is_negative else a  # the side that pads
    need = sympy.expand(crop + pad)
    check.at_least(size, need, lambda: (
        f"circular padding by ({a}, {b}) crops {crop} and then wraps {pad} around what is "
        f"left, so it needs at least {need} elements (PyTorch refuses fewer, or fills the "
        f"output from memory it never wrote), but dim {dim} has {size}. Received: {received}"))


def _keeps_input(self, input_shapes, output_shapes) -> tuple:
    """The input: the backward of reflection and replication padding reads it (measured
    with PyTorch's saved-tensor hooks); constant padding keeps nothing."""
    return (kept_input(),)


def _pad_classes(prefix: str, extra: tuple, keeps_input: bool = False,
                 mode: str = "constant") -> list:
    made = []
    for rank, parent in ((1, _reshape.ZeroPadding1D), (2, _reshape.ZeroPadding2D),
                         (3, _reshape.ZeroPadding3D)):
        name = f"{prefix}{rank}d"
        body = {"_pad_params": extra, "__module__": __name__,
                "__doc__": f"``torch.nn.{name}``: pads the last {rank} axes (sizes as zero "
                           f"padding)."}
        if keeps_input:
            body["saved_for_backward"] = _keeps_input
        body["_mode"] = mode
        cls = type(name, (_PadNd, parent), body)
        made.append(cls)
    return made


ZeroPad1d, ZeroPad2d, ZeroPad3d = _pad_classes("ZeroPad", ())
ConstantPad1d, ConstantPad2d, ConstantPad3d = _pad_classes("ConstantPad", (("value", 0.0),))
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _pad_classes("ReflectionPad", (), True,
                                                                  mode="reflect")
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _pad_classes("ReplicationPad", (), True,
                                                                     mode="replicate")
CircularPad1d, CircularPad2d, CircularPad3d = _pad_classes("CircularPad", (), mode="circular")
ZeroPad2d.__doc__ += """

    >>> from symcnn import nn, Input
    >>> nn.ZeroPad2d((1, 2, 3, 4))(Input((3, "H", "W"))).shape
    (3, H + 7, W + 3)
"""


class Upsample(TorchLayer, Layer):
    """``torch.nn.Upsample``: to a fixed ``size`` or by ``scale_factor``.

    PyTorch's output size is ``floor(float(i) * f)``, a product rounded in double precision
    (also with ``recompute_scale_factor=True`` and in ``area`` mode), which for a factor that
    is no binary fraction can differ from the exact ``floor(i*f)``: 9 rows by ``1/3`` give 3
    (``9 * (1/3)`` rounds up to 3.0), 100 by ``0.29`` give 28. A number of rows gets exactly
    PyTorch's size; a symbol gets a closed form ``floor(r*H)`` only where one is proven to
    be PyTorch's size for every ``H`` with input and output at most :data:`EXACT_UP_TO`
    elements (``1/3``: ``floor(H/3)``); otherwise (``0.29``) the size is refused with a
    ``ShapeError`` asking for a number. An output below 1 is refused (PyTorch refuses it,
    except in ``area`` mode, which returns an empty tensor); with symbols it is a
    constraint. The mode must suit the number of spatial axes (``linear``: 1, ``bilinear``
    and ``bicubic``: 2, ``trilinear``: 3, the others 1 to 3), and ``align_corners`` is
    only for the interpolating modes, as PyTorch requires.

    >>> from symcnn import nn, Input
    >>> nn.Upsample(scale_factor=2)(Input((8, "H", "W"))).shape
    (8, 2*H, 2*W)
    >>> nn.Upsample(scale_factor=1.5)(Input((8, "H", 10))).shape
    (8, H + floor(H/2), 15)
    >>> nn.Upsample(scale_factor=1/3)(Input((8, "H", 9))).shape
    (8, floor(H/3), 3)
    >>> nn.Upsample(scale_factor=0.29)(Input((8, 100))).shape
    (8, 28)
    """

    _optional = (("size", None), ("scale_factor", None), ("mode", "nearest"),
                 ("align_corners", None), ("recompute_scale_factor", None))

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None, name: str | None = None, trainable: bool = True):
        super().__init__(name=name, trainable=trainable)
        if (size is None) == (scale_factor is None):
            raise LayerArgumentError("Upsample: give exactly one of `size` and `scale_factor`. "
                                     f"Received: size={brief(size)}, scale_factor={brief(scale_factor)}")
        _check_mode(mode, align_corners)
        if size is not None and recompute_scale_factor:
            raise LayerArgumentError(f"Upsample: `recompute_scale_factor` is not meaningful "
                                     f"with an explicit `size` (PyTorch refuses it). Received: "
                                     f"size={brief(size)}, "
                                     f"recompute_scale_factor={brief(recompute_scale_factor)}")
        if size is not None:
            many = isinstance(size, (tuple, list))
            size = tuple(self._size(s, "size") for s in size) if many else self._size(size, "size")
        factors = floats = None
        if scale_factor is not None:
            many = isinstance(scale_factor, (tuple, list))
            floats = tuple(_factor(f) for f in (scale_factor if many else (scale_factor,)))
            factors = tuple(_closed_form(f) or sympy.Rational(Fraction(f)) for f in floats)
            if not many:
                factors, floats = factors[0], floats[0]
        # the mode and the doubles decide the size too: in the arguments that identify a
        # computation (a cached result is shared by layers with the same arguments)
        self._set(size=size, scale_factor=factors, mode=mode, _floats=floats)
        self._torch_config(size=size, scale_factor=scale_factor, mode=mode,
                           align_corners=align_corners,
                           recompute_scale_factor=recompute_scale_factor)

    def output_shape_for(self, shape, check: Checker):
        if len(shape) < 2:
            raise ShapeError(f"expects an input with channels and at least one spatial axis. "
                             f"Received: shape={format_shape(shape)}")
        spatial = shape[1:]
        mode = self._torch["mode"]
        axes = _MODE_AXES[mode]
        if len(spatial) > 3 or axes is not None and len(spatial) != axes:
            need = ("1, 2 or 3 spatial axes (an input of 3, 4 or 5 dims, batch included)"
                    if axes is None else f"{axes} spatial ax{'is' if axes == 1 else 'es'} "
                    f"(an input of {axes + 2} dims, batch included)")
            raise ShapeError(f"mode={brief(mode)} needs {need}, as PyTorch requires, but the input "
                             f"has {len(spatial)}. Received: mode={brief(mode)}, "
                             f"shape={format_shape(shape)}")
        given = self.size if self.size is not None else self._floats
        values = given if isinstance(given, tuple) else (given,) * len(spatial)
        if len(values) != len(spatial):
            raise ShapeError(f"needs one value per spatial axis ({len(spatial)}). Received: "
                             f"{'size' if self.size is not None else 'scale_factor'}={given}")
        if self.size is not None:
            return (shape[0], *values)
        out = []
        for axis, (i, f) in enumerate(zip(spatial, values)):
            size = _scaled(i, f)
            dim = axis + 2  # PyTorch's numbering: batch, channels, then the resized axes
            check.at_least(size, 1, lambda: f"scaling dim {dim} ({i} elements) by {brief(f)} "
                           f"leaves none (PyTorch's size floor({i}*{brief(f)}) is {size}, and "
                           f"PyTorch refuses an empty output). Received: "
                           f"scale_factor={brief(self._torch['scale_factor'])}")
            out.append(size)
        return (shape[0], *out)

    def window_for(self, input_shape):
        """Nearest-neighbour by an integer factor repeats each position ``f`` times; other
        modes read several neighbours, and other factors or sizes read positions that are no
        window: undefined there."""
        spatial = len(input_shape) - 1
        given = self.scale_factor if isinstance(self.scale_factor, tuple) else (
            (self.scale_factor,) * spatial)
        nearest = self._torch.get("mode", "nearest") == "nearest" and self.size is None
        return (None, *(Upsampled(f) if nearest and f.is_Integer else NotAWindow()
                        for f in given))

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one per output element (its ``nn.Upsample`` hook), whatever the mode."""
        return formulas.elements(output_shape)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Nothing: the backward of an interpolation needs only the sizes (measured with
        PyTorch's saved-tensor hooks for nearest and bilinear)."""
        return NOTHING


#: ``nn.Upsample``'s modes and the number of spatial axes each takes (None: 1, 2 or 3).
_MODE_AXES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 1,
              "bilinear": 2, "bicubic": 2, "trilinear": 3}
#: The modes that take ``align_corners`` (PyTorch refuses it, even False, for the others).
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def _check_mode(mode, align_corners) -> None:
    if not isinstance(mode, str) or mode not in _MODE_AXES:
        also = (" ('lanczos' needs antialias=True, which nn.Upsample cannot pass)"
                if mode == "lanczos" else "")
        raise LayerArgumentError(f"Upsample: `mode` must be one of "
                                 f"{', '.join(repr(m) for m in _MODE_AXES)}{also}. "
                                 f"Received: mode={brief(mode)}")
    if mode not in _INTERPOLATING and align_corners is not None:
        raise LayerArgumentError(f"Upsample: `align_corners` can only be set with the "
                                 f"interpolating modes ({', '.join(_INTERPOLATING)}); PyTorch "
                                 f"refuses it with mode={brief(mode)}, even False. Received: "
                                 f"align_corners={brief(align_corners)}")
    if align_corners is not None and not isinstance(align_corners, bool):
        raise LayerArgumentError(f"Upsample: `align_corners` must be True, False or None. "
                                 f"Received: align_corners={brief(align_corners)}")


def _factor(value) -> float:
    """A scale factor as PyTorch uses it: a positive, finite double."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            factor = float(value)
        except OverflowError:  # an int too large for a double
            factor = math.inf
        if factor > 0 and math.isfinite(factor):
            return factor
    raise LayerArgumentError(f"Upsample: `scale_factor` must be a positive number (a finite "
                             f"double). Received: scale_factor={brief(value)}")


def _scaled(size, factor: float):
    """PyTorch's output size for ``size`` elements scaled by ``factor``: ``floor`` of the
    double-precision product, or its proven closed form for a symbolic size."""
    size = sympy.sympify(size)
    if size.is_Integer:
        product = float(int(size)) * factor
        if not math.isfinite(product):
            raise ShapeError(f"scaling {size} elements by {brief(factor)} overflows a double. "
                             f"Received: scale_factor={brief(factor)}")
        return sympy.Integer(math.floor(product))
    rational = _closed_form(factor)
    if rational is None:
        names = ", ".join(sorted(str(s) for s in size.free_symbols))
        raise ShapeError(f"PyTorch's size for {size} elements scaled by {brief(factor)} is "
                         f"floor({size}*{brief(factor)}) with the product rounded in double "
                         f"precision, and no closed form floor(r*{size}) is proven to equal "
                         f"it for every size up to 2**40 (the rounding decides some sizes); "
                         f"substitute a number for {names} {SUBS_HINT}, or use a factor "
                         f"such as 0.5, 1.5 or 1/3. Received: scale_factor={brief(factor)}")
    num, den = rational.p, rational.q
    return arith.floor_div(sympy.expand(size * num), den)


#: The sizes for which a symbolic closed form ``floor(r*H)`` is proven to be PyTorch's
#: ``floor(float(H) * f)``: every ``H`` whose input and output are at most this many
#: elements (2**40, about 1.1e12).
EXACT_UP_TO = 2**40


@functools.lru_cache(maxsize=256)
def _closed_form(factor: float):
    """The rational ``r`` (a SymPy Rational) with ``floor(n*r) == floor(float(n)*factor)``
    for every ``n`` with ``n <= EXACT_UP_TO`` and ``n*factor <= EXACT_UP_TO``, the one with
    the smallest denominator among the double's exact value and its best approximations
    with denominators up to 10**9; None when none is proven.

    >>> [_closed_form(f) for f in (2.0, 1.5, 1/3, 0.1, 0.29)]
    [2, 3/2, 1/3, 1/10, None]
    """
    exact = Fraction(factor)
    candidates = {exact} | {exact.limit_denominator(10**k) for k in range(1, 10)}
    bound = EXACT_UP_TO if exact <= 1 else int(EXACT_UP_TO / exact)
    for r in sorted(candidates, key=lambda c: (c.denominator, c.numerator)):
        if r > 0 and _agrees(factor, exact, r, bound):
            return sympy.Rational(r.numerator, r.denominator)
    return None


def _agrees(factor: float, exact: Fraction, r: Fraction, bound: int) -> bool:
    """Whether ``floor(float(n) * factor) == floor(n*r)`` for every ``1 <= n <= bound``
    (``exact`` is the double ``factor`` as a fraction), proven as follows.

    Let ``p/q = r``, ``d = |exact - r|``. The double product is ``n*exact`` rounded to
    nearest, off by at most ``n*exact*2**-53`` (half an ulp; ``2**-1075`` below the normal
    range), so it is within ``n*c + 2**-1075`` of ``n*r``, ``c = exact*2**-53 + d``. Where
    ``q`` does not divide ``n``, ``n*r`` is at least ``1/q`` from every integer, so both
    floors agree if ``bound*c + 2**-1075 < 1/q`` (which also keeps every product below
    ``2**53``, where integers are doubles). Where ``n = q*j``, ``n*r = p*j = k`` is an
    integer and the product must not round below it: nothing to check when ``exact >= r``;
    otherwise the product is ``k - j*q*d``, which rounds to ``k`` while ``j*q*d`` is at most
    half the spacing of doubles below ``k``. That spacing is constant for ``k`` strictly
    inside ``[2**E, 2**(E + 1))`` and ``j*q*d`` grows with ``j``, so the largest such ``j``
    (a tie rounds to even there, decided by the product itself) settles all of them; ``k =
    2**E``, where the spacing below halves, is checked itself.
    """
    p, q = r.numerator, r.denominator
    c = exact / 2**53 + abs(exact - r)
    if (bound * c + Fraction(1, 2**1075)) * q >= 1:
        return False
    if exact >= r:
        return True
    top_j = bound // q

    def holds(j: int) -> bool:
        return math.floor(float(q * j) * factor) == p * j

    e = 0
    while 2**e <= p * top_j:
        low, high = 2**e, 2**(e + 1)
        j = min(top_j, (high - 1) // p)  # the largest j with p*j inside the binade
        if p * j > low and not holds(j):
            return False
        if low % p == 0 and low // p <= top_j and not holds(low // p):
            return False
        e += 1
    return True
