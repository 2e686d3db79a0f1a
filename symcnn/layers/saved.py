"""What a layer keeps for backward: the ``saved_for_backward`` part of the layer protocol.

Training keeps, from the forward pass until the backward pass has used them, the tensors
that the gradients need: a convolution keeps its input (for the weight gradient), a ReLU its
output, a max pooling its input and the indices of the maxima. A layer states them with

``saved_for_backward(input_shapes, output_shapes) -> tuple[Kept, ...]``

each :class:`Kept` naming either one of the layer's own input or output tensors (so that a
tensor kept by two layers, a ReLU's output and the next convolution's input, counts once) or a
new tensor of the layer's own (the batch statistics of a batch normalization, the mask of a
dropout, the indices of a max pooling). The figures are PyTorch's eager autograd in training
mode on the CPU, measured with ``torch.autograd.graph.saved_tensors_hooks`` (weights and
buffers are not activations and are never listed). A layer whose output is a view of its
input (``Flatten``, ``Reshape``) sets ``output_is_view = True``: its output is the same
storage as its input, except where ``output_copy_for`` says PyTorch copies it
(:mod:`symcnn.layers.views`). ``nn.Linear`` keeps its input folded to a matrix (:func:`kept_matrix`),
which is a copy, not the input, when the input's layout (:mod:`symcnn.layers.layout`) does not
allow a view: :func:`resolve` says which, with the layouts training memory follows.

A product keeps each factor only for the other factor's gradient: ``nn.Linear`` keeps its input
for its weight's gradient, so a frozen ``Linear`` keeps nothing of its input. An entry says
so with ``when`` (:class:`Kept`): ``"weights"``, kept only where the layer's weights train.
Keras' batch normalization with ``trainable=False`` runs in inference mode, which keeps other
tensors: ``"frozen"`` and ``"unfrozen"`` say where the layer's ``trainable`` flag (or that
of a model or ``Repeat`` it runs in) is off or on. ``"grad"`` is an entry kept only where the
layer's input requires a gradient: a step inside the layer whose own backward is recorded
only then, as the reflection pad before a PyTorch convolution (:func:`torch_conv_input_kept`).

What depends on the inputs of a call, a layer reads from a :class:`Call`, which training
memory passes to a ``saved_for_backward`` that takes a keyword argument ``call``: which
inputs require a gradient (a product of two tensors keeps each factor only where the other
requires one: ``Multiply`` keeps nothing of a factor multiplied by the model's input) and
which are one tensor (PyTorch's self-attention, ``mha(x, x)``, projects its input in one
product, cross-attention in two).

A layer without ``saved_for_backward`` cannot be counted: :mod:`symcnn.training_memory` says
so, naming the layer, rather than guessing 0.

>>> kept_input(), kept_new(16, per_example=False)
(Kept(source='input', index=0, elements=None, dtype=None, per_example=True, factor=1, when=None), Kept(source='new', index=0, elements=16, dtype=None, per_example=False, factor=1, when=None))
>>> activation_keeps("relu"), activation_keeps("silu"), activation_keeps("linear")
('output', 'input', None)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy

from ..arith import ceil_div
from ..errors import SUBS_HINT, CostError, LayerArgumentError, brief
from ..formulas import prod
from .layout import fold_copy, order_unknown, unordered_fold_copy
from .spatial import split_channels

__all__ = ["Kept", "WHEN", "Call", "takes_call", "kept_input", "kept_output", "kept_new",
           "kept_matrix",
           "resolve", "activation_keeps", "activation_kept", "activation_layer_kept",
           "activation_extra", "with_activation", "window_input_kept", "torch_conv_input_kept",
           "is_identity_activation", "NOTHING"]

#: A layer that keeps nothing for backward (additions, concatenations, paddings, views).
NOTHING: tuple = ()

#: The conditions a :class:`Kept` entry may carry (``when``), besides None (always).
WHEN = ("weights", "frozen", "unfrozen", "grad")


@dataclass(frozen=True)
class Kept:
    """One tensor kept for backward.

    Attributes:
        source: ``"input"`` or ``"output"`` (one of the layer's tensors, counted once however
            many layers keep it), ``"new"`` (a tensor of the layer's own), or ``"matrix"``
            (an input folded to a matrix, :func:`kept_matrix`, which :func:`resolve` turns
            into the others).
        index: which input or output.
        elements: for ``"new"``, its number of elements (per example unless ``per_example``
            is False).
        dtype: ``None`` for the training dtype, else a fixed one (``"int64"`` indices).
        per_example: whether ``elements`` is multiplied by the batch size.
        factor: for ``"input"`` and ``"output"``, 1, or a closed form that is 1 for the sizes
            where the tensor is kept and 0 elsewhere (``Min(1, B - 1)``: from batch 2 on).
        when: None where the layer keeps it whenever a gradient flows through it;
            ``"weights"`` only where the layer's weights train (a product's factor, kept for
            the weight's gradient: not in a frozen layer); ``"frozen"`` / ``"unfrozen"``
            only where the layer's ``trainable`` flag, or that of a model or ``Repeat`` it
            runs in, is off / on (Keras' batch normalization runs in inference mode when
            frozen); ``"grad"`` only where the layer's input ``index`` (input 0 for a
            ``"new"`` tensor) requires a gradient (an ``F.pad`` by reflection before a
            PyTorch convolution keeps its input for its own backward, which PyTorch records
            only then, while the convolution keeps the padded copy for its weight's
            gradient). :mod:`symcnn.training_memory` decides it per call.
    """

    source: str
    index: int = 0
    elements: Any = None
    dtype: Any = None
    per_example: bool = True
    factor: Any = 1
    when: Any = None

    def __post_init__(self) -> None:
        if self.when is not None and self.when not in WHEN:
            raise LayerArgumentError(f"Kept: `when` must be None or one of "
                                     f"{', '.join(map(repr, WHEN))}. Received: when={brief(self.when)}")


def takes_call(method) -> bool:
    """Whether a ``saved_for_backward`` takes the keyword argument ``call``
    (:class:`Call`): :mod:`symcnn.training_memory` passes it to those that do, and so does a
    wrapper passing on its wrapped layer's statement (``TimeDistributed``).

    >>> takes_call(lambda input_shapes, output_shapes, call=None: ()), takes_call(len)
    (True, False)
    """
    function = getattr(method, "__func__", method)
    try:
        return _takes_call_function(function)
    except TypeError:  # an unhashable callable
        return _takes_call_function.__wrapped__(function)


@lru_cache(maxsize=None)
def _takes_call_function(function) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin or another callable without a signature
        return False
    return any(p.name == "call" and p.kind is not p.POSITIONAL_ONLY or p.kind is p.VAR_KEYWORD
               for p in parameters)


@dataclass(frozen=True)
class Call:
    """The inputs of one layer call, as ``saved_for_backward(input_shapes, output_shapes,
    call)`` reads them (:mod:`symcnn.training_memory` passes ``call`` to a method that takes
    it).

    Attributes:
        grads: per input, whether it requires a gradient (the model's input does not, nor a
            tensor computed from it by frozen layers only).
        same: per input, the index of the first input that is the same tensor: ``(0, 0)``
            for ``mha(x, x)``, ``(0, 1)`` for ``mha(q, v)``.

    >>> call = Call.of([(4,), (4,)], grads=(False, True))
    >>> call.grads, call.one_tensor(0, 1), Call.of([(4,), (4,)]).grads
    ((False, True), False, (True, True))
    """

    grads: tuple
    same: tuple

    @classmethod
    def of(cls, input_shapes, grads=None, same=None) -> "Call":
        """A call on inputs of ``input_shapes``: by default each requires a gradient and no
        two are one tensor (what a layer keeps at most)."""
        n = len(input_shapes)
        return cls(tuple(grads) if grads is not None else (True,) * n,
                   tuple(same) if same is not None else tuple(range(n)))

    def one_tensor(self, i: int, j: int) -> bool:
        """Whether inputs ``i`` and ``j`` are the same tensor."""
        return self.same[i] == self.same[j]

    def any_grad(self, *indices: int) -> bool:
        """Whether one of the inputs ``indices`` requires a gradient."""
        return any(self.grads[i] for i in indices)


def kept_input(index: int = 0, when=None) -> Kept:
    """The layer's input ``index`` is kept (``when``: see :class:`Kept`)."""
    return Kept("input", index, when=when)


