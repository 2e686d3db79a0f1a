"""Import Keras 3 models: a live model, its JSON config, or a ``.keras`` file, without Keras.

The JSON path reads the config dicts (``model.to_json()``) itself, so it needs no Keras
installed. Sequential and functional models, nested models and shared layers (one layer
called several times) are supported; layer names are kept, so the summary reads like Keras'.
``input_shape`` replaces the input size, for instance with symbols (``("H", "W", 3)``), to
get closed forms for the model. Input sizes left as ``None`` in Keras become symbols
(``H``, ``W``; ``L`` for sequences; ``D, H, W`` for volumes).

Layers without a symcnn equivalent (``Lambda``, custom layers, ...) are listed together in
one :class:`~symcnn.errors.ConversionError`.

>>> import json, symcnn as sc
>>> config = {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
...     {"class_name": "InputLayer", "config": {"batch_shape": [None, 32, 32, 3]}},
...     {"class_name": "Conv2D", "config": {"name": "conv", "filters": 8, "kernel_size": [3, 3],
...                                         "padding": "same", "activation": "relu"}},
...     {"class_name": "GlobalAveragePooling2D", "config": {"name": "gap"}},
...     {"class_name": "Dense", "config": {"name": "out", "units": 10}}]}}
>>> m = sc.from_keras(json.dumps(config), input_shape=("H", "W", 3))
>>> [(r.name, r.output_shape, r.params) for r in m.layers]
[('conv', (H, W, 8), 224), ('gap', (8,), 0), ('out', (10,), 90)]
"""

from __future__ import annotations

import inspect
import json
import os
import zipfile
from functools import lru_cache
from typing import Any

from .. import layers as _layers
from ..errors import ConversionError, SpecError, SymcnnError
from ..layers.base import _INERT_ARGS, _INERT_SUFFIXES, Tensor, snake_case
from ..layers.core import Identity, Input
from ..layers.scale import Elementwise
from ..model import Model, Sequential
from ..safe import brief
from ..safe_read import (MAX_NESTING, check_data, nesting_depth, read_text, read_zip_member,
                         regular_file)
from ._common import Problems
from .keras_checks import check_model_config

__all__ = ["from_keras", "load_keras_config"]

_MODELS = ("Sequential", "Functional", "Model")
#: Keras layers that keep their input's shape and have no weights.
_PASSTHROUGH = (
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
    "RandomContrast", "RandomBrightness", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization", "Masking",
)
#: Config keys that change neither shapes nor counts.
_IGNORED = {"dtype", "activity_regularizer", "renorm_clipping", "renorm_momentum", "sparse",
            "ragged", "optional", "batch_size", "build_config", "compile_config",
            "registered_name", "module"} | set(_INERT_ARGS)
#: Config keys harmless at these values only.
_HARMLESS = {"renorm": False, "lora_rank": None, "quantization_config": None}


def _symcnn_classes() -> dict:
    return _layers.layer_classes()


@lru_cache(maxsize=None)
def _passthrough(class_name: str) -> type:
    return type(class_name, (Identity,), {
        "__module__": __name__, "keras_passthrough": True,
        "__doc__": f"Keras ``{class_name}``: keeps the shape, no weights (imported).",
    })


