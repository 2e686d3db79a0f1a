"""Export a symcnn model to PyTorch: ``model.to_torch()``.

The result is a ``torch.fx.GraphModule`` (a ``torch.nn.Module``) with one submodule per
symcnn layer that has weights, named after the layer, and the same parameter counts and
output shapes, ready to train. PyTorch is channels first: a channels-last (Keras-style) model
with input ``(H, W, C)`` becomes a module taking ``(N, C, H, W)`` whose feature maps are the
channels-first versions of symcnn's shapes; flat tensors are the same. A model that states
its ``input_format`` (``from_torch``'s state channels first) has that layout; another is
channels last unless the layers that state a layout all state channels first
(:func:`_channels_last`). Layers that compute
on another order (``Flatten``, ``Dense`` or ``Reshape`` on feature maps, a ``channels_first``
layer in a channels-last model, batch norm over the last axis of a channels-first one) get
their input through ``torch.movedim`` (``Flatten(data_format="channels_first")`` moves
axis 1 last first, as Keras does). Every size must be a number (``model.subs(H=224, W=224)`` first).

Keras' ``SimpleRNN``, ``LSTM``, ``GRU`` and ``Bidirectional`` become ``nn.RNN``, ``nn.LSTM``,
``nn.GRU`` (``batch_first=True``) where those compute the same function with the same count
(GRU with ``reset_after=True``, SimpleRNN and LSTM without bias), returning Keras' outputs
(one that goes backwards: a subclass that flips its input, ``KerasBackwardLSTM`` and the
like, which ``from_torch`` reads back); the others are refused with the reason
(:func:`._torch_emit.keras_recurrent_refusal`).
Keras' ``MultiHeadAttention`` on ``(T, E)`` sequences becomes ``nn.MultiheadAttention(E,
num_heads, dropout, bias=use_bias, kdim=..., vdim=..., batch_first=True)`` called ``(query,
key, value, need_weights=layer.need_weights)[0]`` (True unless imported so) where that computes the same function (``num_heads*key_dim == E``,
``value_dim == key_dim``, output width ``E``, no gate or sliding window, no masked call,
no Keras mask on its input); the others are refused with the reason
(:func:`._torch_emit.attention_refusal`). ViT's ``ClassToken``, ``PositionEmbedding`` and
``symcnn.nn.ParameterAdd``/``ParameterMul`` become a :class:`._torch_emit.LearnedTensor`
holding the learned tensor as ``weight`` (in the layout of the tensor it meets). The blocks
of Keras' applications export as well: ``Elementwise`` (the Python operator), ``LayerScale``,
``CustomScaleLayer``, ``Rescaling``, ``Normalization`` and one-sided batch normalization
(:class:`._torch_emit.KerasBatchNorm`), and separable convolutions are
:class:`._torch_keras_layers.KerasSeparableConv`; ``from_torch`` reads those modules back
(``symcnn_layer``).

Keras' ``same`` and asymmetric paddings become an explicit ``F.pad`` before the layer, so
shapes are exact (max pooling pads with ``-inf``; average pooling with ``same`` padding
divides each window's sum by the input elements it covers, as Keras defines it). Keras
activations given to a layer
(``Conv2D(..., activation="relu")``) follow it as functions. Batch norm converts Keras'
momentum (``1 - momentum``) and epsilon.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3, strides=2, padding="same"),
...                    sc.BatchNormalization(), sc.Flatten(), sc.Dense(10)])
>>> net = m.to_torch()
>>> import torch
>>> net(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 10])
>>> sum(p.numel() for p in net.parameters()) == m.trainable_params
True
"""

from __future__ import annotations

import operator
import re

import torch
import torch.fx as fx
from torch import nn as tnn

from ..layers.base import Graph, Layer
from ..layers.core import InputLayer
from ..layers.repeat import Repeat
from ..layers.spatial import SpatialLayer
from ..nn._base import TorchLayer
from . import _torch_attention_layers as attention_layers
from . import _torch_emit as emit
from ._common import Problems, as_int, is_count, keras_base, require_numeric, written_out

__all__ = ["to_torch"]