def kept_output(index: int = 0, when=None) -> Kept:
    """The layer's output ``index`` is kept (``when``: see :class:`Kept`)."""
    return Kept("output", index, when=when)


def kept_new(elements, dtype=None, per_example: bool = True, when=None) -> Kept:
    """A new tensor of ``elements`` elements is kept (at ``dtype``, else the training dtype;
    ``when``: see :class:`Kept`)."""
    return Kept("new", 0, sympy.sympify(elements), dtype, per_example, when=when)


def kept_matrix(index: int = 0) -> Kept:
    """The layer's input ``index`` folded to a matrix over its last axis, as ``nn.Linear``
    keeps it (``x.reshape(-1, K)`` when the input requires a gradient): the input itself, or
    a copy when the reshape cannot be a view (:func:`resolve`). Kept for the weight's
    gradient only, so not by a frozen layer (``when="weights"``), even where the input
    requires a gradient.

    >>> kept_matrix().when
    'weights'
    """
    return Kept("matrix", index, when="weights")


def resolve(kept, input_layouts, input_shapes, batch) -> tuple:
    """``kept`` with each :func:`kept_matrix` entry made what PyTorch keeps, given the
    inputs' layouts (:mod:`symcnn.layers.layout`, None where unknown) and the ``batch``.

    A new tensor of the input's size (the copy ``x.reshape(-1, K)`` makes) where the fold
    copies, and the input itself where it is a view: always for an input of at most two axes
    (batch included) or with no known layout;
    :func:`~symcnn.layers.layout.fold_copy` of its layout (at batch 1 a transpose of
    ``(B, T, K)`` needs no copy); and where only its axes cut short are known (a
    :class:`~symcnn.layers.layout.Cut`, or an input that requires no gradient, whose order
    ``to_torch`` may change), a copy where it copies whatever the order
    (:func:`~symcnn.layers.layout.unordered_fold_copy`: a crop of both spatial axes of a
    channels-last map), the input elsewhere. PyTorch folds (and copies) an input that
    requires no gradient as one that does.

    >>> from symcnn import symbols
    >>> from symcnn.layers.layout import Layout, sliced
    >>> B = symbols("B")
    >>> copy, itself = resolve((kept_matrix(),), [Layout((0, 2, 1), grad=True)], [(6, 8)], B)
    >>> (copy.source, copy.elements), (itself.source, itself.factor)
    (('new', 48*Min(1, B - 1)), ('input', 1 - Min(1, B - 1)))
    >>> resolve((kept_matrix(),), [None], [(6, 8)], B)[0].source
    'input'
    >>> resolve((kept_matrix(),), [sliced(None, [1, 2])], [(6, 6, 3)], B)[0].elements
    108
    """
    out = []
    for item in kept:
        if item.source != "matrix":
            out.append(item)
            continue
        layout, shape = input_layouts[item.index], tuple(input_shapes[item.index])
        sizes = (batch, *shape)
        if layout is None or len(shape) < 2:
            copy = sympy.Integer(0)
        elif order_unknown(layout):
            copy = unordered_fold_copy(layout, sizes)
        else:
            copy = fold_copy(layout, sizes)
        if copy != 0:
            out.append(kept_new(sympy.expand(prod(shape) * copy), when=item.when))
        if copy != 1:
            out.append(Kept("input", item.index, factor=sympy.expand(1 - copy), when=item.when))
    return tuple(out)


