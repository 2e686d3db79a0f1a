"""Export a symcnn model to Keras 3: ``model.to_keras()``.

The result is a real ``keras.Sequential`` (for a :class:`~symcnn.model.Sequential` without
nested models or ``Elementwise`` layers) or functional ``keras.Model``, with the same layer
names, output shapes and parameter counts, ready to compile and train. Every size must be a number
(``model.subs(H=224, W=224)`` first). PyTorch-named layers (:mod:`symcnn.nn`) become their
Keras equivalents with ``data_format="channels_first"``. What Keras cannot say directly is
rewritten with the same shapes: explicit padding and PyTorch's ``ceil_mode`` become Keras'
``same`` where that reads the same input elements and gives the same values
(:func:`~symcnn.interop.keras_padding.same_is_exact`: a stride-1 convolution padded by
``(k - 1)/2`` at any size, a stride-2 one only on odd sizes), and otherwise a ``ZeroPadding`` layer before a ``valid``
one, as in Keras' own applications (ResNet's ``pool1_pad``); a max pooling padded so gives
PyTorch's values on inputs that are not negative (after a ReLU), as Keras' ResNet does. A
transposed convolution's ``padding`` becomes ``Cropping``. Arguments that change values
only (``epsilon``, ``momentum``, ``interpolation``) are passed on. The layers of Keras'
applications become what Keras builds them of: ``Elementwise(op, constant)`` (``x op
constant``) the ``keras.ops`` operation Keras records for it, ``LayerScale`` and
``CustomScaleLayer`` the classes of ``keras.src.applications``. Nested models are
inlined; dots in names (from PyTorch) become underscores.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((28, 28, 1)), sc.Conv2D(8, 3, activation="relu"),
...                    sc.MaxPooling2D(2), sc.Flatten(), sc.Dense(10)], name="small")
>>> k = m.to_keras()
>>> k.count_params() == m.params, tuple(k.output_shape[1:]) == m.output_shape
(True, True)
"""

from __future__ import annotations

import importlib
import inspect
import math
import re

from ..layers.base import Graph, Layer
from ..layers.core import InputLayer
from ..layers.repeat import Repeat
from ..layers.scale import CustomScaleLayer, Elementwise, LayerScale
from ..nn._base import TORCH_ONLY_ARGS, TorchLayer
from ..layers.spatial import split_channels
from ._common import (Problems, as_int, import_framework, is_count, keras_base,
                      masked_refusal, require_numeric, written_out)
from .keras_padding import same_is_exact

__all__ = ["to_keras"]


class _Unsupported(Exception):
    pass


#: PyTorch's activation arguments that Keras' activation of the same name fixes (to these
#: values): other values compute another function, so they are refused (except GELU's
#: ``approximate="tanh"``, built of Keras layers by ``_Builder._gelu_tanh``).
_ACTIVATION_ASSUMES = {"CELU": {"alpha": 1.0}, "Hardtanh": {"min_val": -1.0, "max_val": 1.0},
                       "Softplus": {"beta": 1.0, "threshold": 20.0},
                       "GELU": {"approximate": "none"}}

#: PyTorch's recurrent modules (:mod:`symcnn.nn.recurrent`) and the Keras layer of each.
_RECURRENT = {"RNN": "SimpleRNN", "GRU": "GRU", "LSTM": "LSTM"}