def load_keras_config(source: Any) -> dict:
    """The Keras model config in ``source``: a dict, JSON text, a ``.json`` or ``.keras``
    file, or a live Keras model (through ``to_json()``, so Keras is not imported here).

    >>> load_keras_config('{"class_name": "Sequential", "config": {"layers": []}}')["class_name"]
    'Sequential'
    """
    if isinstance(source, dict):
        config = source
    elif isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if isinstance(source, str) and text.lstrip().startswith("{"):
            config = _parse(text, "the JSON text")
        elif os.path.exists(text):  # FIFOs and devices are refused there, not read
            config = _read_file(text)
        else:
            raise SpecError(f"from_keras: expected a Keras model, its JSON config or a .json/"
                            f".keras file; this string is neither JSON nor an existing file. "
                            f"Received: model_or_json={_short(text)!r}")
    elif hasattr(source, "to_json"):
        try:
            text = source.to_json()
        except Exception as err:  # subclassed Keras models cannot serialize their graph
            raise ConversionError(
                f"from_keras: the Keras model could not be serialized ({type(err).__name__}: "
                f"{err}). Subclassed keras.Model classes have no layer graph in their config; "
                f"rebuild it as a Sequential or functional model. Received: model_or_json="
                f"{type(source).__name__}") from None
        config = _parse(text, "model.to_json()")
    else:
        raise SpecError(f"from_keras: expected a Keras model, its JSON config (a string or "
                        f"dict) or a .json/.keras file. Received: model_or_json="
                        f"{type(source).__name__}")
    if not isinstance(config, dict) or config.get("class_name") not in _MODELS:
        name = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise SpecError(f"from_keras: the config is not a Keras Sequential or functional model "
                        f"(class_name should be one of {', '.join(_MODELS)}). "
                        f"Received: class_name={brief(name)}")
    return config


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _parse(text: str, what: str):
    if nesting_depth(text) > MAX_NESTING:
        raise SpecError(f"from_keras: {what} is nested deeper than {MAX_NESTING} levels. "
                        f"Received: {_short(text)!r}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"from_keras: {what} is not valid JSON ({err.msg} at line {err.lineno}, "
                        f"column {err.colno}). Received: {_short(text)!r}") from None
    except (ValueError, RecursionError) as err:  # an integer of over 4,300 digits, nesting
        raise SpecError(f"from_keras: {what} is not a readable Keras config "
                        f"({type(err).__name__}: {brief(str(err))}). "
                        f"Received: {_short(text)!r}") from None
    return check_data(data, f"from_keras: {what}")


def _read_file(path: str):
    # bounded reads (symcnn/safe_read.py): regular files only, zip members checked first
    regular_file(path)
    if zipfile.is_zipfile(path):
        return _parse(read_zip_member(path, "config.json"), f"config.json in {path}")
    if path.lower().endswith(".keras"):
        raise SpecError(f"from_keras: {path} is not a zip archive, so not a .keras model file. "
                        f"Received: model_or_json={path!r}")
    return _parse(read_text(path), path)


def from_keras(model_or_json: Any, input_shape=None) -> Model:
    """A symcnn model from a Keras 3 model, its JSON config, or a ``.json``/``.keras`` file.

    ``input_shape`` (without the batch axis; a list of shapes for several inputs) replaces
    the model's input size, e.g. with symbols to get closed forms.

    >>> import symcnn as sc
    >>> text = ('{"class_name": "Sequential", "config": {"layers": ['
    ...         '{"class_name": "InputLayer", "config": {"batch_shape": [null, null, null, 1]}},'
    ...         '{"class_name": "MaxPooling2D", "config": {"pool_size": [2, 2]}}]}}')
    >>> sc.from_keras(text).output_shape
    (floor(H/2), floor(W/2), 1)
    """
    config = load_keras_config(model_or_json)
    check_model_config(config)  # malformed structure: a SpecError that says where (issue 15)
    problems = Problems("from_keras")
    try:
        spec = _Spec(config, problems, trainable=True, where="")
        problems.raise_if_any("Rebuild these with supported layers, or compute them by hand.")
        shapes = None
        if input_shape is not None:
            many = isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list))
            shapes = [tuple(s) for s in input_shape] if many else [tuple(input_shape)]
        return spec.build(shapes)
    except SymcnnError:
        raise
    except (AttributeError, KeyError, TypeError, IndexError, ValueError, RecursionError) as err:
        raise SpecError(f"from_keras: a malformed Keras config ({type(err).__name__}: "
                        f"{brief(str(err))}). Received: class_name="
                        f"{brief(config.get('class_name'))}") from None


