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

A crop or slice of a tensor whose layout is not stated is a :class:`Cut`: its order in memory
is not known, but its axes cut short and its axes read with a step are, and that is enough to
know where PyTorch's reshape and ``contiguous()`` copy it whatever the order
(:func:`unordered_reshape_copy`, :func:`unordered_contiguous_copy`: a cut axis cannot be
merged with the axis before it, nor a stepped axis with the axis after it). The same holds
for a tensor that requires no gradient, whose order ``to_torch`` may change (it gives a
channels-last model's input channels first). A layer's ``layout_for`` or
``output_copy_for`` sees a :class:`Cut` only where it is marked with :func:`reads_cuts` (the
crops, ``nn.StridedSlice``, ``Permute``, ``Flatten``, ``Reshape``, ``nn.Contiguous``, and the
layers whose output is their input or an element-wise function of it); the others see None
there, as for any layout not stated.

>>> x = Layout((0, 1, 2), grad=True)
>>> permuted(x, (2, 1))
Layout(order=(0, 2, 1), gaps=frozenset(), grad=True)
>>> from symcnn import symbols
>>> B = symbols("B")
>>> fold_copy(permuted(x, (2, 1)), (B, 6, 8)), fold_copy(x, (B, 6, 8))
(Min(1, B - 1), 0)
>>> crop = sliced(None, [1, 2])                   # a crop of H and W, order not known
>>> crop, unordered_fold_copy(crop, (B, 6, 6, 3))
(Cut(gaps=frozenset({1, 2}), grad=None, steps=frozenset()), 1)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import sympy

from ..arith import decide_equal, prove_nonnegative

__all__ = ["Layout", "Stepped", "Cut", "stepped", "is_stepped", "is_cut", "contiguous",
           "permuted", "sliced", "elementwise", "is_contiguous", "when_contiguous", "time_major",
           "fold_copy", "unordered_reshape_copy", "unordered_fold_copy",
           "unordered_contiguous_copy", "order_unknown", "reads_cuts", "as_read_by",
           "output_layouts", "input_layout"]


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


@dataclass(frozen=True)
class Cut:
    """A slice of a tensor whose layout is not stated (a crop of a channels-last feature map,
    or of a concatenation): ``gaps``, its axes cut short (symcnn axes, batch 0), ``grad``,
    whether it requires a gradient (None where that is not known, as it is not for a tensor
    whose layout is not stated), and ``steps``, its axes read with a step over 1
    (``x[:, ::2]``: :class:`~symcnn.nn.StridedSlice`). Not a :class:`Layout`: its order in
    memory is not known, so nothing that needs the order is decided from it. What is decided
    is where a reshape or ``contiguous()`` copies it whatever the order
    (:func:`unordered_reshape_copy`, :func:`unordered_contiguous_copy`). Only the layer
    methods marked with :func:`reads_cuts` see it (:func:`as_read_by`).

    >>> sliced(sliced(None, [1]), [2], steps=[3])
    Cut(gaps=frozenset({1, 2}), grad=None, steps=frozenset({3}))
    """

    gaps: frozenset = field(default_factory=frozenset)
    grad: bool | None = None
    steps: frozenset = field(default_factory=frozenset)


def is_cut(layout) -> bool:
    """Whether ``layout`` is a :class:`Cut` (a slice of a tensor whose layout is not known)."""
    return isinstance(layout, Cut)


def order_unknown(layout) -> bool:
    """Whether the order in memory of a tensor laid out as ``layout`` is not to be relied on,
    though its axes cut short are known: a :class:`Cut`, or a :class:`Layout` of a tensor
    that requires no gradient (computed from the model's input alone, whose order ``to_torch``
    gives channels first for a channels-last model)."""
    return is_cut(layout) or (layout is not None and not layout.grad)


def reads_cuts(method):
    """Mark a layer's ``layout_for`` or ``output_copy_for`` as one that reads :class:`Cut`
    entries in ``input_layouts``; an unmarked method sees None for them (:func:`as_read_by`),
    as for any layout not stated. A subclass that overrides the method unmarked sees None.

    >>> @reads_cuts
    ... def layout_for(self, input_layouts, input_shapes, output_shapes):
    ...     return (input_layouts[0],)
    >>> as_read_by(layout_for, [Cut(frozenset({1}))]), as_read_by(len, [Cut(frozenset({1}))])
    ([Cut(gaps=frozenset({1}), grad=None, steps=frozenset())], [None])
    """
    method.reads_cuts = True
    return method


def as_read_by(method, layouts) -> list:
    """``layouts`` as a layer ``method`` reads them: a :class:`Cut` as None unless the
    method is marked with :func:`reads_cuts`."""
    if getattr(method, "reads_cuts", False):
        return list(layouts)
    return [None if is_cut(lay) else lay for lay in layouts]


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
    """Stored in axis order, with at most the outermost axis cropped (structurally); never
    a :class:`Cut`, whose order is not known."""
    return isinstance(layout, Layout) and layout.order == tuple(range(len(layout.order))) \
        and layout.gaps <= {0}


def when_contiguous(input_layouts, output_shapes) -> tuple:
    """Contiguous outputs for one contiguous input (a layer that computes a new tensor on
    PyTorch's own axes), else nothing stated."""
    if len(input_layouts) == 1 and is_contiguous(input_layouts[0]):
        return tuple(contiguous(len(s) + 1) for s in output_shapes)
    return (None,) * len(output_shapes)


def permuted(layout: Layout | None, dims) -> Layout | None:
    """After Keras' ``Permute(dims)`` (``dims`` counts from 1; output axis ``i`` is input
    axis ``dims[i - 1]``): the same memory, axes renumbered (a :class:`Cut`'s cut and
    stepped axes)."""
    if layout is None:
        return None
    where = {0: 0, **{d: i + 1 for i, d in enumerate(dims)}}
    if is_cut(layout):
        return Cut(frozenset(where[a] for a in layout.gaps), layout.grad,
                   frozenset(where[a] for a in layout.steps))
    return Layout(tuple(where[a] for a in layout.order), frozenset(where[a] for a in layout.gaps),
                  layout.grad)


def sliced(layout: Layout | None, axes, steps=()) -> Layout | None:
    """After a slice of ``axes`` (symcnn axes, batch = 0) to fewer elements; a slice of a
    tensor whose layout is not known (None) is a :class:`Cut` (None where it cuts nothing).
    ``steps``, axes read with a step over 1, make the slice a :class:`Cut` whatever
    ``layout`` (for a layout whose order is not relied on, :func:`order_unknown`; a
    :class:`Layout` whose order is says what a step does with its gaps and
    :class:`Stepped`).

    >>> sliced(contiguous(3), [1])
    Layout(order=(0, 1, 2), gaps=frozenset({1}), grad=False)
    >>> sliced(None, [2]), sliced(None, [])
    (Cut(gaps=frozenset({2}), grad=None, steps=frozenset()), None)
    >>> sliced(contiguous(3), [2], steps=[1])
    Cut(gaps=frozenset({2}), grad=False, steps=frozenset({1}))
    """
    if layout is None:
        return Cut(frozenset(axes), steps=frozenset(steps)) if axes or steps else None
    if is_cut(layout) or steps:
        return Cut(layout.gaps | frozenset(axes), layout.grad,
                   _steps(layout) | frozenset(steps))
    return Layout(layout.order, layout.gaps | frozenset(axes), layout.grad)


def elementwise(input_layouts, input_shapes) -> Layout | None:
    """The output of an element-wise operation: PyTorch's TensorIterator allocates it densely
    in its inputs' memory order. Stated for one input, or for inputs of one shape and order
    that all require a gradient (a model input's order is not known for a channels-last
    model: ``to_torch`` moves its channels first). Not stated for a :class:`Cut` (a new
    tensor in an order not known)."""
    if any(lay is None or is_cut(lay) for lay in input_layouts):
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
    trainable weights (undecided, and so not stated, when an input's layout is unknown). The
    layer's ``layout_for`` sees a :class:`Cut` only where it reads them (:func:`reads_cuts`)."""
    outputs = [t.shape for t in node.outputs]
    stated = tuple(layer.layout_for(as_read_by(layer.layout_for, input_layouts),
                                    node.input_shapes, outputs))
    grads = {lay.grad if lay is not None else None for lay in input_layouts}
    grad = True if True in grads or node.computed.trainable != 0 else \
        (False if grads <= {False} else None)
    return tuple(replace(lay, grad=grad) if is_cut(lay) else  # a Cut's grad may be None
                 None if lay is None or grad is None else replace(lay, grad=grad)
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


def _one_branches(sizes):
    """``(ones, weight, values)`` for each way the sizes that may be 1 are or are not 1:
    ``ones`` the positions of size 1; ``weight`` 1 exactly at the sizes of that branch
    (``Min(1, s - 1)`` for ``s >= 2``, ``1 - Min(1, s - 1)`` for ``s = 1``), equal sizes
    being one choice; ``values`` puts that branch into the symbols of the sizes that are one
    symbol plus a number (``H - 2``: ``H = 3``, or ``H = d + 3`` for a positive ``d``)."""
    sizes = [sympy.sympify(s) for s in sizes]
    known = [_is_one(s) for s in sizes]
    free = list(dict.fromkeys(s for s, one in zip(sizes, known) if one is None))
    for choice in itertools.product((False, True), repeat=len(free)):
        unit = {s for s, v in zip(free, choice) if v}
        ones = {i for i, (s, one) in enumerate(zip(sizes, known))
                if one or (one is None and s in unit)}
        weight, values = sympy.Integer(1), {}
        for s, v in zip(free, choice):
            above = sympy.Min(1, s - 1)  # 0 at size 1, else 1
            weight *= (1 - above) if v else above
            symbols = s.free_symbols
            if len(symbols) == 1 and (s - next(iter(symbols))).is_number:
                symbol = next(iter(symbols))
                at = sympy.Integer(1) if v else \
                    sympy.Dummy("d", integer=True, positive=True) + 1
                values.setdefault(symbol, at - (s - symbol))
        yield ones, weight, values


def _steps(layout) -> frozenset:
    """The axes of ``layout`` known to be read with a step over 1: a :class:`Cut`'s
    ``steps``, a :class:`Stepped` layout's innermost axis."""
    if is_cut(layout):
        return layout.steps
    return frozenset(layout.order[-1:]) if is_stepped(layout) else frozenset()


def unordered_reshape_copy(layout, sizes, new_sizes) -> sympy.Expr:
    """1 where ``x.reshape(new_sizes)`` of a tensor of ``sizes`` (both batch first) copies it
    whatever its order in memory, given only its axes cut short and read with a step
    (``layout.gaps`` and the steps of a :class:`Cut` or a :class:`Layout`); 0 elsewhere,
    where the order would decide it (where it is not known, that counts as a view, as for a
    layout not stated). A closed form over which sizes are 1.

    PyTorch's reshape is a view only where the output's axes can be made of runs of input
    axes stored one inside the other, which for two axes ``a, b`` that follow each other
    (neither of size 1; axes of size 1 between them left out) means
    ``stride[a] == stride[b]*size[b]``, unless the reshape splits the axes between them (a
    prefix of the input's sizes multiplies to a prefix of the output's). Where ``b`` was
    cut from a longer axis, the element one step along ``a`` would be the element
    ``size[b]`` steps along ``b`` of the uncut tensor: one address for two elements, which
    no tensor PyTorch computes has. So a cut axis of size 2 or more, after another of size 2
    or more that the reshape merges it with, is a copy in any order. So is an axis of 2 or
    more read with a step over 1, before another of 2 or more: its stride, the step times
    what it was, is too long for the axis after it in any order of the dense tensor that
    the slices view. A split that the symbols leave open counts as a split (no
    copy stated).

    >>> from symcnn import symbols
    >>> B, H, W = symbols("B H W")
    >>> unordered_reshape_copy(Cut(frozenset({1, 2})), (B, 6, 8, 3), (48*B, 3))   # rows, columns
    1
    >>> unordered_reshape_copy(Cut(frozenset({1})), (B, H, W, 3), (B*H*W, 3))     # rows only
    Min(1, B - 1)*Min(1, H - 1)
    >>> unordered_reshape_copy(Cut(frozenset({1})), (B, H, 8, 3), (B, 24*H))      # a flatten
    0
    >>> unordered_reshape_copy(Cut(frozenset({3})), (B, 6, 8, 3), (48*B, 3))      # the last axis
    0
    >>> unordered_reshape_copy(Cut(steps=frozenset({1})), (B, 6, 8, 3), (B, 144))  # x[:, ::2]
    1
    """
    sizes = [sympy.sympify(s) for s in sizes]
    steps = _steps(layout)
    total = sympy.Integer(0)
    for ones, weight, values in _one_branches(sizes):
        wide = [a for a in range(len(sizes)) if a not in ones]  # sizes of 2 or more
        pairs = [(a, b) for a, b in zip(wide, wide[1:]) if b in layout.gaps or a in steps]
        if not pairs:
            continue
        outer, product = [], sympy.Integer(1)
        for size in new_sizes[:-1]:
            product = sympy.expand(product * sympy.sympify(size).xreplace(values))
            outer.append(product)
        inner, split = sympy.Integer(1), set()  # positions p the reshape may split before
        for p in range(1, len(sizes)):
            if p - 1 not in ones:
                inner = sympy.expand(inner * sizes[p - 1].xreplace(values))
            if any(decide_equal(inner, q) is not False for q in outer):
                split.add(p)
        if any(not split & set(range(a + 1, b + 1)) for a, b in pairs):
            total += weight
    return sympy.expand(total)


def unordered_fold_copy(layout, sizes) -> sympy.Expr:
    """:func:`unordered_reshape_copy` of ``x.reshape(-1, K)`` (``nn.Linear``'s fold) of a
    tensor of ``sizes`` (batch first): a copy where a cut axis of 2 or more comes after
    another such axis but the last.

    >>> from symcnn import symbols
    >>> unordered_fold_copy(Cut(frozenset({1, 2})), (symbols("B"), 6, 6, 3))
    1
    """
    folded = sympy.expand(sympy.Mul(*(sympy.sympify(s) for s in sizes[:-1])))
    return unordered_reshape_copy(layout, sizes, (folded, sizes[-1]))


def unordered_contiguous_copy(layout, sizes) -> sympy.Expr:
    """1 where ``x.contiguous()`` of a tensor of ``sizes`` (batch first) copies it whatever
    its order in memory, given only its axes cut short and read with a step (as
    :func:`unordered_reshape_copy`); 0 elsewhere, where the order would decide it. PyTorch's
    ``is_contiguous`` needs every axis of 2 or more stored right outside the next such axis,
    the last at stride 1: a cut axis of 2 or more after another of 2 or more (the batch axis
    included) breaks it in any order, and so does an axis of 2 or more read with a step
    (before another, as for a reshape; the last, at a stride over 1).

    >>> from symcnn import symbols
    >>> B = symbols("B")
    >>> unordered_contiguous_copy(Cut(frozenset({1})), (B, 2, 6, 8))        # x[:, 1:3]
    Min(1, B - 1)
    >>> unordered_contiguous_copy(Cut(steps=frozenset({3})), (B, 2, 6, 4))  # x[..., ::2]
    1
    """
    sizes = [sympy.sympify(s) for s in sizes]
    steps = _steps(layout)
    total = sympy.Integer(0)
    for ones, weight, _ in _one_branches(sizes):
        wide = [a for a in range(len(sizes)) if a not in ones]  # sizes of 2 or more
        if any(a in steps for a in wide) or any(b in layout.gaps for b in wide[1:]):
            total += weight
    return sympy.expand(total)