def to_torch(model: Graph):
    """A real ``torch.nn.Module`` with ``model``'s shapes (channels first) and counts.

    >>> import symcnn as sc, torch
    >>> m = sc.nn.Sequential(sc.nn.Conv2d(3, 8, 3), sc.nn.ReLU(), input_shape=(3, "H", "W"))
    >>> m.to_torch()
    Traceback (most recent call last):
    ...
    symcnn.errors.ConversionError: model.to_torch: a framework model needs numbers for every size, but model 'sequential' has the symbols H, W. Substitute them first: model.subs(H=..., W=...).to_torch(). Received: free symbols H, W
    >>> m.subs(H=32, W=32).to_torch()(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 8, 30, 30])
    """
    require_numeric(model, "model.to_torch")
    problems = Problems("model.to_torch", target="PyTorch")
    builder = _Builder(_channels_last(model), problems)
    taken: set = set()
    for tensor in model.inputs:
        base = name = _identifier(tensor.node.layer.name or "x")
        count = 0
        while name in taken:  # two unnamed inputs: x, x_1 (one argument twice is an error)
            count += 1
            name = f"{base}_{count}"
        taken.add(name)
        node = builder.graph.placeholder(name)
        builder.values[id(tensor)] = node
        builder.layouts[id(tensor)] = builder.default and len(tensor.shape) >= 2
    builder.model(model, prefix="")
    problems.raise_if_any("Replace these layers, or build the PyTorch model by hand.")
    outs = [builder.convert(builder.values[id(t)], t.shape, builder.layouts[id(t)],
                            builder.default) for t in model.outputs]
    builder.graph.output(outs[0] if len(outs) == 1 else tuple(outs))
    module = fx.GraphModule(builder.modules, builder.graph,
                            class_name=_identifier(model.display_name).capitalize() or "Model")
    for name in builder.frozen:
        for p in module.get_submodule(name).parameters():
            p.requires_grad_(False)
    return module


def _identifier(name: str) -> str:
    text = re.sub(r"\W", "_", name)
    return text if text and not text[0].isdigit() else f"_{text}"


def _layers(layer):
    """The layers ``layer`` computes with: a model's (nested models' and ``Repeat`` blocks'
    included), a ``Repeat``'s block's, or itself; a model that states its ``input_format``
    is itself (its statement counts for its part)."""
    if isinstance(layer, Graph) and getattr(layer, "input_format", None) is None:
        for record in layer._records:
            yield from _layers(record.layer)
    elif isinstance(layer, Repeat):
        yield from _layers(layer.block)
    else:
        yield layer


def _stated_layout(layer) -> str | None:
    """The layout in which a model of ``layer`` reads its input, as the layer states it: its
    ``input_format`` (``symcnn.nn``'s layers, a model's as its builder states it:
    ``from_torch``'s channels first), else a spatial layer's ``data_format``; None for
    none."""
    stated = getattr(layer, "input_format", None)
    if stated is None and isinstance(layer, SpatialLayer):
        stated = getattr(layer, "data_format", None)
    return stated


def _channels_last(model: Graph) -> bool:
    """The model's layout: its ``input_format`` where it states one (``from_torch``'s
    models: channels first), else channels last (Keras' default) unless the layers that
    state one (:func:`_stated_layout`: PyTorch-named layers, a ``data_format``, a nested
    model's ``input_format``; inside nested models and ``Repeat`` blocks too) all state
    channels first. Inputs and outputs use it.

    >>> import symcnn as sc
    >>> block = sc.nn.Sequential(sc.nn.Conv2d(4, 4, 3, padding=1), input_shape=(4, 8, 8))
    >>> _channels_last(sc.nn.Sequential(sc.Repeat(block, 2), input_shape=(4, 8, 8)))
    False
    >>> _channels_last(sc.Sequential([sc.Input((8, 8, 4)), sc.Repeat(sc.Conv2D(4, 3), 2)]))
    True
    >>> x = sc.Input((4, 8))
    >>> _channels_last(sc.Model(x, sc.Activation("relu")(x), input_format="channels_first"))
    False
    """
    stated = {_stated_layout(layer) for layer in _layers(model)}
    return "channels_last" in stated or "channels_first" not in stated