def to_keras(model: Graph):
    """A real Keras 3 model with ``model``'s layers, shapes and parameter counts.

    >>> import symcnn as sc
    >>> m = sc.nn.Sequential(sc.nn.Conv2d(3, 8, 3, padding=1), sc.nn.MaxPool2d(3, 2, padding=1),
    ...                      input_shape=(3, "H", "W"))
    >>> k = m.subs(H=15, W=15).to_keras()
    >>> [(layer.__class__.__name__, layer.padding) for layer in k.layers]
    [('Conv2D', 'same'), ('MaxPooling2D', 'same')]
    >>> tuple(k.output_shape[1:]), m.subs(H=15, W=15).output_shape
    ((8, 8, 8), (8, 8, 8))
    >>> [layer.__class__.__name__ for layer in m.subs(H=16, W=16).to_keras().layers]
    ['Conv2D', 'ZeroPadding2D', 'MaxPooling2D']
    """
    require_numeric(model, "model.to_keras")
    keras = import_framework("keras")
    builder = _Builder(keras, Problems("model.to_keras", target="Keras"))
    inputs = []
    for tensor in model.inputs:
        name = builder.unique(tensor.node.layer.name or "input_layer")
        x = keras.Input(tuple(as_int(tensor.shape)), name=name)
        builder.values[id(tensor)] = x
        inputs.append(x)
    builder.model(model, prefix="")
    builder.problems.raise_if_any("Replace these layers, or build the Keras model by hand.")
    outputs = [builder.values[id(t)] for t in model.outputs]
    name = _clean_name(model.display_name)
    if model.is_sequential and not builder.nested and not builder.functional:
        shape = tuple(as_int(model.inputs[0].shape))
        return _frozen_again(keras.Sequential(
            [keras.Input(shape, name=inputs[0].name), *builder.stack], name=name))
    single_in = len(inputs) == 1 and not isinstance(model.input_shape, list)
    single_out = len(outputs) == 1 and not isinstance(model.output_shape, list)
    return _frozen_again(keras.Model(inputs[0] if single_in else inputs,
                                     outputs[0] if single_out else outputs, name=name))


def _frozen_again(built):
    """``built`` with each frozen layer frozen again now that it is built: Keras 3 freezes
    the weights a layer makes in ``build`` only when ``trainable`` is set after it
    (``MultiHeadAttention(trainable=False)`` kept its projections trainable)."""
    for layer in getattr(built, "layers", ()):
        if not layer.trainable:
            layer.trainable = False
        elif hasattr(layer, "layers"):  # a nested model: its own frozen layers
            _frozen_again(layer)
    return built


#: Arguments a Keras layer takes through ``**kwargs``: for its base class
#: (``Conv2D(..., lora_rank=4)`` hands it to ``BaseConv``), or popped from them
#: (``LayerNormalization(rms_scaling=True)``, deprecated in Keras 3).
_BASE_ARGS = {"lora_rank", "rms_scaling"}


def _make(cls, config: dict, **extra):
    """``cls(**config)``, leaving out arguments Keras lacks while they are at a neutral value."""
    params = inspect.signature(cls.__init__).parameters
    passed_on = any(p.kind is p.VAR_KEYWORD for p in params.values())
    kwargs = {}
    for key, value in config.items():
        if key in params or key in _BASE_ARGS and passed_on:
            one = isinstance(value, tuple) and len(value) == 1 and isinstance(value[0], int)
            kwargs[key] = value[0] if one and cls.__name__.endswith("1D") else value  # size=2
        elif value is None or value is False or value == 1 or (
                isinstance(value, tuple) and all(v == 1 for v in value)) or (
                key == "data_format" and value == "channels_last"):  # Cropping1D, ...: only
            continue  # channels last, as Keras' layers without the argument
        else:
            raise _Unsupported(f"`{key}` has no Keras equivalent for {cls.__name__}. "
                               f"Received: {key}={value!r}")
    trainable = extra.pop("trainable", True)
    if "trainable" in params or passed_on:
        extra["trainable"] = trainable
    try:
        made = cls(**kwargs, **extra)
    except (ValueError, TypeError) as err:  # Keras' own refusals, e.g. strides with dilation
        raise _Unsupported(f"Keras refuses {cls.__name__}({_show(kwargs)}): "
                           f"{str(err).splitlines()[0]}") from None
    if not trainable:  # a layer whose constructor lacks the argument (SpatialDropout1D)
        made.trainable = False
    return made


def _extras(layer: Layer, cls) -> dict:
    """The arguments a layer keeps aside as changing no count (``epsilon``, ``momentum``,
    ``interpolation``, initializers) that ``cls`` takes: they change the values, so the Keras
    layer gets them. PyTorch's batch-norm ``momentum`` weighs the new batch, Keras' the old
    average: ``1 - momentum``."""
    params = inspect.signature(cls.__init__).parameters
    extras = {k: v for k, v in layer._extra.items() if k in params}
    if isinstance(layer, TorchLayer) and extras.get("momentum") is not None:
        extras["momentum"] = 1 - extras["momentum"]
    return extras