#: Activations whose gradient PyTorch computes from the output (it keeps the result).
_FROM_OUTPUT = {"relu", "sigmoid", "tanh", "softmax", "log_softmax", "exponential", "exp"}
#: Activations that keep nothing.
_NOTHING = {"linear", None}
#: Activations that keep a tensor of their size computed on the way, not their input nor
#: their output: ``tanh_shrink``, ``x - tanh(x)``, keeps ``tanh(x)`` (tanh keeps its
#: result); ``sparse_plus``, as :meth:`symcnn.Model.to_torch` writes Keras' formula
#: ``where(x <= -1, 0, where(x < 1, (x + 1)**2/4, x))``, keeps ``x + 1`` (the square's base).
_OWN_TENSOR = {"tanh_shrink", "sparse_plus"}
#: Activations that keep a second tensor of their size besides their input: softsign,
#: ``x/(1 + |x|)``, keeps the denominator ``1 + |x|``; squareplus, ``(x + sqrt(x**2 + 4))/2``,
#: keeps the root (sqrt keeps its result); ``F.logsigmoid`` a buffer of its input's size.
_TWO_TENSORS = {"softsign", "squareplus", "log_sigmoid"}
#: Activations that keep boolean masks of their size (1 byte per element), how many:
#: ``sparse_plus``'s two ``where`` keep their conditions ``x < 1`` and ``x <= -1``.
_MASKS = {"sparse_plus": 2}
#: Activation names with no counterpart to measure what they keep (to_torch refuses them).
_UNCOUNTED = {
    "sparsemax": "what Keras 3's own sparsemax keeps changes with its release "
                 "(keras-team/keras#23425)",
    "threshold": "Keras cannot call it by name (it needs `threshold` and `default_value`)",
    "prelu": "Keras 3 has no activation of that name (the PReLU layer has learned slopes)",
}