class _Spec:
    """A Keras model config with its layers made (nested models as further specs)."""

    def __init__(self, entry: dict, problems: Problems, trainable: bool, where: str) -> None:
        self.entry = entry
        self.kind = entry.get("class_name")
        self.config = entry.get("config") or {}
        self.name = self.config.get("name") or entry.get("name")
        self.trainable = trainable and self.config.get("trainable", True) is not False
        self.where = f"{where}{self.name or self.kind.lower()}"
        self.problems = problems
        self.layers: dict = {}
        self.order: list = []
        self.inputs: list = []  # (name, config shape) of InputLayers
        self.built: Model | None = None
        for item in self.config.get("layers") or []:
            self._add(item)

    def _add(self, item: dict) -> None:
        kind = item.get("class_name")
        cfg = item.get("config") or {}
        name = cfg.get("name") or item.get("name")
        if kind == "InputLayer":
            self.inputs.append((name, _input_shape(cfg)))
            return
        where = f"layer '{name}' ({kind}) in model '{self.where}'"
        if kind in _MODELS:
            layer: Any = _Spec(item, self.problems, self.trainable, f"{self.where}/")
        elif str(item.get("module") or "").startswith("keras.src.ops"):
            layer = _keras_op(kind, cfg, item, self.trainable, where, self.problems)
        else:
            layer = _make_layer(kind, cfg, item.get("module"), self.trainable, where,
                                self.problems)
        self.layers[name] = (layer, item)
        self.order.append(name)

    # -- building -----------------------------------------------------------------------

    def build(self, shapes) -> Model:
        if self.built is not None:
            return self.built
        if self.kind == "Sequential":
            model = self._sequential(shapes)
        else:
            model = self._functional(shapes)
        self.built = model
        return model

    def _shapes(self, given, known: list) -> list:
        if given is None:
            shapes = [s for s in known]
        else:
            if len(given) != len(known) and known:
                raise ConversionError(
                    f"from_keras: model '{self.where}' has {len(known)} input(s) but "
                    f"{len(given)} input shape(s) were given. Received: input_shape={given!r}")
            for g, k in zip(given, known):
                if k is not None and len(g) != len(k):
                    raise ConversionError(
                        f"from_keras: input_shape must have rank {len(k)} (the model's input "
                        f"is {_show(k)}, without the batch axis). Received: input_shape={g!r}")
            shapes = list(given)
        if any(s is None for s in shapes) or not shapes:
            raise ConversionError(
                f"from_keras: model '{self.where}' does not record its input shape (an unbuilt "
                f"Sequential?); pass input_shape=(...) without the batch axis. "
                f"Received: input_shape={given!r}")
        return [_fill_unknown(s, k, len(shapes)) for k, s in enumerate(shapes)]

    def _sequential(self, shapes) -> Model:
        known = [self.inputs[0][1]] if self.inputs else [_sequential_shape(self.config)]
        shape = self._shapes(shapes, known)[0]
        input_name = self.inputs[0][0] if self.inputs else None
        x = first = Input(shape, name=input_name)
        stack = []
        for name in self.order:
            layer = self._realize(self.layers[name][0], [x])
            x = _one(layer(x), name)
            stack.append(layer)
        return Sequential([Input(first.shape, name=input_name), *stack], name=self.name)

    def _realize(self, layer, inputs: list):
        if isinstance(layer, _Spec):
            return layer.build([t.shape for t in inputs])
        return layer

    def _functional(self, shapes) -> Model:
        in_refs = _refs(self.config.get("input_layers"))
        out_refs = _refs(self.config.get("output_layers"))
        declared = dict(self.inputs)
        known = [declared.get(name) for name, _, _ in in_refs]
        shapes = self._shapes(shapes, known)
        tensors: dict = {}
        inputs = []
        for (name, _, _), shape in zip(in_refs, shapes):
            t = Input(shape, name=name)
            tensors[(name, 0)] = [t]
            inputs.append(t)
        calls = {(name, index): node for name in self.order
                 for index, node in enumerate(self.layers[name][1].get("inbound_nodes") or [])}
        # Keras' layer order: first calls in order, each after the calls it reads and after
        # the same layer's earlier calls; then the remaining calls.
        for call in sorted(calls, key=lambda c: c[1] > 0):
            self._call_in_order(call, calls, tensors)
        outputs = [_tensor(tensors, r, self.where) for r in out_refs]
        return Model(inputs[0] if len(inputs) == 1 else inputs,
                     outputs[0] if len(outputs) == 1 else outputs, name=self.name)


    def _call_in_order(self, first, calls: dict, tensors: dict) -> None:
        """Make layer call ``first``, making the calls it depends on before it (depth first,
        without recursion), so the layers come out in Keras' order where the graph allows."""
        stack, path = [(first, False)], set()
        while stack:
            call, ready = stack.pop()
            if call in tensors:
                continue
            refs, many = _node_refs(calls[call])
            if ready:  # every call it reads has been made
                path.discard(call)
                args = [_tensor(tensors, r, self.where) for r in refs]
                layer = self._realize(self.layers[call[0]][0], args)
                out = layer(args if many else args[0])
                tensors[call] = out if isinstance(out, list) else [out]
                continue
            path.add(call)
            stack.append((call, True))
            earlier = [(call[0], i) for i in range(call[1])]  # the same layer's earlier calls
            for need in dict.fromkeys(earlier + [(r[0], r[1]) for r in refs]):
                if need in tensors:
                    continue
                if need not in calls or need in path:
                    raise ConversionError(
                        f"from_keras: model '{self.where}': the call {call[0]}[{call[1]}] reads "
                        f"{need[0]}[{need[1]}], which is "
                        f"{'never produced' if need not in calls else 'part of a cycle'}. "
                        f"Received: keras_history={list(need)}")
                stack.append((need, False))