#: Layers that compute on the symcnn layout (channels last stays last) in PyTorch; the
#: recurrent ones and attention read ``(N, T, x)``, as ``batch_first=True`` modules do, and
#: ViT's class token and position embedding ``(N, T, E)``. (``nn.ParameterAdd`` and
#: ``nn.ParameterMul`` keep their input's layout: their tensor follows it.)
_AS_IS = ("Dense", "Embedding", "LayerNormalization", "Reshape", "Permute",
          *emit.KERAS_RECURRENT, "MultiHeadAttention", "ClassToken", "PositionEmbedding",
          *attention_layers.HANDLERS)


def _wanted_layout(layer, shapes):
    """True: channels moved first; False: symcnn's own order; None: keep the input's."""
    if layer.type_name == "Slice" or isinstance(layer, TorchLayer):
        return False
    if isinstance(layer, SpatialLayer) and hasattr(layer, "data_format"):
        return layer.data_format == "channels_last"
    base = keras_base(layer)
    kind = base.__name__ if base else ""
    if kind in _AS_IS:
        return False
    if kind == "Normalization" or (kind == "Rescaling" and (
            isinstance(layer.scale, tuple) or isinstance(layer.offset, tuple))):
        return False  # constants on the symcnn axes (a channel's is the last)
    if kind == "PReLU":  # torch.nn.PReLU's slopes lie along dim 1
        return emit.prelu_layout(layer, shapes[0])
    if kind == "Flatten":  # Keras' order (channels_first moves axis 1 last first): the flat
        return False  # tensor, and so a Dense after it, as Keras has it
    if kind.startswith("SpatialDropout"):  # nn.DropoutNd drops whole channels of dim 1
        return getattr(layer, "data_format", None) != "channels_first"
    if kind in ("BatchNormalization", "GroupNormalization") and isinstance(layer.axis, int):
        rank = len(shapes[0])
        axis = layer.axis if layer.axis >= 0 else rank + 1 + layer.axis
        return True if axis == rank and rank >= 2 else False if axis == 1 else None
    return None