def activation_keeps(activation, owner: str = "Activation") -> str | None:
    """``"output"``, ``"input"``, ``"new"`` or ``None``: what PyTorch keeps for this activation
    (the PyTorch function :meth:`symcnn.Model.to_torch` writes for it, or Keras' formula where
    PyTorch has none).

    ReLU, sigmoid, tanh, softmax, log-softmax and exp keep their result; ``tanh_shrink`` and
    ``sparse_plus`` a new tensor of their size (``"new"``: ``tanh(x)``, ``x + 1``); every
    other activation (SiLU, GELU, ELU, SELU, ReLU6, leaky ReLU, softplus, mish, hard sigmoid
    and swish...) keeps its input; ``"linear"`` keeps nothing. Some keep more besides
    (:func:`activation_extra`). ``sparsemax``, ``threshold`` and ``prelu``, which
    :meth:`~symcnn.Model.to_torch` refuses, have nothing measured to count: a
    :class:`~symcnn.errors.CostError` names the layer (``owner``) and the activation.

    >>> activation_keeps("tanh"), activation_keeps("gelu"), activation_keeps("tanh_shrink")
    ('output', 'input', 'new')
    >>> activation_keeps("sparsemax", "Dense")
    Traceback (most recent call last):
    ...
    symcnn.errors.CostError: Dense: what activation='sparsemax' keeps for backward has no PyTorch counterpart to measure (Model.to_torch refuses it, and what Keras 3's own sparsemax keeps changes with its release (keras-team/keras#23425)); use another activation. Received: activation='sparsemax'
    """
    name = _activation_name(activation)
    if name in _UNCOUNTED:
        raise CostError(f"{owner}: what activation={name!r} keeps for backward has no PyTorch "
                        f"counterpart to measure (Model.to_torch refuses it, and "
                        f"{_UNCOUNTED[name]}); use another activation. "
                        f"Received: activation={brief(activation)}")
    if name in _NOTHING:
        return None
    if name in _OWN_TENSOR:
        return "new"
    return "output" if name in _FROM_OUTPUT else "input"


def is_identity_activation(activation) -> bool:
    """Whether an activation returns its input itself (``"linear"``: Keras' returns ``x``,
    and ``to_torch`` writes nothing for it), so that a layer applying only it keeps nothing
    and its output is its input's tensor.

    >>> is_identity_activation("linear"), is_identity_activation("relu")
    (True, False)
    """
    return _activation_name(activation) in _NOTHING


def activation_kept(activation, output_shape, owner: str = "Activation") -> tuple:
    """What a layer with a fused ``activation`` (Keras ``Conv2D(..., activation="silu")``)
    keeps on top of the layer itself: its output, or the pre-activation (or the activation's
    own tensor), a new tensor of the output's size (``output_shape``, without the batch axis),
    and what the activation keeps besides (:func:`activation_extra`).

    >>> activation_kept("relu", (5, 2)), activation_kept("silu", (5, 2))[0].elements
    ((Kept(source='output', index=0, elements=None, dtype=None, per_example=True, factor=1, when=None),), 10)
    """
    keeps = activation_keeps(activation, owner)
    if keeps is None:
        return NOTHING
    if keeps == "output":
        return (kept_output(),)
    return (kept_new(prod(output_shape)),) + activation_extra(activation, output_shape)


