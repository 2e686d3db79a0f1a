"""Reshaping layers: Flatten, Reshape, Permute, ZeroPadding, Cropping, UpSampling.

>>> import symcnn as sc
>>> sc.Flatten()(sc.Input((2, 1, 80))).shape
(160,)
>>> sc.ZeroPadding2D(3)(sc.Input(("H", "W", 3))).shape
(H + 6, W + 6, 3)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import arith, formulas
from ..derivation import blocks as d
from ..derivation.blocks import sym
from ..errors import LayerArgumentError, brief
from ..windows import NotAWindow, Upsampled, Whole, Window
from ..working import Minus, Over, Plus, Times
from .base import Checker, Layer, format_shape
from .layout import (contiguous, is_cut, order_unknown, permuted, reads_cuts, sliced,
                     unordered_reshape_copy)
from .saved import NOTHING
from .spatial import PADDING_MODES, SpatialLayer, join_channels, split_channels
from .views import reshape_copy, reshaped

__all__ = [
    "Flatten", "Reshape", "Permute",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
]


class Flatten(Layer):
    """Flattens everything but the batch axis (Keras ``Flatten``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Flatten()])
    >>> m.output_shape, m.params
    ((3*H*W,), 0)
    >>> sc.Sequential([sc.Input((7, 7, 64)), sc.Flatten()]).output_shape
    (3136,)
    """

    def __init__(self, data_format=None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if data_format is not None:
            self._set(data_format=self._choice(data_format, "data_format",
                                               ("channels_last", "channels_first")))

    def output_shape_for(self, shape, check: Checker):
        return (sympy.expand(formulas.prod(shape)),)

    def window_for(self, input_shape):
        """Positions stop being spatial: each output reads the whole input."""
        return (Whole(keeps_axis=False),) * len(input_shape)

    def derivation_for(self, b, input_shapes, output_shape):
        # Flatten does not know the layout: the PyTorch-named layers are channels first.
        first = getattr(self, "data_format", None) == "channels_first" or \
            type(self).__module__.startswith("symcnn.nn")
        names = d.input_names(len(input_shapes[0]), first)
        formula = Times(*names) if len(names) > 1 else names[0]
        b.add("N_out", formula, dict(zip(names, input_shapes[0])), output_shape[0])
        return sympy.Integer(0), {}

    output_is_view = True  # PyTorch's reshape: a view where it can be one (symcnn.layers.saved)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        return NOTHING

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """PyTorch's reshape: contiguous for a contiguous input (a view of it) and where it
        copies (after a transpose); the view's layout otherwise (:func:`~symcnn.layers.
        views.reshaped`); not stated where that depends on the sizes or is unknown. Of a
        :class:`~symcnn.layers.layout.Cut`, contiguous where it copies at every size
        (:meth:`output_copy_for`), else not stated."""
        layout, shape, new_shape = input_layouts[0], input_shapes[0], output_shapes[0]
        if is_cut(layout):
            batch = sympy.Integer(2)  # the batch axis is never merged: any size will do
            copies = unordered_reshape_copy(layout, (batch, *shape), (batch, *new_shape)) == 1
            return (contiguous(len(new_shape) + 1) if copies else None,)
        return (reshaped(layout, shape, new_shape),)

    @reads_cuts
    def output_copy_for(self, input_layouts, input_shapes, output_shapes, batch):
        """1 where PyTorch's reshape copies the input (its axes to merge are not stored one
        inside the other: after a transpose), 0 where the output is a view of it. A view
        where the input's layout is not known. Where only its axes cut short are known (a
        :class:`~symcnn.layers.layout.Cut`, or an input that requires no gradient, computed
        from the model's input alone, whose order ``to_torch`` gives channels first), a copy
        where it copies whatever the order (it merges a crop of both spatial axes:
        :func:`~symcnn.layers.layout.unordered_reshape_copy`), a view elsewhere."""
        layout = input_layouts[0]
        if layout is None:
            return sympy.Integer(0)
        sizes, new_sizes = (batch, *input_shapes[0]), (batch, *output_shapes[0])
        if order_unknown(layout):
            return unordered_reshape_copy(layout, sizes, new_sizes)
        return reshape_copy(layout, sizes, new_sizes)


class Reshape(Layer):
    """Reshape to ``target_shape`` (Keras ``Reshape``); one entry may be -1.

    >>> import symcnn as sc
    >>> sc.Reshape((-1, 8))(sc.Input((4, 4, 16))).shape
    (32, 8)
    """

    def __init__(self, target_shape, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(target_shape, (tuple, list)) or not target_shape:
            raise LayerArgumentError(
                f"Reshape: `target_shape` must be a non-empty tuple. "
                f"Received: target_shape={brief(target_shape)}"
            )
        if sum(1 for d in target_shape if d == -1 and not isinstance(d, bool)) > 1:
            raise LayerArgumentError(
                f"Reshape: at most one entry of `target_shape` may be -1. "
                f"Received: target_shape={brief(target_shape)}"
            )
        dims = tuple(d if (isinstance(d, int) and d == -1 and not isinstance(d, bool))
                     else self._size(d, "target_shape") for d in target_shape)
        self._set(target_shape=dims)

    def output_shape_for(self, shape, check: Checker):
        total = sympy.expand(formulas.prod(shape))
        known = sympy.expand(formulas.prod(d for d in self.target_shape if d != -1))
        message = (f"cannot reshape an input of {total} elements (shape {format_shape(shape)}) "
                   f"to target_shape. Received: target_shape={format_shape(self.target_shape)}")
        if -1 in self.target_shape:
            check.divisible(total, known, message)
            missing = sympy.expand(arith.floor_div(total, known)) if known.is_Integer else \
                sympy.cancel(total / known)
            return tuple(missing if d == -1 else d for d in self.target_shape)
        check.equal(total, known, message)
        return self.target_shape

    def window_for(self, input_shape):
        """Not a window: positions are rearranged."""
        return None

    def derivation_for(self, b, input_shapes, output_shape):
        if -1 in self.target_shape:
            N, G = sym("N_in"), sym("N_given")  # the product of the given sizes
            known = formulas.prod(x for x in self.target_shape if x != -1)
            b.add("N_out", Over(N, G), {N: sympy.expand(formulas.prod(input_shapes[0])),
                                        G: known},
                  output_shape[list(self.target_shape).index(-1)])
            b.note("The -1 entry takes what is left: all input elements over the given sizes.")
        return sympy.Integer(0), {}

    output_is_view = True
    saved_for_backward = Flatten.saved_for_backward
    layout_for = Flatten.layout_for
    output_copy_for = Flatten.output_copy_for


class Permute(Layer):
    """Permute the non-batch axes (Keras ``Permute``); ``dims`` counts from 1.

    >>> import symcnn as sc
    >>> sc.Permute((3, 1, 2))(sc.Input(("H", "W", 3))).shape
    (3, H, W)
    """

    def __init__(self, dims, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        ok = isinstance(dims, (tuple, list)) and all(  # ints only: not 1.0, True, "a", symbols
            type(d) is int for d in dims) and sorted(dims) == list(range(1, len(dims) + 1))
        if not ok:
            raise LayerArgumentError(
                f"Permute: `dims` must be a permutation of 1..rank. Received: dims={brief(dims)}"
            )
        self._set(dims=tuple(dims))

    def output_shape_for(self, shape, check: Checker):
        self._expect_rank(shape, len(self.dims), "as many axes as `dims`")
        return tuple(shape[d - 1] for d in self.dims)

    def window_for(self, input_shape):
        """Not a window: axes are exchanged."""
        return None

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The input's memory, its axes renumbered (PyTorch's ``permute`` is a view)."""
        return (permuted(input_layouts[0], self.dims),)

    def derivation_for(self, b, input_shapes, output_shape):
        return sympy.Integer(0), {}

    output_is_view = True
    saved_for_backward = Flatten.saved_for_backward


class _PerAxisPairs(SpatialLayer):
    """Layers whose argument is an amount per spatial axis and side."""

    arg_name = "padding"
    saved_for_backward = Flatten.saved_for_backward  # paddings and crops keep nothing

    def _pairs(self, value: Any) -> tuple:
        rank, arg = self.rank, self.arg_name
        if isinstance(value, str) and value.lower() in PADDING_MODES:
            raise LayerArgumentError(  # not a symbol named "same"
                f"{self.type_name}: `{arg}` is an amount per side (an int, a tuple of {rank} "
                f"or (before, after) pairs), not a padding mode. Received: {arg}={brief(value)}")
        if isinstance(value, (tuple, list)):
            if len(value) == 2 and rank == 1 and not isinstance(value[0], (tuple, list)):
                return (tuple(self._sizes(value, 2, arg, minimum=0)),)
            if len(value) != rank:
                raise LayerArgumentError(
                    f"{self.type_name}: `{arg}` must be an int, a tuple of {rank} ints or of "
                    f"{rank} (before, after) pairs. Received: {arg}={brief(value)}"
                )
            pairs = []
            for item in value:
                if isinstance(item, (tuple, list)):
                    pairs.append(tuple(self._sizes(item, 2, arg, minimum=0)))
                else:
                    p = self._size(item, arg, minimum=0)
                    pairs.append((p, p))
            return tuple(pairs)
        p = self._size(value, arg, minimum=0)
        return ((p, p),) * rank


class _ZeroPadding(_PerAxisPairs):
    def __init__(self, padding=1, data_format=None, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self._set(padding=self._pairs(padding), data_format=self._data_format(data_format))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        out = tuple(sympy.expand(i + a + b) for i, (a, b) in zip(spatial, self.padding))
        return join_channels(out, channels, self.data_format)


    def window_for(self, input_shape):
        """Output ``o`` reads ``o - p_before`` (a 1-wide window)."""
        return join_channels(tuple(Window(1, pad_before=p[0]) for p in self.padding),
                             NotAWindow(), self.data_format)

    def derivation_for(self, b, input_shapes, output_shape):
        def padded(axis, sub, X, bind):
            return Plus(X, *d.pad_terms(self.padding[axis], self.rank, axis, sub, bind))

        return _resize_steps(self, b, input_shapes[0], output_shape, padded)

class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps (Keras ``ZeroPadding1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 8)), sc.ZeroPadding1D((2, 0))]).output_shape
    (T + 2, 8)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, name: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, name=name, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Zeros around height and width (Keras ``ZeroPadding2D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("H", "W", 3)), sc.ZeroPadding2D(1)]).output_shape
    (H + 2, W + 2, 3)
    >>> sc.Sequential([sc.Input(("H", "W", 3)), sc.ZeroPadding2D(((0, 1), (2, 3)))]).output_shape
    (H + 1, W + 5, 3)
    """

    rank = 2


class ZeroPadding3D(_ZeroPadding):
    """Zeros around depth, height and width (Keras ``ZeroPadding3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 3)), sc.ZeroPadding3D(1)]).output_shape
    (D + 2, H + 2, W + 2, 3)
    """

    rank = 3


class _Cropping(_PerAxisPairs):
    arg_name = "cropping"
    output_is_view = True  # a slice of the input

    def __init__(self, cropping=0, data_format=None, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self._set(cropping=self._pairs(cropping), data_format=self._data_format(data_format))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        out = []
        for axis, (i, (a, b)) in enumerate(zip(spatial, self.cropping)):
            size = sympy.expand(i - a - b)
            check.at_least(size, 1, f"cropping removes the whole input along spatial axis "
                                    f"{axis} ({i} - {a} - {b} < 1). Received: cropping={(a, b)}")
            out.append(size)
        return join_channels(tuple(out), channels, self.data_format)

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The input's memory with a gap along each cropped axis (a slice is a view; a
        :class:`~symcnn.layers.layout.Cut` where the input's layout is not known); not
        stated where a crop's amount depends on the symbols."""
        totals = [sympy.expand(a + b) for a, b in self.cropping]
        if any(not t.is_Integer for t in totals):
            return (None,)
        first = 2 if self.data_format == "channels_first" else 1
        return (sliced(input_layouts[0], [first + axis for axis, t in enumerate(totals) if t]),)

    def window_for(self, input_shape):
        """Output ``o`` reads ``o + c_before`` (a 1-wide window)."""
        return join_channels(tuple(Window(1, pad_before=-c[0]) for c in self.cropping),
                             NotAWindow(), self.data_format)

    def derivation_for(self, b, input_shapes, output_shape):
        def cropped(axis, sub, X, bind):
            terms = d.pad_terms(self.cropping[axis], self.rank, axis, sub, bind, letter="Q")
            return Plus(X, *(Minus(t) for t in terms))

        return _resize_steps(self, b, input_shapes[0], output_shape, cropped)

class Cropping1D(_Cropping):
    """Crop steps (Keras ``Cropping1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 8)), sc.Cropping1D((1, 2))]).output_shape
    (T - 3, 8)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), data_format=None, name: str | None = None, **kwargs: Any):
        super().__init__(cropping, data_format, name=name, **kwargs)  # get_config has it


class Cropping2D(_Cropping):
    """Crop height and width (Keras ``Cropping2D``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Cropping2D(((2, 2), (4, 4)))])
    >>> m.output_shape, m.constraints
    ((H - 4, W - 8, 3), [H >= 5, W >= 9])
    """

    rank = 2


class Cropping3D(_Cropping):
    """Crop depth, height and width (Keras ``Cropping3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 3)), sc.Cropping3D(1)]).output_shape
    (D - 2, H - 2, W - 2, 3)
    """

    rank = 3


class _UpSampling(SpatialLayer):
    def __init__(self, size=2, data_format=None, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self._set(size=self._sizes(size, self.rank, "size"),
                  data_format=self._data_format(data_format))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        out = tuple(sympy.expand(i * f) for i, f in zip(spatial, self.size))
        return join_channels(out, channels, self.data_format)

    def window_for(self, input_shape):
        """Nearest-neighbour repeats each position ``size`` times; ``bilinear`` and the other
        interpolations read two or more neighbours: undefined there."""
        nearest = self._extra.get("interpolation", "nearest") == "nearest"
        return join_channels(tuple(Upsampled(f) if nearest else NotAWindow() for f in self.size),
                             NotAWindow(), self.data_format)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one operation per output element."""
        return formulas.elements(output_shape)

    def derivation_for(self, b, input_shapes, output_shape):
        def upsampled(axis, sub, X, bind):
            U = d.hp("U", sub)
            bind[U] = self.size[axis]
            return Times(X, U)

        return _resize_steps(self, b, input_shapes[0], output_shape, upsampled)

    saved_for_backward = Flatten.saved_for_backward


class UpSampling1D(_UpSampling):
    """Repeat each step ``size`` times (Keras ``UpSampling1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 8)), sc.UpSampling1D(3)]).output_shape
    (3*T, 8)
    """

    rank = 1

    def __init__(self, size=2, data_format=None, name: str | None = None, **kwargs: Any):
        super().__init__(size, data_format, name=name, **kwargs)  # get_config has it


class UpSampling2D(_UpSampling):
    """Repeat rows and columns (Keras ``UpSampling2D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("H", "W", 16)), sc.UpSampling2D(2)]).output_shape
    (2*H, 2*W, 16)
    >>> sc.Sequential([sc.Input(("H", "W", 16)), sc.UpSampling2D((2, 3))]).output_shape
    (2*H, 3*W, 16)
    """

    rank = 2


class UpSampling3D(_UpSampling):
    """Repeat along depth, height and width (Keras ``UpSampling3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 4)), sc.UpSampling3D(2)]).output_shape
    (2*D, 2*H, 2*W, 4)
    """

    rank = 3


def _resize_steps(layer, b, x, out, formula_of):
    """One ``X_out`` step per spatial axis, ``formula_of(axis, sub, X_in, bindings)``."""
    rank = layer.rank
    for axis, pos in enumerate(d.spatial_positions(rank, layer.data_format)):
        name, sub = d.AXES[rank][axis], d.SUBS[rank][axis]
        X = sym(f"{name}_in")
        bind = {X: x[pos]}
        formula = formula_of(axis, sub, X, bind)
        b.add(f"{name}_out", formula, bind, out[pos])
    return sympy.Integer(0), {}