class _Builder:
    """Emits the fx graph: one call (and at most one weighted submodule) per layer call."""

    def __init__(self, channels_last: bool, problems: Problems) -> None:
        self.default = channels_last
        self.problems = problems
        self.graph = fx.Graph()
        self.modules: dict = {}
        self.values: dict = {}  # id(symcnn Tensor) -> fx node
        self.layouts: dict = {}  # id(symcnn Tensor) -> whether its channels are moved first
        self.made: dict = {}  # (prefix, id(layer)) -> module target
        self.frozen: list = []
        self.repeats: dict = {}  # (id(Repeat), input shapes) -> its written-out graph, count
        self.masked: dict = {}  # id(symcnn Tensor) -> the layer whose Keras mask it may carry
        self.conversions: dict = {}  # (fx node, layout) -> the node in that layout
        self.now_moved = False  # the layout of the layer being emitted

    # -- graph helpers used by the emitters ---------------------------------------------

    def call(self, fn, *args, **kwargs):
        return self.graph.call_function(fn, args, kwargs)

    def method(self, name: str, *args):
        return self.graph.call_method(name, args)

    def submodule(self, key, target: str, make) -> str:
        """The target of the layer's submodule, made once (shared layers share it)."""
        if key not in self.made:
            try:
                module = make()
            except (ValueError, TypeError, RuntimeError) as err:  # PyTorch's own refusals
                raise emit.Unsupported(f"PyTorch refuses it: {str(err).splitlines()[0]}") from None
            self.modules[target] = module
            self.made[key] = target
        return self.made[key]

    def convert(self, x, shape, moved: bool, to: bool):
        """``x`` (a tensor of symcnn shape ``shape``) from one layout to the other."""
        if len(shape) < 2 or moved == to or x is None:
            return x
        return self.call(torch.movedim, x, 1, -1) if moved else self.call(torch.movedim, x, -1, 1)

    def converted(self, tensor, to: bool):
        """``tensor``'s value in the layout ``to``, converted once: layers that read one
        tensor in the other layout share one ``movedim`` (as a hand-written module would)."""
        value = self.values[id(tensor)]
        if value is None:
            return None
        key = (value, to, len(tensor.shape))
        if key not in self.conversions:
            self.conversions[key] = self.convert(value, tensor.shape, self.layouts[id(tensor)],
                                                 to)
        elif self.conversions[key] is not value:  # a second reader: one copy for both
            node = self.conversions[key]
            if not (node.op == "call_method" and node.target == "contiguous"):
                with self.graph.inserting_after(node):
                    copy = self.graph.call_method("contiguous", (node,))
                node.replace_all_uses_with(copy, delete_user_cb=lambda user: user is not copy)
                self.conversions[key] = copy
        return self.conversions[key]

    def torch_dim(self, axis: int, rank: int) -> int:
        """A symcnn axis (batch axis 0, negatives from the end) as a PyTorch dim."""
        axis = axis if axis >= 0 else rank + 1 + axis
        if not self.now_moved or rank < 2 or axis == 0:  # the batch stays first
            return axis
        return 1 if axis == rank else axis + 1

    # -- walking the model ----------------------------------------------------------------

    def model(self, model: Graph, prefix: str) -> None:
        names = {id(r.layer): r.name for r in model._records}
        for node in model.nodes:
            if isinstance(node.layer, InputLayer):
                continue
            name = prefix + names[id(node.layer)]
            if isinstance(node.layer, Graph):
                self._nested(node, name)
                continue
            if isinstance(node.layer, Repeat):
                self._repeat(node, name)
                continue
            wanted = _wanted_layout(node.layer, node.input_shapes)
            first = node.inputs[0]
            self.now_moved = self.layouts[id(first)] if wanted is None else wanted
            if len(first.shape) < 2 and wanted is None:
                self.now_moved = self.default
            inputs = [self.converted(t, self.now_moved) for t in node.inputs]
            try:
                out = self.layer(node, inputs, name, prefix)
            except emit.Unsupported as err:
                self.problems.add(f"layer '{name}' ({node.layer.type_name})", str(err))
                out = None
            outs = out if isinstance(out, list) else [out] * len(node.outputs)
            mask = _mask_source(node.layer, name) or next(
                (self.masked[id(t)] for t in node.inputs if id(t) in self.masked), None)
            for t, value in zip(node.outputs, outs):  # a recurrent layer: one per output
                self.values[id(t)] = value
                self.layouts[id(t)] = self.now_moved and len(t.shape) >= 2
                if mask is not None:
                    self.masked[id(t)] = mask

    def _nested(self, node, name: str) -> None:
        inner: Graph = node.layer
        for t, outer in zip(inner.inputs, node.inputs):
            self._carry(outer, t)
        if any(not _same_shape(a.shape, b) for a, b in zip(inner.inputs, node.input_shapes)):
            self.problems.add(f"model '{name}'", "a nested model called on another input shape "
                                                 "than it was built for")
            return
        self.model(inner, prefix=name + ".")
        for outer, t in zip(node.outputs, inner.outputs):
            self._carry(t, outer)

    def _repeat(self, node, name: str) -> None:
        """``Repeat(block, n)`` written out: ``n`` repetitions of the block, each with its own
        modules (under ``name.1.``, ``name.2.``, ...; ``name.`` for a single one), chained;
        none for ``n = 0`` (the input passes through). A block that changes the shape is
        written out repetition by repetition on the shapes each receives
        (:meth:`~symcnn.layers.repeat.Repeat.inner_graph`)."""
        layer: Repeat = node.layer
        found = written_out(self.repeats, node)
        if found is None or not is_count(found[1]):
            self.problems.add(f"layer '{name}' (Repeat)",
                              f"a symbolic number of repetitions ({layer.times}); substitute "
                              f"it first: model.subs(...).to_torch()")
            for t in node.outputs:
                self.values[id(t)], self.layouts[id(t)] = None, False
            return
        graph, times = found[0], int(found[1])
        before = set(self.modules)
        (current,) = node.inputs
        for i in range(times):
            self._carry(current, graph.inputs[0])
            self.model(graph, prefix=f"{name}.{i + 1}." if times > 1 else f"{name}.")
            (current,) = graph.outputs
        (out,) = node.outputs
        self._carry(current, out)
        if not layer.trainable:  # Repeat(..., trainable=False): every repetition frozen
            self.frozen.extend(t for t in self.modules if t not in before
                               and t not in self.frozen)

    def _carry(self, source, target) -> None:
        """``target`` (a symcnn tensor) is the value ``source`` has."""
        self.values[id(target)] = self.values[id(source)]
        self.layouts[id(target)] = self.layouts[id(source)]
        if id(source) in self.masked:
            self.masked[id(target)] = self.masked[id(source)]

    def layer(self, node, inputs: list, name: str, prefix: str):
        layer: Layer = node.layer
        shapes = [tuple(as_int(s)) for s in node.input_shapes]
        out_shape = tuple(as_int(node.outputs[0].shape))
        key = (prefix, id(layer))
        if layer.type_name == "Slice":
            index = (slice(None), *(slice(a, c) for a, c in layer.slices))
            return self.call(operator.getitem, inputs[0], index)
        method = getattr(layer, "torch_method", None)
        if method is not None:  # a tensor method, no module (nn.Contiguous: x.contiguous())
            return self.method(method, inputs[0])
        if isinstance(layer, TorchLayer) and layer.type_name in emit.RECURRENT:
            return emit.recurrent(self, layer, inputs, key, name)
        if isinstance(layer, TorchLayer):
            cls = getattr(tnn, layer.type_name)
            config = {k: as_int(v) for k, v in layer.get_config().items()
                      if k not in ("name", "trainable")}
            target = self.submodule(key, name, lambda: cls(**config))
            self._freeze(layer, target)
            ids = getattr(layer, "reads_token_ids", False)  # a float tensor of ids works too
            x = self.graph.call_method("long", (inputs[0],)) if ids else inputs[0]
            return self.graph.call_module(target, (x,))
        if getattr(layer, "keras_passthrough", False):
            return inputs[0]
        if getattr(layer, "lora_rank", None) is not None:  # torch.nn has no LoRA factors
            raise emit.Unsupported(f"lora_rank={layer.lora_rank}: torch.nn has no low-rank "
                                   f"factors, so the counts would differ (the kernel would "
                                   f"train and the factors would be missing)")
        base = keras_base(layer)
        if base is not None and base.__name__ in _READS_MASK:
            masks = [self.masked[id(t)] for t in node.inputs if id(t) in self.masked]
            if masks:
                raise emit.Unsupported(f"its input may carry the mask of {masks[0]}: "
                                       f"{_READS_MASK[base.__name__]}")
        if base is not None and base.__name__ in emit.KERAS_RECURRENT:
            return emit.keras_recurrent(self, layer, inputs, shapes, key, name)
        # symcnn.nn's own blocks by name (a user's layer named after a Keras one is not it)
        kind = base.__name__ if base else layer.type_name if layer.type_name in _OWN else None
        handler = emit.HANDLERS.get(kind) or attention_layers.HANDLERS.get(kind)
        if handler is None:
            raise emit.Unsupported(f"no PyTorch equivalent for {layer.type_name}")
        out = handler(self, layer, inputs, shapes, out_shape, key, name)
        activation = getattr(layer, "activation", None)
        if activation is not None and kind != "Activation":
            out = emit.activation(self, activation, out, out_shape)
        return out

    def _freeze(self, layer: Layer, target: str) -> None:
        if not layer.trainable and target not in self.frozen:
            self.frozen.append(target)