def activation_layer_kept(activation, output_shape, owner: str = "Activation") -> tuple:
    """What an activation layer (``Activation``, ``ReLU``, ...) keeps: its input, its output or
    a new tensor of its size (:func:`activation_keeps`), and what it keeps besides
    (:func:`activation_extra`); nothing for ``"linear"``.

    >>> [k.source for k in activation_layer_kept("log_sigmoid", (5, 2))]
    ['input', 'new']
    >>> [(k.source, k.dtype) for k in activation_layer_kept("sparse_plus", (5, 2))]
    [('new', None), ('new', 'bool'), ('new', 'bool')]
    """
    keeps = activation_keeps(activation, owner)
    if keeps is None:
        return NOTHING
    main = kept_input() if keeps == "input" else kept_output() if keeps == "output" else \
        kept_new(prod(output_shape))
    return (main,) + activation_extra(activation, output_shape)


def activation_extra(activation, shape) -> tuple:
    """What an activation keeps besides its input, its output or its own tensor: a second
    tensor of its size (softsign's denominator, squareplus' root, ``F.logsigmoid``'s
    buffer), or boolean masks of its size (``sparse_plus``, two).

    >>> activation_extra("softsign", (5, 2))[0].elements, activation_extra("relu", (5, 2))
    (10, ())
    """
    name = _activation_name(activation)
    kept = (kept_new(prod(shape)),) if name in _TWO_TENSORS else NOTHING
    return kept + (kept_new(prod(shape), dtype="bool"),) * _MASKS.get(name, 0)


def _activation_name(activation):
    """An activation's name in lower case (a function's ``__name__``), or None."""
    name = activation if activation is None or isinstance(activation, str) else getattr(
        activation, "__name__", "")
    return name.lower() if isinstance(name, str) else name


def with_activation(layer, output_shapes, *kept: Kept) -> tuple:
    """``kept`` plus what the layer's fused ``activation`` (if any) keeps."""
    return tuple(kept) + activation_kept(getattr(layer, "activation", None), output_shapes[0],
                                         layer.type_name)


def window_input_kept(layer, input_shape) -> Kept:
    """What a window layer (convolution, pooling) keeps of its input in PyTorch.

    ``valid`` and symmetric explicit padding are done inside the PyTorch operation, which keeps
    the input itself. Padding the operation cannot do (asymmetric pairs, causal, and Keras'
    ``same`` unless the stride is 1 and the window odd) is an ``F.pad`` first, as
    :func:`symcnn.Model.to_torch` builds it, and the operation keeps the padded copy: a new
    tensor. With symbolic sizes, ``same`` padding must be decidable: a window wider than its
    stride always pads; otherwise whether it pads depends on the size, and the figure needs
    numbers (a :class:`~symcnn.errors.CostError` says so).

    >>> import symcnn as sc
    >>> window_input_kept(sc.Conv2D(8, 3, padding="same"), ("H", 7, 3)).source
    'input'
    >>> window_input_kept(sc.Conv2D(8, 3, strides=2, padding="same"), (9, 9, 3)).elements
    363
    """
    spatial, channels = split_channels(tuple(input_shape), layer.data_format)
    kernel = getattr(layer, "kernel_size", None) or layer.pool_size
    dilation = getattr(layer, "dilation_rate", None) or (1,) * len(kernel)
    strides, padding = layer.strides, layer.padding
    if padding == "valid" or (not isinstance(padding, str) and all(a == b for a, b in padding)):
        return kept_input()
    if padding == "causal":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    elif padding == "same":
        if all(s == 1 for s in strides) and all(d * (k - 1) % 2 == 0
                                                for k, d in zip(kernel, dilation)):
            return kept_input()
        totals = []
        for i, k, s, d in zip(spatial, kernel, strides, dilation):
            extent = d * (k - 1) + 1
            if extent == 1:  # a window of one never pads: (ceil(i/s) - 1)*s + 1 <= i
                totals.append(0)
                continue
            total = (ceil_div(i, s) - 1) * s + extent - i
            if not total.is_number and sympy.sympify(extent - s).is_positive is not True:
                raise _undecided(layer, i)
            totals.append(max(total, 0) if total.is_number else total)
    else:
        totals = [a + b for a, b in padding]
    if all(t == 0 for t in totals):
        return kept_input()
    return kept_new(sympy.expand(prod(i + t for i, t in zip(spatial, totals)) * channels))