def _show(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def _clean_name(name: str) -> str:
    return re.sub(r"[./\s]", "_", name)


class _Builder:
    def __init__(self, keras, problems: Problems) -> None:
        self.keras = keras
        self.problems = problems
        self.values: dict = {}
        self.made: dict = {}  # (prefix, id(layer)) -> list of keras layers
        self.names: set = set()
        self.stack: list = []  # keras layers in call order (for a Sequential)
        self.nested = False
        self.functional = False  # a keras.ops call: not a layer, so no keras.Sequential
        self.repeats: dict = {}  # (id(Repeat), input shapes) -> its written-out graph, count

    def unique(self, name: str) -> str:
        base = _clean_name(name)
        candidate, k = base, 1
        while candidate in self.names:
            candidate, k = f"{base}_{k}", k + 1
        self.names.add(candidate)
        return candidate

    def model(self, model: Graph, prefix: str) -> None:
        names = {id(r.layer): r.name for r in model._records}
        for node in model.nodes:
            if isinstance(node.layer, InputLayer):
                continue
            name = prefix + names[id(node.layer)]
            inputs = [self.values.get(id(t)) for t in node.inputs]
            if isinstance(node.layer, Graph):
                self.nested = True
                for t, value in zip(node.layer.inputs, inputs):
                    self.values[id(t)] = value
                self.model(node.layer, prefix=name + "_")
                for outer, t in zip(node.outputs, node.layer.outputs):
                    self.values[id(outer)] = self.values.get(id(t))
                continue
            if isinstance(node.layer, Repeat):
                self._repeat(node, name, inputs[0])
                continue
            key = (prefix, id(node.layer))
            if node.computed.params == 0:  # no weights to share: one Keras layer per call,
                key += (tuple(map(tuple, node.input_shapes)),)  # as sizes may shape it
            if key not in self.made:
                try:
                    self.made[key] = self.layers(node, name)
                except _Unsupported as err:
                    self.problems.add(f"layer '{name}' ({node.layer.type_name})", str(err))
                    self.made[key] = None
            made = self.made[key]
            if made is None or any(x is None for x in inputs):
                for t in node.outputs:
                    self.values[id(t)] = None
                continue
            x = inputs if len(inputs) > 1 else inputs[0]
            unpack = getattr(node.layer, "keras_call_unpacked", False)  # mha(query, value)
            try:
                for keras_layer in made:
                    x = keras_layer(*x) if unpack and isinstance(x, list) else keras_layer(x)
                    self.stack.append(keras_layer)
            except (ValueError, TypeError) as err:  # Keras refuses the call itself
                self.problems.add(f"layer '{name}' ({node.layer.type_name})",
                                  f"Keras refuses the call: {str(err).strip().splitlines()[0]}")
                x = None
            if len(node.outputs) > 1 and isinstance(x, (list, tuple)):  # returned states
                for t, value in zip(node.outputs, x):
                    self.values[id(t)] = value
                continue
            self.values[id(node.outputs[0])] = x

    def _repeat(self, node, name: str, value) -> None:
        """``Repeat(block, n)`` written out: ``n`` repetitions of the block, each with its own
        layers (named ``name_1_...``, ``name_2_...``; ``name_...`` for a single one), chained;
        an ``Identity`` layer for ``n = 0`` (the input passes through). A block that changes
        the shape is written out repetition by repetition on the shapes each receives
        (:meth:`~symcnn.layers.repeat.Repeat.inner_graph`)."""
        layer: Repeat = node.layer
        found = written_out(self.repeats, node)
        times = found[1] if found is not None else None
        if not is_count(times):
            self.problems.add(f"layer '{name}' (Repeat)",
                              f"a symbolic number of repetitions ({layer.times}); substitute "
                              f"it first: model.subs(...).to_keras()")
            self.values[id(node.outputs[0])] = None
            return
        graph, times = found[0], int(times)
        made_before = len(self.stack)
        if times == 0 and value is not None:  # a layer, so that a model of it alone builds
            identity = self.keras.layers.Identity(name=self.unique(name))
            value = identity(value)
            self.stack.append(identity)
        for i in range(times):
            self.values[id(graph.inputs[0])] = value
            self.model(graph, prefix=f"{name}_{i + 1}_" if times > 1 else f"{name}_")
            value = self.values.get(id(graph.outputs[0]))
        self.values[id(node.outputs[0])] = value
        if not layer.trainable:  # Repeat(..., trainable=False): every repetition frozen
            for keras_layer in self.stack[made_before:]:
                if hasattr(keras_layer, "trainable"):
                    keras_layer.trainable = False

    # -- one symcnn layer -> Keras layers ------------------------------------------------

    def layers(self, node, name: str) -> list:
        layer: Layer = node.layer
        K = self.keras.layers
        shape = tuple(as_int(node.input_shapes[0]))
        out_shape = tuple(as_int(node.outputs[0].shape))
        if getattr(layer, "keras_passthrough", False):
            return [K.Identity(name=self.unique(name))]
        masked = masked_refusal(layer)
        if masked:
            raise _Unsupported(masked)
        special = self._torch_only(layer, K, shape, out_shape, name)
        if special is None:
            special = self._scale_layers(layer, shape, name)
        if special is not None:
            return special
        base = keras_base(layer)
        # the name Keras exports the class under, where it differs (GroupQueryAttention)
        kind = getattr(base, "keras_name", None) or getattr(base, "__name__", "")
        if base is None or not hasattr(K, kind):
            raise _Unsupported(f"no Keras equivalent for {layer.type_name}")
        config = {k: as_int(v) for k, v in layer._config.items() if k not in TORCH_ONLY_ARGS}
        config.pop("ceil_mode", None)
        for key, value in config.items():  # a wrapped layer (Bidirectional's) made unbuilt
            if isinstance(value, Layer):
                inner = keras_base(value)
                config[key] = _make(getattr(K, inner.__name__), {
                    k: as_int(v) for k, v in value._config.items()}, trainable=value.trainable)
        if "Transpose" in kind and not isinstance(config.get("padding"), str):
            return self._transpose(layer, config, name)
        before: list = []
        explicit = "padding" in config and not isinstance(config["padding"], str)
        if (explicit or getattr(layer, "ceil_mode", False)) and "ZeroPadding" not in kind:
            before = self._explicit_padding(layer, config, shape, out_shape, name)
        if kind.startswith("Adaptive") and None in config["output_size"]:
            spatial, _ = split_channels(shape, layer.data_format)
            config["output_size"] = tuple(i if o is None else o
                                          for i, o in zip(spatial, config["output_size"]))
        if kind == "EinsumDense" and None in config["output_shape"]:  # Keras carries the
            config["output_shape"] = as_int(layer.filled_output_shape(shape))  # None on
        for key in ("padding", "cropping"):  # Keras' 1D layers take one (before, after) pair
            if kind.endswith("1D") and isinstance(config.get(key), tuple) and \
                    isinstance(config[key][0], tuple):
                config[key] = config[key][0]
        config.update(_extras(layer, getattr(K, kind)))
        made = _make(getattr(K, kind), config, name=self.unique(name), trainable=layer.trainable)
        return [*before, made]

    def _torch_only(self, layer, K, shape, out_shape, name: str):
        """Keras layers for PyTorch-named layers that have no Keras-named parent to copy."""
        if not isinstance(layer, TorchLayer):
            return None
        if getattr(layer, "track_running_stats", True) is False:
            raise _Unsupported("track_running_stats=False (Keras always keeps the running "
                               "statistics, 2*C more non-trainable weights)")
        if any(d != 1 for d in getattr(layer, "dilation", None) or ()) and "Pool" in layer.type_name:
            raise _Unsupported("a dilated max pooling (Keras pooling has no dilation)")
        kind = layer.type_name
        if kind == "Embedding" and layer._torch.get("max_norm") is not None:
            raise _Unsupported(
                f"max_norm={layer._torch['max_norm']!r}: PyTorch renormalizes each row it "
                f"looks up to a norm of at most max_norm (norm_type="
                f"{layer._torch.get('norm_type', 2.0)!r}), in the weights too; Keras' "
                f"Embedding has no such argument (embeddings_constraint=MaxNorm rescales the "
                f"weights after each optimizer step only, never in the call), so the values "
                f"would differ")
        if kind in _RECURRENT:
            return [self._recurrent(layer, shape, name)]
        if kind == "Unflatten" or kind == "Flatten" and len(out_shape) != 1:
            return [K.Reshape(out_shape, name=self.unique(name))]
        if kind == "Upsample":
            return [self._upsample(layer, K, shape, out_shape, name)]
        if getattr(layer, "padding_mode", "zeros") != "zeros":
            raise _Unsupported(f"padding_mode={layer.padding_mode!r} (Keras convolutions pad "
                               f"with zeros only, which gives other values)")
        if getattr(layer, "_mode", "constant") != "constant":  # ReflectionPad2d, ...
            raise _Unsupported(f"{layer._mode} padding (Keras pads with zeros only, which "
                               f"gives other values)")
        if kind == "GELU" and layer._torch.get("approximate") == "tanh":
            return [self._gelu_tanh(shape, name)]
        for arg, keras_value in _ACTIVATION_ASSUMES.get(kind, {}).items():
            if layer._torch.get(arg, keras_value) != keras_value:  # nn.CELU(alpha=2.0)
                raise _Unsupported(
                    f"{arg}={layer._torch[arg]!r} (Keras' '{layer.activation}' activation "
                    f"computes with {arg}={keras_value!r}, which gives other values)")
        if kind in ("Softmax", "LogSoftmax") and layer._torch.get("dim") is None and \
                len(shape) != 1:  # PyTorch's implicit dim: 0 for 3 axes, else 1
            raise _Unsupported(f"dim=None on {len(shape) + 1} axes (PyTorch picks dim "
                               f"{0 if len(shape) == 2 else 1} implicitly, deprecated; give "
                               f"dim)")
        if kind == "LogSoftmax" and layer._torch.get("dim") not in (None, -1, len(shape)):
            raise _Unsupported(  # Keras' log_softmax: the last axis (the batch axis is dim 0)
                f"dim={layer._torch.get('dim')!r} (Keras' 'log_softmax' activation normalizes "
                f"the last axis, dim={len(shape)} here, which gives other values)")
        if layer._torch.get("value", 0) != 0:  # ConstantPad2d(1, 3.0)
            raise _Unsupported(f"padding with value={layer._torch['value']!r} (Keras pads "
                               f"with zeros only, which gives other values)")
        if kind.endswith(("Pad1d", "Pad2d", "Pad3d")) and any(
                v < 0 for pair in layer.padding for v in pair):  # negative amounts crop
            rank = len(layer.padding)
            grow = tuple((max(int(a), 0), max(int(b), 0)) for a, b in layer.padding)
            cut = tuple((max(-int(a), 0), max(-int(b), 0)) for a, b in layer.padding)
            if rank == 1:
                raise _Unsupported("negative padding on a channels-first 1D input (Keras' "
                                   "Cropping1D is channels last)")
            made = []
            if any(a or b for a, b in grow):
                made.append(getattr(K, f"ZeroPadding{rank}D")(
                    grow, data_format="channels_first", name=self.unique(name + "_pad")))
            made.append(getattr(K, f"Cropping{rank}D")(cut, data_format="channels_first",
                                                        name=self.unique(name)))
            return made
        if kind == "Slice":
            positions = layer.positions(shape)  # bounds past an end are clipped
            if positions[0] != (0, shape[0]) or not 2 <= len(shape) - 1 <= 3:
                raise _Unsupported("a slice that is not a 2D or 3D crop of the spatial axes")
            crops = [(int(begin), int(size - end))
                     for size, (begin, end) in zip(shape[1:], positions[1:])]
            cls = getattr(K, f"Cropping{len(crops)}D")
            return [cls(tuple(crops), data_format="channels_first", name=self.unique(name))]
        if kind == "PReLU":
            return [self._prelu(layer, K, shape, name)]
        return None

    def _scale_layers(self, layer, shape, name: str):
        """The scale layers of Keras' applications as Keras builds them: ``Elementwise`` as
        the ``keras.ops`` call Keras records for ``x + 3.0`` (``_keras_op``);
        ``LayerScale`` and ``CustomScaleLayer`` as the classes of
        ``keras.src.applications.convnext`` and ``...inception_resnet_v2``, which Keras'
        config names by module, so ``model_from_json`` and ``.keras`` files reload them."""
        if isinstance(layer, Elementwise):
            self.functional = True
            return [self._keras_op(layer, name)]
        if not isinstance(layer, (LayerScale, CustomScaleLayer)):
            return None
        kind = "LayerScale" if isinstance(layer, LayerScale) else "CustomScaleLayer"
        module = "convnext" if kind == "LayerScale" else "inception_resnet_v2"
        try:
            cls = getattr(importlib.import_module(f"keras.src.applications.{module}"), kind)
        except (ImportError, AttributeError):
            raise _Unsupported(f"this Keras has no keras.src.applications.{module}.{kind}"
                               ) from None
        if kind == "LayerScale":  # left out, projection_dim is the input's width
            dim = layer.projection_dim
            args = {"init_values": layer.init_values,
                    "projection_dim": int(shape[-1] if dim is None else dim)}
        else:
            args = {"scale": layer.scale}
        return [cls(**args, name=self.unique(name), trainable=layer.trainable)]

    def _keras_op(self, layer, name: str):
        """``Elementwise(op, constant)``, ``x op constant``, as the ``keras.ops`` operation
        Keras records for it (``keras.src.ops.numpy.Add``, ...), named as the layer: a
        callable of the tensor, called in the functional model (an operation is not a layer,
        so the model cannot be a ``keras.Sequential``)."""
        if layer.constant is None:
            raise _Unsupported(f"an Elementwise {layer.op!r} without a constant (the "
                               f"keras.ops call would lack its second operand)")
        try:
            from keras.src.ops import numpy as ops
            cls = getattr(ops, "".join(part.title() for part in layer.op.split("_")))
        except (ImportError, AttributeError):
            raise _Unsupported(f"this Keras has no keras.ops operation for {layer.op!r}"
                               ) from None
        operation, constant = cls(name=self.unique(name)), layer.constant
        if getattr(layer, "constant_first", False):  # 3.0 - x, as Keras records it
            return lambda x: operation(constant, x)
        return lambda x: operation(x, constant)

    def _recurrent(self, layer, shape, name: str):
        """``nn.RNN``/``GRU``/``LSTM`` as one functional Keras model named as the layer,
        returning PyTorch's outputs: the sequence, then ``h_n`` (and ``c_n``) of shape
        ``(D*num_layers, H)`` after the batch axis, in PyTorch's order (layer by layer,
        forward before backward). Its layers: one Keras ``SimpleRNN``/``GRU``/``LSTM`` per
        PyTorch layer (in ``Bidirectional`` when bidirectional, ``Dropout`` between them).
        PyTorch's two biases per gate: Keras' GRU with ``reset_after=True`` has them too;
        Keras' SimpleRNN and LSTM have one, so they are exported with ``bias=False`` only.
        ``batch_first`` changes nothing: symcnn's shapes have no batch axis, and the model
        takes ``(batch, T, input_size)`` as Keras (and :meth:`~symcnn.Model.to_torch`) does.
        ``T`` is left free, so a layer called on sequences of several lengths is one model."""
        keras, kind = self.keras, layer.type_name
        K = keras.layers
        H, L, D = int(layer.hidden_size), int(layer.num_layers), layer.directions
        if layer.projected:
            raise _Unsupported("proj_size (Keras' LSTM has no projection of its state)")
        if layer.bias and kind != "GRU":
            per = layer.gates * H
            raise _Unsupported(
                f"bias=True: PyTorch's {kind} has two bias vectors per gate (b_ih and b_hh, "
                f"{2 * per} per layer and direction), Keras' {_RECURRENT[kind]} one ({per}), "
                f"so the Keras model would have {per * L * D:,} fewer parameters; export "
                f"{kind}(..., bias=False), or build the model with sc.{_RECURRENT[kind]} "
                f"(Keras' layer). Received: bias=True")
        base = self.unique(name)
        cls = getattr(K, _RECURRENT[kind])
        options = {"units": H, "return_sequences": True, "return_state": True,
                   "use_bias": bool(layer.bias)}
        if kind == "GRU":
            options["reset_after"] = True  # PyTorch's candidate: r*(W_hn h + b_hn)
        if kind == "RNN":
            options["activation"] = layer.nonlinearity
        x = entry = keras.Input((None, shape[-1]))
        states: list = []
        for i in range(L):
            if i and layer.dropout:
                x = K.Dropout(layer.dropout, name=f"{base}_dropout_{i}")(x)
            cell = cls(**options, name=f"{base}_l{i}", trainable=layer.trainable)
            if D == 2:
                cell = K.Bidirectional(cell, merge_mode="concat", name=f"{base}_l{i}_bi",
                                       trainable=layer.trainable)
            x, *final = cell(x)
            per_direction = len(final) // D  # h (and c) of each direction in turn
            states.append([final[d * per_direction:(d + 1) * per_direction]
                           for d in range(D)])
        outputs = [x]
        for which in range(layer.states):  # h_n, then c_n: (D*L, H), rows layer-major
            rows = [K.Reshape((1, H))(per_layer[d][which])
                    for per_layer in states for d in range(D)]
            outputs.append(rows[0] if len(rows) == 1 else K.Concatenate(axis=1)(rows))
        return keras.Model(entry, outputs, name=base)

    def _gelu_tanh(self, shape, name: str):
        """``nn.GELU(approximate="tanh")``, ``0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3)))``
        (PyTorch's formula), as a functional Keras model named as the layer, of Keras' own
        layers: ``Multiply`` (``x**3``, the last product), ``Rescaling`` (the constants,
        ``0.5*t + 0.5`` for the last), ``Add`` and ``Activation("tanh")``. Keras' ``gelu``
        activation is the exact GELU, and ``Activation(keras.ops.gelu)`` (the tanh form)
        is saved as ``'gelu'``, so it reloads as the exact one; these layers save and reload
        as they are (``to_json``, ``.keras``)."""
        keras = self.keras
        K = keras.layers
        base = self.unique(name)
        x = keras.Input(shape, name=f"{base}_input")
        cube = K.Multiply(name=f"{base}_cube")([x, x, x])
        inner = K.Add(name=f"{base}_inner")([x, K.Rescaling(0.044715, name=f"{base}_kappa")(cube)])
        scaled = K.Rescaling(math.sqrt(2 / math.pi), name=f"{base}_beta")(inner)
        half = K.Rescaling(0.5, offset=0.5, name=f"{base}_half")(
            K.Activation("tanh", name=f"{base}_tanh")(scaled))
        return keras.Model(x, K.Multiply(name=f"{base}_gate")([x, half]), name=base)

    def _prelu(self, layer, K, shape, name: str):
        """``nn.PReLU`` as Keras' ``PReLU`` on the channels-first tensor: its one slope
        shared along every axis, or its slopes along the channels (axis 1) shared along the
        others; they start at PyTorch's ``init``."""
        shared = list(range(1 if layer.num_parameters == 1 else 2, len(shape) + 1))
        start = self.keras.initializers.Constant(layer._torch.get("init", 0.25))
        return _make(K.PReLU, {"shared_axes": shared or None}, name=self.unique(name),
                     trainable=layer.trainable, alpha_initializer=start)

    def _upsample(self, layer, K, shape, out_shape, name: str):
        """``nn.Upsample`` as Keras' ``UpSampling2D``/``3D`` (channels first): whole-number
        factors; ``nearest``, ``nearest-exact`` or ``area`` (all three repeat each element for
        whole-number factors), or ``bilinear`` without ``align_corners`` in 2D (the same
        values as PyTorch's, checked)."""
        n = len(shape) - 1
        target = f"UpSampling{n}D"
        if n == 1:
            raise _Unsupported("an Upsample of 1 spatial axis (Keras' UpSampling1D takes "
                               "channels-last input only, and this model is channels first)")
        if not hasattr(K, target):
            raise _Unsupported(f"an Upsample of {n} spatial axes (Keras has no {target})")
        factors = [o / i for o, i in zip(out_shape[1:], shape[1:])]
        if any(f != int(f) for f in factors):
            raise _Unsupported(f"an Upsample of {n} spatial axes from {tuple(shape[1:])} to "
                               f"{tuple(out_shape[1:])} (Keras' {target} repeats each element "
                               f"a whole number of times)")
        mode = layer._torch.get("mode", "nearest")
        if mode == "bilinear" and n == 2 and not layer._torch.get("align_corners"):
            extra = {"interpolation": "bilinear"}
        elif mode in ("nearest", "nearest-exact", "area"):  # for a whole-number factor f all
            extra = {}  # repeat each element f times: floor(o/f) = floor((o + 1/2)/f), and the
            # area of output o lies in element floor(o/f); so does Keras' "nearest"
        else:
            corners = ", align_corners=True" if layer._torch.get("align_corners") else ""
            also = ", and 'bilinear' without align_corners" if n == 2 else ""
            options = ("takes interpolation='nearest', 'bilinear', 'bicubic', 'lanczos3' or "
                       "'lanczos5', and its 'bicubic' is PyTorch's on the torch backend only: "
                       "the other backends use Keys' a=-0.5 kernel" if n == 2
                       else "has no interpolation argument")
            raise _Unsupported(f"an Upsample with mode={mode!r}{corners} (Keras' {target} "
                               f"interpolates as PyTorch does for 'nearest', "
                               f"'nearest-exact' and 'area'{also} only; it {options})")
        cls = getattr(K, target)
        return cls(tuple(int(f) for f in factors), data_format="channels_first",
                   name=self.unique(name), **extra)

    def _explicit_padding(self, layer, config: dict, shape, out_shape, name: str) -> list:
        """Keras-expressible padding: "same" where it is exactly the same (see
        :func:`~symcnn.interop.keras_padding.same_is_exact`), else "valid" after a ZeroPadding layer."""
        spatial, _ = split_channels(shape, layer.data_format)
        padding = config["padding"]
        pairs = [(0, 0)] * len(spatial) if padding == "valid" else [tuple(p) for p in padding]
        out_spatial, _ = split_channels(out_shape, layer.data_format)
        kernel = config.get("kernel_size") or config.get("pool_size")
        strides = config.get("strides")
        dilation = config.get("dilation_rate") or (1,) * len(pairs)
        grown = pairs
        if getattr(layer, "ceil_mode", False):  # pad the right so valid pooling rounds up
            grown = [(a, max(c, (o - 1) * s + k - i - a)) for (a, c), i, o, s, k
                     in zip(pairs, spatial, out_spatial, strides, kernel)]
        torch_args = getattr(layer, "_torch", {})
        average = "Average" in keras_base(layer).__name__
        if average and torch_args.get("divisor_override") is not None:
            raise _Unsupported(f"divisor_override={torch_args['divisor_override']!r} (Keras' "
                               f"AveragePooling divides by the number of elements averaged)")
        config["padding"] = "valid"
        if all(a == 0 and c == 0 for a, c in grown):
            return []
        pool = "Max" if "pool_size" in config and not average else "Average" if average else None
        include_pad = torch_args.get("count_include_pad", True)
        if same_is_exact(spatial, kernel, strides, dilation, pairs, out_spatial, pool,
                         include_pad):
            config["padding"] = "same"
            return []
        if average and not include_pad and any(a or c for a, c in pairs):
            raise _Unsupported("count_include_pad=False with a padding that Keras' 'same' does "
                               "not place the same way (Keras' ZeroPadding would count the "
                               "padded zeros)")
        if average and grown != pairs:
            raise _Unsupported("ceil_mode=True with a last window that runs past the padded "
                               "input (PyTorch divides it by the elements inside only; after "
                               "Keras' ZeroPadding the overhang would count, and Keras' "
                               "'same' places or counts the windows otherwise here)")
        K = self.keras.layers
        pad_cls = getattr(K, f"ZeroPadding{layer.rank}D")
        padding = grown[0] if layer.rank == 1 else tuple(grown)
        return [pad_cls(padding, data_format=layer.data_format, name=self.unique(name + "_pad"))]

    def _transpose(self, layer, config: dict, name: str) -> list:
        pairs = [tuple(p) for p in config["padding"]]
        if any(a != c for a, c in pairs):
            raise _Unsupported("asymmetric padding on a transposed convolution")
        op = config.get("output_padding") or (0,) * len(pairs)
        if any(o >= s for o, s in zip(op, config["strides"])):
            raise _Unsupported("output_padding >= stride (Keras requires it smaller)")
        config.update(padding="valid", output_padding=op)
        K = self.keras.layers
        made = [_make(getattr(K, keras_base(layer).__name__), config, name=self.unique(name),
                      trainable=layer.trainable)]
        if any(a for a, _ in pairs):
            if layer.rank == 1 and layer.data_format == "channels_first":
                raise _Unsupported("padding on a channels-first 1D transposed convolution")
            crop_cls = getattr(K, f"Cropping{layer.rank}D")
            kwargs = {} if layer.rank == 1 else {"data_format": layer.data_format}
            cropping = pairs[0] if layer.rank == 1 else tuple(pairs)
            made.append(crop_cls(cropping, name=self.unique(name + "_crop"), **kwargs))
        return made
