"""How PyTorch lays a tensor out in memory: the ``layout_for`` part of the layer protocol.

What a layer keeps for backward rarely depends on strides, with one exception that matters:
``nn.Linear`` (and Keras' ``Dense``, as :meth:`symcnn.Model.to_torch` builds it) on an input
of three or more axes, batch included, multiplies ``x.reshape(-1, K)`` by its weight when the
input requires a gradient, and keeps that matrix. Where the input's leading axes cannot be
merged into one without moving data, the reshape copies the input, and the copy is what is
kept: a new tensor, not the input (which the ReLU before may keep too). That happens after a
transpose (``Permute``), after a crop of a leading axis, and on the sequence output of a
recurrent layer or of ``MultiHeadAttention`` (PyTorch computes them time-major and returns a
transposed view), and element-wise layers carry it over (PyTorch allocates their output in
their input's memory order).

A :class:`Layout` describes one tensor over symcnn's axes (axis 0 the batch, then the axes of
its shape): ``order``, the axes from outermost to innermost in memory (``(0, 1, 2)`` is
contiguous, ``(1, 0, 2)`` time-major under a batch-first shape); ``gaps``, the axes that are
a slice of a longer axis (a crop); ``grad``, whether the tensor requires a gradient. A layer
states its outputs' layouts with

``layout_for(input_layouts, input_shapes, output_shapes) -> tuple[Layout | None, ...]``

(``grad`` as it comes: :func:`output_layouts` sets it). None is a layout not stated, the
default; nothing is decided from it (a ``Dense`` on such an input keeps its input, as before).
The layers that state one:

* a model's inputs: contiguous, no gradient;
* ``Dense``/``nn.Linear``, ``LayerNormalization``/``nn.LayerNorm``, ``Embedding``: contiguous;
* channels-first convolutions, poolings, paddings and upsamplings (PyTorch's own axes):
  contiguous for a contiguous input;
* ``Flatten`` and ``Reshape``: PyTorch's reshape, contiguous where it copies or its input is
  contiguous, else the view's layout; ``nn.Contiguous`` (``x.contiguous()``): contiguous
  (:mod:`symcnn.layers.views`, which also says where they copy their input);
* batch normalization: contiguous, or channels last for 4 or 5 axes stored so, over
  PyTorch's axes (channels second);
* ``Permute``: the permuted order; ``Cropping``: a gap on each cropped axis;
* ``nn.Slice``: a gap on each axis it cuts short; ``nn.StridedSlice``: also the axis
  stored under a step over 1, or :class:`Stepped` for a step on the axis stored innermost
  (not stated where that depends on a size's parity);
* recurrent layers' and ``MultiHeadAttention``'s sequence outputs: time-major ``(1, 0, 2)``;
* element-wise layers (activations but softmax, ``Dropout`` of an input without gaps,
  ``Identity``) and element-wise merges of inputs of one shape and order that require a
  gradient: the inputs' order without gaps.

Channels-last layers (which ``to_torch`` computes on channels-first copies of the axes),
softmax, concatenation and the other layers state nothing.

>>> x = Layout((0, 1, 2), grad=True)
>>> permuted(x, (2, 1))
Layout(order=(0, 2, 1), gaps=frozenset(), grad=True)
>>> from symcnn import symbols
>>> B = symbols("B")
>>> fold_copy(permuted(x, (2, 1)), (B, 6, 8)), fold_copy(x, (B, 6, 8))
(Min(1, B - 1), 0)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import sympy

from ..arith import prove_nonnegative

__all__ = ["Layout", "Stepped", "stepped", "is_stepped", "contiguous", "permuted", "sliced", "elementwise",
           "is_contiguous", "when_contiguous", "time_major", "fold_copy", "output_layouts",
           "input_layout"]


@dataclass(frozen=True)
class Layout:
    """One tensor's memory layout over symcnn's axes (0 = batch); see the module."""

    order: tuple
    gaps: frozenset = field(default_factory=frozenset)
    grad: bool = False


@dataclass(frozen=True)
class Stepped(Layout):
    """A :class:`Layout` whose innermost axis in memory is read with a
    step over 1 (``x[..., ::2]``: PyTorch's stride 2 there), which a plain layout cannot
    say. ``order`` and ``gaps`` say what PyTorch's reshape needs (the axis above the stepped
    one fits on it where the step divides it into whole steps, ``::2`` of an even size, and
    has a gap otherwise), and the step makes the tensor not contiguous wherever one of its
    sizes is not 1: ``x.contiguous()`` copies it (:class:`symcnn.nn.Contiguous`), even where
    a reshape is a view. A view of it (a reshape that does not copy, a permutation, a slice)
    is stepped too; training memory carries that through (:mod:`symcnn.training_memory`),
    and every new tensor computed from it is laid out anew.

    >>> stepped(contiguous(3))
    Stepped(order=(0, 1, 2), gaps=frozenset(), grad=False)
    """


def is_stepped(layout: Layout | None) -> bool:
    """Whether ``layout`` reads its innermost axis in memory with a step (:class:`Stepped`)."""
    return isinstance(layout, Stepped)


def stepped(layout: Layout | None) -> Stepped | None:
    """``layout`` with its innermost axis in memory stepped (None stays None)."""
    if layout is None or isinstance(layout, Stepped):
        return layout
    return Stepped(layout.order, layout.gaps, layout.grad)


def contiguous(rank: int) -> Layout:
    """A contiguous tensor of ``rank`` axes, batch included.

    >>> contiguous(3)
    Layout(order=(0, 1, 2), gaps=frozenset(), grad=False)
    """
    return Layout(tuple(range(rank)))


def time_major(rank: int = 3) -> Layout:
    """A ``(batch, steps, ...)`` tensor stored steps first: ``(1, 0, 2, ...)``."""
    return Layout((1, 0, *range(2, rank)))


def input_layout(shape) -> Layout:
    """A model input of ``shape`` (without the batch axis): contiguous, no gradient."""
    return contiguous(len(shape) + 1)


def is_contiguous(layout: Layout | None) -> bool:
    """Stored in axis order, with at most the outermost axis cropped (structurally)."""
    return layout is not None and layout.order == tuple(range(len(layout.order))) and \
        layout.gaps <= {0}


def when_contiguous(input_layouts, output_shapes) -> tuple:
    """Contiguous outputs for one contiguous input (a layer that computes a new tensor on
    PyTorch's own axes), else nothing stated."""
    if len(input_layouts) == 1 and is_contiguous(input_layouts[0]):
        return tuple(contiguous(len(s) + 1) for s in output_shapes)
    return (None,) * len(output_shapes)


def permuted(layout: Layout | None, dims) -> Layout | None:
    """After Keras' ``Permute(dims)`` (``dims`` counts from 1; output axis ``i`` is input
    axis ``dims[i - 1]``): the same memory, axes renumbered."""
    if layout is None:
        return None
    where = {0: 0, **{d: i + 1 for i, d in enumerate(dims)}}
    return Layout(tuple(where[a] for a in layout.order), frozenset(where[a] for a in layout.gaps),
                  layout.grad)


def sliced(layout: Layout | None, axes) -> Layout | None:
    """After a slice of ``axes`` (symcnn axes, batch = 0) to fewer elements."""
    if layout is None:
        return None
    return Layout(layout.order, layout.gaps | frozenset(axes), layout.grad)


def elementwise(input_layouts, input_shapes) -> Layout | None:
    """The output of an element-wise operation: PyTorch's TensorIterator allocates it densely
    in its inputs' memory order. Stated for one input, or for inputs of one shape and order
    that all require a gradient (a model input's order is not known for a channels-last
    model: ``to_torch`` moves its channels first)."""
    if any(lay is None for lay in input_layouts):
        return None
    first = input_layouts[0]
    if len(input_layouts) > 1 and not (
            all(lay.grad and lay.order == first.order for lay in input_layouts)
            and all(tuple(s) == tuple(input_shapes[0]) for s in input_shapes)):
        return None
    return Layout(first.order, frozenset(), first.grad)


def output_layouts(layer, node, input_layouts) -> tuple:
    """The layouts of ``node``'s outputs (a call of ``layer``): what the layer states, with
    ``grad`` set: an output requires a gradient when an input does or the call has
    trainable weights (undecided, and so not stated, when an input's layout is unknown)."""
    outputs = [t.shape for t in node.outputs]
    stated = tuple(layer.layout_for(list(input_layouts), node.input_shapes, outputs))
    grads = {lay.grad if lay is not None else None for lay in input_layouts}
    grad = True if True in grads or node.computed.trainable != 0 else \
        (False if grads <= {False} else None)
    return tuple(None if lay is None or grad is None else replace(lay, grad=grad)
                 for lay in stated)


def _is_one(size) -> bool | None:
    """Whether a size (at least 1) is 1: True, False, or None when it depends on symbols."""
    size = sympy.sympify(size)
    if size == 1:
        return True
    if size.is_Integer or prove_nonnegative(size - 2):
        return False
    return None


def _views(layout: Layout, ones: set) -> bool:
    """Whether ``reshape(-1, K)`` is a view, the axes in ``ones`` being of size 1.

    PyTorch (``computeStride``) merges the leading axes when each non-unit axis is stored
    right outside the next one: ``stride[a] == stride[b] * size[b]``. Over a layout that
    holds when ``b`` follows ``a`` in memory, uncropped, with only uncropped unit axes in
    between; unit axes are left out."""
    position = {axis: i for i, axis in enumerate(layout.order)}
    lead = [a for a in range(len(layout.order) - 1) if a not in ones]
    for a, b in zip(lead, lead[1:]):
        if b in layout.gaps or position[b] < position[a]:
            return False
        between = layout.order[position[a] + 1:position[b]]
        if any(c not in ones or c in layout.gaps for c in between):
            return False
    return True


def fold_copy(layout: Layout, sizes) -> sympy.Expr:
    """1 where ``x.reshape(-1, K)`` of a tensor of ``sizes`` (batch first) laid out as
    ``layout`` copies, 0 where it is a view: an exact closed form, with
    ``Min(1, s - 1)`` (1 when ``s >= 2``, 0 when ``s = 1``) for each size ``s`` whose being 1
    decides it.

    >>> from symcnn import symbols
    >>> B, T = symbols("B T")
    >>> fold_copy(time_major(), (B, T, 4))
    Min(1, B - 1)*Min(1, T - 1)
    >>> steps, last = sliced(contiguous(3), [1]), sliced(contiguous(3), [2])
    >>> fold_copy(steps, (2, 5, 4)), fold_copy(last, (2, 5, 4))   # a crop of the last axis is a view
    (1, 0)
    """
    if is_contiguous(layout):
        return sympy.Integer(0)
    known = {axis: _is_one(s) for axis, s in enumerate(sizes)}
    free = [axis for axis, one in known.items() if one is None]
    fixed = {axis for axis, one in known.items() if one}
    total = sympy.Integer(0)
    for values in itertools.product((False, True), repeat=len(free)):
        ones = fixed | {axis for axis, one in zip(free, values) if one}
        if _views(layout, ones):
            continue
        weight = sympy.Integer(1)
        for axis, one in zip(free, values):
            above = sympy.Min(1, sympy.sympify(sizes[axis]) - 1)  # 0 at size 1, else 1
            weight *= (1 - above) if one else above
        total += weight
    return sympy.expand(total)