#: ``F.pad`` modes whose backward reads the input, so that the pad keeps it where that input
#: requires a gradient (measured with saved-tensor hooks: reflection and replication do,
#: circular does not).
_PAD_KEEPS_INPUT = ("reflect", "replicate")


def torch_conv_input_kept(layer, input_shape) -> tuple:
    """What ``torch.nn.ConvNd`` (channels first) keeps of its input, padding as PyTorch does.

    * ``padding_mode`` other than ``"zeros"``: the module pads the whole way with
      ``F.pad(mode=...)`` first, even by 0 (``padding="same"`` split as below), and the
      convolution keeps that padded copy, a new tensor; reflection and replication padding
      also keep their input (their backward reads it) where it requires a gradient
      (``when="grad"``: not the model's input, nor what is computed from it alone without
      trainable weights), circular padding nothing.
    * ``padding="same"`` (stride 1): PyTorch splits each axis' ``d*(k - 1)`` into
      ``d*(k - 1)//2`` before and the rest after, and where the two differ (an even window
      at an odd dilation) it pads only the difference, one element after, with a zero
      ``F.pad``, passing the symmetric part to the convolution: the convolution keeps that
      copy, one element longer along each such axis (not Keras' ``same``, which
      :meth:`symcnn.Model.to_torch` pads the whole way: :func:`window_input_kept`).
      Otherwise the input.
    * ``valid`` and explicit amounts: as :func:`window_input_kept`.

    >>> from symcnn import nn
    >>> torch_conv_input_kept(nn.Conv2d(4, 4, 4, padding="same"), (4, 8, 8))[0].elements
    324
    >>> [(k.source, k.when) for k in torch_conv_input_kept(nn.Conv2d(4, 4, 3, padding=1,
    ...                                                     padding_mode="reflect"), (4, 8, 8))]
    [('input', 'grad'), ('new', None)]
    """
    spatial, channels = split_channels(tuple(input_shape), "channels_first")
    mode = getattr(layer, "padding_mode", "zeros")
    if layer.padding != "same" and mode == "zeros":
        return (window_input_kept(layer, input_shape),)
    if layer.padding == "same":
        totals = [d * (k - 1) for k, d in zip(layer.kernel_size, layer.dilation_rate)]
        pairs = [(sympy.floor(t / 2), t - sympy.floor(t / 2)) for t in totals]
    elif layer.padding == "valid":
        pairs = [(0, 0)] * len(spatial)
    else:
        pairs = list(layer.padding)
    if mode != "zeros":
        copy = kept_new(sympy.expand(prod(i + a + b for i, (a, b) in zip(spatial, pairs))
                                     * channels))
        return (kept_input(when="grad"), copy) if mode in _PAD_KEEPS_INPUT else (copy,)
    extra = [sympy.expand(b - a) for a, b in pairs]
    if any(not e.is_number for e in extra):
        raise CostError(f"{layer.type_name}: whether padding='same' pads unevenly (and so what "
                        f"PyTorch keeps for backward) depends on the kernel size or dilation; "
                        f"substitute numbers. Received: kernel_size={tuple(layer.kernel_size)}, "
                        f"dilation={tuple(layer.dilation_rate)}")
    if all(e == 0 for e in extra):
        return (kept_input(),)
    return (kept_new(sympy.expand(prod(i + e for i, e in zip(spatial, extra)) * channels)),)


def _undecided(layer, size):
    return CostError(f"{layer.type_name}: whether 'same' padding pads (and so what PyTorch keeps "
                     f"for backward) depends on the input size {size} when the window is not "
                     f"wider than the stride; substitute numbers {SUBS_HINT}. "
                     f"Received: padding='same', strides={tuple(layer.strides)}")
