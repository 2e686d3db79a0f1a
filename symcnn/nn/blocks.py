"""Pieces of modern PyTorch blocks that no ``torch.nn`` module is: a learned tensor read in
``forward`` (ViT's position embedding, ConvNeXt's layer scale), a size assertion
(``torch._assert(h == 224)``), padding to a multiple and strided slices (Swin's patch merging),
shifted-window attention (Swin) and ``torch.einsum`` of two tensors (MaxViT's attention).

:func:`~symcnn.interop.torch.from_torch` builds them; they can be written by hand too. Shapes
are without the batch axis, as everywhere in symcnn.

>>> from symcnn import nn, Input, Model
>>> x = Input((197, 768))
>>> y = nn.ParameterAdd((1, 197, 768), name="pos_embedding")(x)
>>> Model(x, y).params, Model(x, y).macs
(151296, 0)
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from .. import arith
from ..errors import LayerArgumentError, ShapeError, brief
from ..formulas import prod
from ..layers.base import Checker, Layer, format_shape
from ..layers.layout import order_unknown, reads_cuts, sliced, stepped
from ..layers.saved import NOTHING
from ..derivation.blocks import dim_names, sym
from ..working import Ceiling, Minus, Over, Plus, Times
from ._base import slice_bound, slice_position
from ..symbols import as_size

__all__ = ["ParameterAdd", "ParameterMul", "SizeAssert", "PadToMultiple", "StridedSlice",
           "ShiftedWindowAttention", "Einsum"]

ZERO = sympy.Integer(0)


def _ints(owner: str, value, arg: str, minimum: int = 1) -> tuple:
    ok = isinstance(value, (tuple, list)) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value)
    if not ok:
        raise LayerArgumentError(f"{owner}: `{arg}` must be a tuple of integers >= {minimum}. "
                                 f"Received: {arg}={brief(value)}")
    return tuple(value)


class _ParameterOp(Layer):
    """``x op p`` for a learned tensor ``p`` of a fixed ``shape`` that broadcasts to ``x``
    (PyTorch's rule, aligned on the last axis; a leading batch axis of size 1 is allowed):
    ``prod(shape)`` parameters, the input's shape, no MACs (element-wise)."""

    op = "?"

    def __init__(self, shape, learned=None, name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        shape = _ints(self.type_name, shape, "shape")
        if learned is not None and (not isinstance(learned, int) or isinstance(learned, bool)
                                    or learned < 1):
            raise LayerArgumentError(f"{self.type_name}: `learned` must be a positive integer "
                                     f"(the learned values behind the tensor) or None. "
                                     f"Received: learned={brief(learned)}")
        self._set(shape=shape)
        if learned is not None:
            self._set(learned=learned)

    def output_shape_for(self, shape, check: Checker):
        own = self.shape
        if len(own) == len(shape) + 1 and own[0] == 1:
            own = own[1:]  # the batch axis
        if len(own) > len(shape):
            raise ShapeError(f"a parameter of shape {self.shape} does not broadcast to inputs "
                             f"of shape {format_shape(shape)}. Received: shape={self.shape}")
        for axis, size in zip(range(len(shape) - len(own), len(shape)), own):
            if size != 1:
                check.equal(shape[axis], size, lambda: (
                    f"a parameter of shape {self.shape} needs {size} on axis {axis + 1} of the "
                    f"input (PyTorch's broadcasting). Received: input shape "
                    f"{format_shape(shape)}"))
        return shape

    def params_for(self, shape):
        """``prod(shape)``, or ``learned`` when the tensor is gathered from a smaller table
        (MaxViT's relative position bias: a ``(169, heads)`` table read as ``(heads, 49, 49)``)."""
        learned = getattr(self, "learned", None)
        return sympy.Integer(prod(self.shape) if learned is None else learned), ZERO

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Element-wise: no multiply-accumulates (as PyTorch's FlopCounterMode)."""
        return ZERO

    def window_for(self, input_shape):
        return (None,) * len(input_shape)


class ParameterAdd(_ParameterOp):
    """``x + p``: a learned tensor added to the input (ViT's ``pos_embedding``).

    >>> from symcnn import nn, Input
    >>> nn.ParameterAdd((1, 197, 768))(Input(("N", 768))).node.constraints
    (Eq(N, 197),)
    """

    op = "add"


class ParameterMul(_ParameterOp):
    """``p * x``: a learned tensor multiplying the input (ConvNeXt's ``layer_scale`` of shape
    ``(C, 1, 1)``, one factor per channel).

    >>> from symcnn import nn, Input
    >>> nn.ParameterMul((96, 1, 1))(Input((96, "H", "W"))).shape
    (96, H, W)
    """

    op = "mul"


class SizeAssert(Layer):
    """Passes its input through and requires ``lhs == rhs`` (``torch._assert(h == 224, ...)``):
    a false condition is an error with ``message``, an undecided one a constraint.

    >>> import symcnn as sc
    >>> H = sc.symbols("H")
    >>> sc.nn.SizeAssert(H, 224, "Wrong image height!")(sc.Input((3, H, H))).node.constraints
    (Eq(H, 224),)
    """

    def __init__(self, lhs, rhs, message: str = "", name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        # sizes, read as every layer reads them: text is a symbol's name, never evaluated
        self._set(lhs=as_size(lhs, "lhs", self.type_name),
                  rhs=as_size(rhs, "rhs", self.type_name), message=str(message))

    def output_shape_for(self, shape, check: Checker):
        check.equal(self.lhs, self.rhs, lambda: f"{_sentence(self.message)} "
                    f"Received: {self.lhs} != {self.rhs}")
        return shape

    def window_for(self, input_shape):
        return (None,) * len(input_shape)


class PadToMultiple(Layer):
    """Zero-pads the end of ``axes`` (0 is the first axis after the batch axis; negative
    counts from the end) up to a multiple of ``multiples`` (Swin's patch merging pads H and W
    to even sizes): each size ``n`` becomes ``m*ceiling(n/m)``.

    >>> from symcnn import nn, Input
    >>> nn.PadToMultiple((2, 2), axes=(-3, -2))(Input(("H", "W", 96))).shape
    (2*ceiling(H/2), 2*ceiling(W/2), 96)
    """

    def __init__(self, multiples, axes, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        multiples = _ints(self.type_name, multiples, "multiples")
        axes = _ints(self.type_name, axes, "axes", minimum=-64)
        if len(axes) != len(multiples):
            raise LayerArgumentError(f"{self.type_name}: one multiple per axis. "
                                     f"Received: multiples={multiples}, axes={axes}")
        self._set(multiples=multiples, axes=axes)

    def output_shape_for(self, shape, check: Checker):
        out = list(shape)
        for axis, m in zip(self.axes, self.multiples):
            if not -len(shape) <= axis < len(shape):
                raise ShapeError(f"axis {axis} is out of range for inputs of rank {len(shape)}. "
                                 f"Received: axes={self.axes}")
            out[axis] = m * arith.ceil_div(shape[axis], m)
        return tuple(out)

    def window_for(self, input_shape):
        return None

    def derivation_for(self, b, input_shapes, output_shape):
        """``M*ceiling(N/M)`` for each padded dim (numbered as PyTorch numbers them)."""
        shape, M = input_shapes[0], sym("M")
        for axis, m in zip(self.axes, self.multiples):
            N, key = dim_names(axis % len(shape))
            b.add(key, Times(M, Ceiling(Over(N, M))), {N: shape[axis], M: m},
                  output_shape[axis])
        b.note("Zeros are added at the end of each padded dim, up to the next multiple (M).")
        return sympy.Integer(0), {}


def _nonzero(size) -> bool | None:
    """Whether an integer closed form is not 0: True, False, or None where that depends on
    the symbols."""
    if size.is_Integer:
        return size != 0
    for sign in (1, -1):
        try:
            if arith.require_at_least(sign * size, 1) is None:
                return True
        except arith.Infeasible:
            pass
    return None


class StridedSlice(Layer):
    """``x[..., a:b:s, ...]``: one ``(start, stop, step)`` per axis (None: open end or step 1),
    bounds as :class:`~symcnn.nn.Slice` takes them (negative from the end, size expressions)
    and a positive step. The size of an axis ``n`` becomes ``ceiling((end - begin)/step)``
    with the bounds placed and clipped as Python and PyTorch place them (``ceiling((min(stop,
    n) - start)/step)`` for non-negative ones); where that depends on the symbols, the
    unclipped closed form holds and the model records its condition (``n >= stop``). An
    empty slice is an error. Messages number axes as PyTorch does (dim 0 is the batch axis).

    >>> from symcnn import nn, Input
    >>> nn.StridedSlice(((0, None, 2), (1, None, 2), (None, None, None)))(Input((8, 7, 3))).shape
    (4, 3, 3)
    >>> nn.StridedSlice(((None, None, None), (None, 100, 2)))(Input((3, 8, 8))).shape
    (3, 4, 8)
    """

    def __init__(self, slices, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        try:
            if not isinstance(slices, (tuple, list)) or not all(
                    isinstance(s, (tuple, list)) and len(s) == 3 for s in slices):
                raise ValueError
            triples = tuple(tuple(slice_bound(v) for v in s) for s in slices)
            if any(not (step is None or isinstance(step, int) and step > 0)
                   for _, _, step in triples):
                raise ValueError
        except ValueError:
            raise LayerArgumentError(f"{self.type_name}: `slices` must be (start, stop, step) "
                                     f"triples, one per axis: bounds as ints, integer size "
                                     f"expressions or None, a positive int step or None. "
                                     f"Received: slices={brief(slices)}") from None
        self._set(slices=triples)

    output_is_view = True  # a strided slice is a view of its input's storage

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Nothing: PyTorch's slice backward needs only the sizes."""
        return NOTHING

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The input's memory with gaps (symcnn axes, batch 0), as PyTorch's strides say:

        * an axis of ``n`` elements sliced to ``m`` with step ``s`` no longer fits under
          the axis above it in memory unless ``n == s*m`` (``::2`` of an even size does);
        * a step over 1 leaves gaps under the axis, so the axis stored right under it no
          longer fits either; on the axis stored innermost the layout is
          :class:`~symcnn.layers.layout.Stepped` (not contiguous, though a reshape may
          still be a view);
        * an axis of size 1 is left as it is, whatever its slice.

        Not stated where that depends on the symbols (``::2`` of ``H`` rows: a gap for odd
        ``H`` only), nor for a step over 1 on an axis with a gap already (cut short before,
        or stored right under a stepped axis), whose memory extent the layout does not
        record (``x[:, :5][:, ::2]`` fits under the batch axis for 6 rows, not for 7).

        Of a tensor whose order in memory is not known (not stated, as for a
        concatenation, or a crop of one) or not relied on (computed from the model's input
        alone), a :class:`~symcnn.layers.layout.Cut`: the same gaps on the sliced axes (that
        tensor taken as dense, as every tensor PyTorch computes is), and each axis read with
        a step recorded as stepped, in place of a gap on the axis stored under it. A step
        over 1 on an axis cut short before drops that axis' gap (it may fit again) and keeps
        the rest.

        >>> import symcnn as sc
        >>> x = sc.Input((3, 7, 8))
        >>> both = sc.Concatenate(axis=1)([sc.nn.Conv2d(3, 2, 1)(x), sc.nn.Conv2d(3, 2, 1)(x)])
        >>> crop = StridedSlice(((1, None, None), (None, None, 3)))(both)
        >>> m = sc.Model(x, sc.nn.Linear(8, 2)(crop))
        >>> m.training_memory(batch="B").activations   # the input, the crop's copy
        960*B
        """
        layout, shape, out = input_layouts[0], input_shapes[0], output_shapes[0]
        unknown = layout is None or order_unknown(layout)  # the order is not relied on
        below = {} if unknown else dict(zip(layout.order, layout.order[1:]))  # stored right under
        cut = frozenset() if layout is None else layout.gaps
        gaps, steps, steps_innermost, forgotten = set(), set(), False, set()
        for axis, (n, m, (_, _, step)) in enumerate(zip(shape, out, self.slices)):
            step, n, a = step or 1, sympy.sympify(n), axis + 1
            if n == 1:
                continue
            spare = _nonzero(sympy.expand(n - step * m))
            if step > 1 and a in cut and m != 1 and unknown:
                forgotten.add(a)  # whether it fits again depends on its length before
                steps.add(a)
                continue
            if spare is None or step > 1 and (a in cut and m != 1
                                              or not arith.prove_nonnegative(n - 2)):
                return (None,)
            if spare:
                gaps.add(a)
            if step > 1 and unknown:
                steps.add(a)
            elif step > 1 and a in below:
                gaps.add(below[a])
            elif step > 1:
                steps_innermost = True
        if unknown:
            kept = layout if layout is None else replace(layout, gaps=layout.gaps - forgotten)
            return (sliced(kept, sorted(gaps), steps=sorted(steps)),)
        out_layout = sliced(layout, sorted(gaps))
        return (stepped(out_layout) if steps_innermost else out_layout,)

    def output_shape_for(self, shape, check: Checker):
        if len(self.slices) > len(shape):
            raise ShapeError(f"has {len(self.slices)} slices for an input of rank {len(shape)} "
                             f"(batch axis left out). Received: slices={brief(self.slices)}")
        out = []
        for axis, (size, (start, stop, step)) in enumerate(zip(shape, self.slices)):
            begin = slice_position(size, start, 0, check)
            end = slice_position(size, stop, size, check)
            length = arith.ceil_div(sympy.expand(end - begin), step or 1)
            check.at_least(length, 1, lambda: f"the slice of dim {axis + 1} would be empty "
                           f"({size} elements there). Received: slices={brief(self.slices)}")
            out.append(length)
        return (*out, *shape[len(self.slices):])

    def window_for(self, input_shape):
        return None

    def derivation_for(self, b, input_shapes, output_shape):
        """``ceiling((E - B)/S)`` for each sliced dim: its end ``E`` (the size when open)
        and begin ``B`` placed as :meth:`output_shape_for` places them, step ``S``."""
        shape, check = input_shapes[0], Checker()
        B, E, S = sym("B"), sym("E"), sym("S")
        for axis, (size, (start, stop, step)) in enumerate(zip(shape, self.slices)):
            if start is None and stop is None and step in (None, 1):
                continue  # the whole dim
            N, key = dim_names(axis)
            bind = {N: size}
            span = N
            if stop is not None:
                span, bind[E] = E, slice_position(size, stop, size, check)
            if start is not None:
                span, bind[B] = Plus(span, Minus(B)), slice_position(size, start, 0, check)
            if step not in (None, 1):
                span, bind[S] = Ceiling(Over(span, S)), step
            b.add(key, span, bind, output_shape[axis])
        b.note("A slice x[B:E:S] keeps every S-th element from B up to E; a bound past the "
               "end stops at the end, and a negative one counts from the end, as in Python.")
        return sympy.Integer(0), {}


class ShiftedWindowAttention(Layer):
    """Swin's (shifted) window attention on ``(H, W, C)`` (channels last, as Swin keeps them):
    the map is padded to multiples of the window, cut into windows of ``N = w0*w1`` tokens,
    and each window runs ``num_heads``-head self-attention with a learned relative position
    bias; the shift rolls the map first and only changes a mask.

    Parameters: the ``qkv`` and ``proj`` projections (``3*C**2 + C**2``, plus ``3*C + C``
    biases) and the bias table, ``(2*w0 - 1)*(2*w1 - 1)*num_heads``. MACs over the padded
    map ``Hp*Wp`` (``Hp = w0*ceiling(H/w0)``): ``Hp*Wp*(4*C**2 + 2*N*C)``, the projections
    plus ``Q K^T`` and the weighted sum, as FlopCounterMode counts them.

    Swin V2 computes the bias with a small MLP on fixed coordinates and scales cosine
    attention by a learned ``logit_scale`` (``num_heads`` values): ``bias_params`` and
    ``bias_macs`` then replace the table's count and add the MLP's MACs (one run per call,
    whatever the input size), and ``logit_scale=True`` adds ``num_heads`` parameters.

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 96))
    >>> m = sc.Model(x, sc.nn.ShiftedWindowAttention(96, (7, 7), 3, (3, 3))(x))
    >>> m.params, m.macs
    (37755, 2267328*ceiling(H/7)*ceiling(W/7))
    """

    def __init__(self, dim, window_size, num_heads, shift_size=(0, 0), qkv_bias: bool = True,
                 proj_bias: bool = True, bias_params=None, bias_macs=0,
                 logit_scale: bool = False, name: str | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        t = self.type_name
        for arg, value in (("bias_params", bias_params), ("bias_macs", bias_macs)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 0):
                raise LayerArgumentError(f"{t}: `{arg}` must be a non-negative integer. "
                                         f"Received: {arg}={brief(value)}")
        self._set(bias_params=bias_params, bias_macs=bias_macs,
                  logit_scale=self._flag(logit_scale, "logit_scale"))
        self._set(dim=self._size(dim, "dim"),
                  window_size=_ints(t, window_size, "window_size"),
                  num_heads=self._size(num_heads, "num_heads"),
                  shift_size=_ints(t, shift_size, "shift_size", minimum=0),
                  qkv_bias=self._flag(qkv_bias, "qkv_bias"),
                  proj_bias=self._flag(proj_bias, "proj_bias"))

    def output_shape_for(self, shape, check: Checker):
        self._expect_rank(shape, 3, "height, width, channels")
        check.equal(shape[-1], self.dim, lambda: f"`dim` is {self.dim} but the input has "
                    f"{shape[-1]} channels. Received: dim={self.dim}")
        check.divisible(self.dim, self.num_heads, lambda: f"`dim` ({self.dim}) must be a "
                        f"multiple of `num_heads`. Received: num_heads={self.num_heads}")
        return shape

    def params_formula(self, shape):
        """``4*C**2`` projection weights (``3*C**2`` qkv, ``C**2`` proj), ``3*C + C`` biases,
        the bias table ``(2*M_h - 1)*(2*M_w - 1)*h`` (or ``B``, Swin V2's bias MLP) and ``h``
        with ``logit_scale``; ``params_for`` takes its value, the derivation its working."""
        C, h = sym("C"), sym("h")
        terms, bind = [Times(4, C**2)], {C: self.dim, h: self.num_heads}
        terms += [Times(3, C)] * int(self.qkv_bias) + [C] * int(self.proj_bias)
        if self.bias_params is None:
            Mh, Mw = sym("M_h"), sym("M_w")
            bind.update({Mh: self.window_size[0], Mw: self.window_size[1]})
            terms.append(Times(Plus(Times(2, Mh), Minus(1)), Plus(Times(2, Mw), Minus(1)), h))
        else:
            terms.append(sym("B"))
            bind[sym("B")] = self.bias_params
        return Plus(*terms, *[h] * int(self.logit_scale)), bind

    def derivation_for(self, b, input_shapes, output_shape):
        b.note("Four projections of width C (query, key and value, then the output), with "
               "their biases, and a table of learned biases: one per head (h) for each "
               "relative position of two tokens in a window." if self.bias_params is None
               else "Four projections of width C (query, key and value, then the output), "
               "with their biases, and the MLP that computes the position bias (B).")
        if any(self.shift_size):
            b.note("The shift moves only the attention mask: it adds no parameters.")
        return self.params_formula(input_shapes[0])

    def padded(self, shape) -> tuple:
        """``(Hp, Wp)``: the map padded to multiples of the window."""
        return tuple(w * arith.ceil_div(n, w) for n, w in zip(shape[:2], self.window_size))

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """``Hp*Wp*(4*C**2 + 2*N*C)``: projections, ``Q K^T`` and the weighted sum."""
        hp, wp = self.padded(input_shapes[0])
        c, tokens = self.dim, prod(self.window_size)
        return sympy.expand(hp * wp * (4 * c ** 2 + 2 * tokens * c) + self.bias_macs)

    def window_for(self, input_shape):
        return None


class Einsum(Layer):
    """``torch.einsum(equation, a, b)`` of two tensors that contracts indices (attention's
    ``Q K^T`` and weighted sum): the first index of every operand and of the result is the
    batch axis; every other index is in the result or in both operands. MACs: the product
    of the sizes of all indices (one multiply-accumulate per term of the sum, as PyTorch's
    FlopCounterMode counts the batched matrix product it runs).

    >>> import symcnn as sc
    >>> q, k = sc.Input(("G", 2, 49, 32)), sc.Input(("G", 2, 49, 32))
    >>> y = sc.nn.Einsum("BGHID,BGHJD->BGHIJ")([q, k])
    >>> y.shape, sc.Model([q, k], y).macs
    ((G, 2, 49, 49), 153664*G)
    """

    n_inputs = None

    def __init__(self, equation: str, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        text = equation.replace(" ", "") if isinstance(equation, str) else ""
        operands, _, result = text.partition("->")
        parts = operands.split(",")
        ok = len(parts) == 2 and result and all(p.isalpha() for p in (*parts, result)) and all(
            len(set(p)) == len(p) for p in (*parts, result))
        ok = ok and len({p[0] for p in (*parts, result)}) == 1 and all(
            c in result or all(c in p for p in parts) for p in parts for c in p)
        if not ok:
            raise LayerArgumentError(
                f"{self.type_name}: `equation` must be 'a,b->c' for two operands, letters only, "
                f"the batch index first everywhere, every index in the result or in both "
                f"operands. Received: equation={brief(equation)}")
        self._set(equation=text)

    def _letters(self):
        operands, _, result = self.equation.partition("->")
        return [p[1:] for p in operands.split(",")], result[1:]

    def _sizes(self, shapes, check: Checker) -> dict:
        parts, _ = self._letters()
        sizes: dict = {}
        for part, shape in zip(parts, shapes):
            if len(part) != len(shape):
                raise ShapeError(f"operand '{part}' needs rank {len(part)} (without the batch "
                                 f"axis). Received: shape {format_shape(shape)}")
            for letter, size in zip(part, shape):
                if letter in sizes:
                    check.equal(sizes[letter], size, lambda: f"index {letter} has two sizes. "
                                f"Received: {sizes[letter]} and {size}")
                else:
                    sizes[letter] = size
        return sizes

    def output_shape_for(self, shapes, check: Checker):
        if len(shapes) != 2:
            raise ShapeError(f"expects 2 operands. Received: {len(shapes)}")
        sizes = self._sizes(shapes, check)
        return tuple(sizes[letter] for letter in self._letters()[1])

    def params_for(self, shapes):
        return ZERO, ZERO

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """The product of the sizes of every index."""
        return sympy.expand(prod(self._sizes(input_shapes, Checker()).values()))

    def window_for(self, input_shape):
        return None


def _sentence(message: str) -> str:
    """A size assertion's message as a sentence of the error (its own full stop kept).

    >>> _sentence(""), _sentence("wrong size"), _sentence("wrong size!")
    ('size assertion failed.', 'wrong size.', 'wrong size!')
    """
    text = message.strip() or "size assertion failed"
    return text if text[-1] in ".!?" else f"{text}."