#: The layers without a Keras base that the export builds, by their type name.
_OWN = ("ParameterAdd", "ParameterMul")

_RECURRENT_MASK = ("Keras' recurrent layers skip the masked steps, PyTorch's modules read "
                   "every step")

#: The Keras layers whose values depend on a Keras mask their input carries, and why the
#: PyTorch module would compute another function.
_READS_MASK = {
    **{kind: _RECURRENT_MASK for kind in emit.KERAS_RECURRENT},
    "MultiHeadAttention": "Keras' MultiHeadAttention leaves the masked keys out of the "
                          "attention, PyTorch's nn.MultiheadAttention attends to every key",
    **{kind: f"Keras' {kind} leaves the masked keys out of the attention, the exported "
             f"module attends to every key" for kind in (
                 "Attention", "AdditiveAttention", "GroupedQueryAttention")},
}


def _mask_source(layer: Layer, name: str) -> str | None:
    """The layer, as messages name it, if it hands Keras' mask on (``Embedding(mask_zero=
    True)``, ``Masking``); downstream tensors are taken to carry it."""
    if getattr(layer, "mask_zero", False) or layer.type_name == "Masking":
        return f"{layer.type_name} '{name}'"
    return None


def _same_shape(a, b) -> bool:
    return len(a) == len(b) and all(x == y for x, y in zip(a, b))