def _one(out, name):
    if isinstance(out, list):
        raise ConversionError(f"from_keras: layer '{name}' in a Sequential model has "
                              f"{len(out)} outputs; a Sequential layer must have one. "
                              f"Received: {len(out)} outputs")
    return out


def _tensor(tensors: dict, ref, where: str) -> Tensor:
    name, node, index = ref
    outs = tensors[(name, node)]
    if index >= len(outs):
        raise ConversionError(f"from_keras: model '{where}' uses output {index} of layer "
                              f"'{name}', which has {len(outs)}. Received: keras_history="
                              f"{list(ref)}")
    return outs[index]


def _refs(value) -> list:
    """``[name, node, tensor]`` or a list of them (or a dict of them) as a list of triples."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [(value[0], int(value[1]), int(value[2]))]
    return [r for v in value for r in _refs(v)]


def _node_refs(node) -> tuple:
    """The tensors a layer call reads, and whether the layer gets them as a list."""
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        args = node.get("args") or []
        refs: list = []
        _collect(args, refs)
        kwargs = node.get("kwargs") or {}
        for key in _TENSOR_KWARGS:  # mha(query=..., value=..., key=...)
            _collect(kwargs.get(key), refs)
        many = len(refs) > 1 or (bool(args) and isinstance(args[0], (list, tuple)))
        return refs, many
    refs = [(entry[0], int(entry[1]), int(entry[2])) for entry in node]  # Keras 2
    return refs, len(refs) > 1


#: Keyword arguments of a layer call that are inputs (MultiHeadAttention's), in call order;
#: masks and initial states are not (they change no shape or count).
_TENSOR_KWARGS = ("query", "value", "key")


def _collect(value, out: list) -> None:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            name, node, index = value["config"]["keras_history"]
            out.append((name, int(node), int(index)))
            return
        for v in value.values():
            _collect(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, out)


def _input_shape(cfg: dict):
    for key in ("batch_shape", "batch_input_shape"):
        if cfg.get(key) is not None:
            return tuple(cfg[key][1:])
    if cfg.get("shape") is not None:
        return tuple(cfg["shape"])
    return None


def _sequential_shape(cfg: dict):
    if cfg.get("build_input_shape") is not None:
        return tuple(cfg["build_input_shape"][1:])
    layers = cfg.get("layers") or []
    if layers:
        return _input_shape(layers[0].get("config") or {})
    return None


_AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _fill_unknown(shape: tuple, position: int, count: int) -> tuple:
    """``None`` sizes become symbols: spatial names first (``H``, ``W``), then ``C``."""
    unknown = [i for i, d in enumerate(shape) if d is None]
    if not unknown:
        return tuple(shape)
    rank = len(shape)
    spatial = _AXIS_NAMES.get(rank - 1, tuple(f"d{i + 1}" for i in range(rank)))
    names = list(spatial) + ["C"]
    if len(unknown) == rank:  # nothing known: channels last
        chosen = names[:rank]
    else:
        chosen = names[:len(unknown)]
    suffix = f"_{position + 1}" if count > 1 else ""
    out = list(shape)
    for i, name in zip(unknown, chosen):
        out[i] = name + suffix
    return tuple(out)


def _show(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _clean(value):
    if isinstance(value, list):
        return tuple(_clean(v) for v in value)
    return value


def _make_layer(kind: str, cfg: dict, module, trainable: bool, where: str, problems: Problems):
    classes = _symcnn_classes()
    from_keras_module = module is None or str(module).startswith("keras")
    name = cfg.get("name")
    keep = trainable and cfg.get("trainable", True) is not False
    if kind in classes and from_keras_module:
        cls = classes[kind]
    elif kind in _PASSTHROUGH and from_keras_module:
        return _passthrough(kind)(name=name, trainable=keep)
    else:
        problems.add(where, f"no symcnn equivalent (module {module!r}). Received: "
                            f"class_name={kind!r}")
        return None
    params = inspect.signature(cls.__init__).parameters
    kwargs: dict = {"name": name, "trainable": keep}
    for key, value in cfg.items():
        if key in ("name", "trainable"):
            continue
        if key in ("layer", "backward_layer") and isinstance(value, dict) and key in params:
            inner = _make_layer(value.get("class_name"), value.get("config") or {},
                                value.get("module"), keep, f"{where} {key}", problems)
            if inner is None:
                return None
            kwargs[key] = inner
        elif key in params:
            kwargs[key] = _activation(value) if key == "activation" else _clean(value)
        elif key in _HARMLESS and value == _HARMLESS[key] or value is None:
            continue
        elif key in _IGNORED or key.endswith(_INERT_SUFFIXES):
            continue
        else:
            problems.add(where, f"argument `{key}` has no symcnn equivalent. "
                                f"Received: {key}={value!r}")
            return None
    try:
        return cls(**kwargs)
    except SymcnnError as err:
        problems.add(where, str(err))
        return None


def _activation(value):
    if isinstance(value, dict):  # a serialized activation object
        inner = value.get("config")
        if isinstance(inner, str):
            return inner
        return value.get("class_name", "custom")
    return value if value is not None else "linear"



def _keras_op(kind: str, cfg: dict, item: dict, trainable: bool, where: str,
              problems: Problems):
    """A ``keras.ops`` call recorded in a model (``x + 3.0`` is ``keras.src.ops.numpy``
    ``Add``): with a constant, an :class:`~symcnn.layers.scale.Elementwise` layer; between
    tensors, the merge layer of the same name."""
    nodes = item.get("inbound_nodes") or []
    constants = []
    for node in nodes:
        refs, _ = _node_refs(node)
        if len(refs) == 1 and isinstance(node, dict):
            constants += [a for a in node.get("args") or [] if not isinstance(a, dict)]
    if not constants:
        return _make_layer(kind, cfg, "keras.layers", trainable, where, problems)
    constant = constants[0]
    if not isinstance(constant, (int, float)) or isinstance(constant, bool):
        problems.add(where, f"a keras.ops call with a constant that is not a number "
                            f"(it could broadcast to a new shape). Received: {_short(repr(constant))}")
        return None
    try:
        return Elementwise(snake_case(kind), constant, name=cfg.get("name"), trainable=trainable)
    except SymcnnError as err:
        problems.add(where, str(err))
        return None
