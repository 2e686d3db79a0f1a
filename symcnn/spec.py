"""Declarative model files: a model as YAML or JSON data, read safely.

A model file lists its symbols, its input shape and its layers by their Keras class names
and arguments. Sizes may be expressions given as text (``"2*w + 1"``); they are read by
:mod:`symcnn.expr_parser`, never by ``eval``. The format is described by the JSON schema
``symcnn/schemas/model.schema.json`` and in ``docs/model-files.md``.

>>> import symcnn as sc
>>> model = sc.model_from_spec({
...     "name": "tiny", "symbols": "H w",
...     "input": ["H", "H", 3],
...     "layers": [{"Conv2D": {"filters": "2*w", "kernel_size": 3, "use_bias": False}},
...                "GlobalAveragePooling2D", {"Dense": [10]}],
... })
>>> model.params
74*w + 10
>>> sc.model_to_spec(model)["layers"][0]
{'Conv2D': {'filters': '2*w', 'kernel_size': 3, 'use_bias': False}}
"""

from __future__ import annotations

import inspect
import json
import os
import re
from typing import Any, Mapping

import sympy

from . import layers
from .errors import SpecError, SymcnnError, UnavailableError, with_context
from .expr_parser import FUNCTIONS, parse_expression, parse_size
from .interop.keras import from_keras
from .layers.base import Layer
from .layers.core import Input, InputLayer
from .layers.spatial import PADDING_MODES
from .model import Model, Sequential
from . import nn as torch_nn
from .nn import TorchLayer
from .spec_export import FORMAT_VERSION, RELATIONS, model_to_spec
from .suggest import did_you_mean
from .symbols import multiplier, size_symbol
from .safe import brief
from .safe_read import DuplicateKey, check_data, load_json, read_text
from .zoo.lenet import TableConv2D

__all__ = ["model_from_spec", "model_to_spec", "load_spec", "read_data_file", "layer_types",
           "is_keras_config", "FORMAT_VERSION", "MAX_FILE_BYTES"]

#: Largest model file read, in bytes.
MAX_FILE_BYTES = 1_000_000
#: Most values (mappings, lists, scalars) in one model file.
MAX_VALUES = 100_000

#: Arguments whose text values are size expressions; other text (activation, data_format,
#: name) is passed to the layer unchanged.
SIZE_ARGS = frozenset({
    "filters", "kernel_size", "strides", "dilation_rate", "groups", "depth_multiplier",
    "pool_size", "units", "size", "padding", "cropping", "target_shape", "output_padding",
    "dims", "axis", "shape", "output_size",
    # attention, embeddings, LoRA, repeats (a typo there made a new symbol silently)
    "num_heads", "key_dim", "value_dim", "output_shape", "input_dim", "output_dim",
    "lora_rank", "num_groups", "projection_dim", "times", "sliding_window",
    # the PyTorch-named layers' sizes
    "in_channels", "out_channels", "in_features", "out_features", "num_features",
    "num_channels", "num_embeddings", "embedding_dim", "num_parameters", "dilation",
    "unflattened_size", "normalized_shape",
})
_PADDING_WORDS = frozenset(PADDING_MODES)
_TOP_KEYS = {"symcnn", "name", "symbols", "multipliers", "input", "inputs", "layers",
             "outputs", "constraints"}
_ENTRY_KEYS = {"name", "inputs"}


def layer_types() -> dict:
    """Every layer class a model file may name: the Keras-named ones by their class name
    (aliases included), the PyTorch-named ones of :mod:`symcnn.nn` as ``nn.<name>`` (and by
    their bare name where no Keras-named layer has it, even in another case: ``Linear``,
    ``BatchNorm2d``; ``Conv2d`` is a typo of ``Conv2D``), and the
    zoo's own LeNet-5 connection table.

    >>> types = layer_types()
    >>> types["MaxPool2D"] is types["MaxPooling2D"], types["nn.Linear"] is types["Linear"]
    (True, True)
    >>> types["nn.ReLU"] is types["ReLU"]  # torch.nn.ReLU(inplace) is not keras' ReLU
    False
    """
    keras = {name: cls for name, cls in layers.layer_classes().items() if cls is not InputLayer}
    torch_named = {cls.type_name: cls for cls in _torch_named_classes()}
    alike = {name.lower() for name in keras}  # Conv2d next to Conv2D: a typo, not PyTorch's
    return {**keras, **{f"nn.{name}": cls for name, cls in torch_named.items()},
            **{name: cls for name, cls in torch_named.items() if name.lower() not in alike},
            TableConv2D.type_name: TableConv2D}


def _torch_named_classes() -> list:
    """The layer classes of :mod:`symcnn.nn` (its containers are models, not layers)."""
    found = (getattr(torch_nn, name) for name in torch_nn.__all__)
    return [cls for cls in found if inspect.isclass(cls) and issubclass(cls, Layer)
            and not issubclass(cls, Model)]


# -- reading ---------------------------------------------------------------------------------


def _count_values(data, limit: int) -> None:
    stack, seen = [data], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > limit:
            raise SpecError(f"model file: more than {limit:,} values; is it a model file? "
                            f"Received: a document with over {limit:,} values")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _symbols(value, key: str = "symbols", make=size_symbol) -> dict:
    """The names declared under ``key``: positive-integer size symbols, or for
    ``multipliers`` positive rational ones (:func:`symcnn.multiplier`)."""
    if value is None:
        return {}
    names = value.split() if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SpecError(f"model file: `{key}` must be a list of names or a space-separated "
                        f"string. Received: {key}={value!r}")
    out = {}
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name in FUNCTIONS \
                or name.startswith("__"):
            raise SpecError(f"model file: `{key}` entries must be names such as H or n_1 "
                            f"(not a function name). Received: {name!r}")
        out[name] = make(name)
    return out


def _declared(spec) -> dict:
    """Every symbol the file declares, sizes and multipliers (a name once)."""
    sizes = _symbols(spec.get("symbols"))
    multipliers = _symbols(spec.get("multipliers"), "multipliers", multiplier)
    both = sorted(set(sizes) & set(multipliers))
    if both:
        raise SpecError(f"model file: {both[0]!r} is declared both under `symbols` (a positive "
                        f"integer) and under `multipliers` (a positive rational). "
                        f"Received: symbols={spec.get('symbols')!r}, "
                        f"multipliers={spec.get('multipliers')!r}")
    return {**sizes, **multipliers}


def _value(value, arg: str, symbols: dict, where: str):
    """A layer argument from the file: size text is parsed, everything else kept."""
    if isinstance(value, list):
        return tuple(_value(v, arg, symbols, where) for v in value)
    if isinstance(value, dict):
        wrapped = " (a layer inside a layer, as Bidirectional's, cannot be given in a model " \
                  "file yet)" if arg in ("layer", "backward_layer", "block") else ""
        raise SpecError(f"{where}: `{arg}` must be a number, text or a list{wrapped}. "
                        f"Received: {arg}={brief(value)}")
    if isinstance(value, str) and arg == "padding" and value.isidentifier() \
            and value not in symbols and value.lower() not in _PADDING_WORDS:
        raise SpecError(f"{where}: `padding` must be one of 'valid', 'same' (or a size)."
                        f"{did_you_mean(value, sorted(_PADDING_WORDS))} "
                        f"Received: padding={value!r}")
    if isinstance(value, str) and arg in SIZE_ARGS and not (
            arg == "padding" and value.lower() in _PADDING_WORDS):
        try:
            return parse_size(value, symbols)
        except SpecError as err:
            hint = " Declare symbols under `symbols`." if "unknown name" in str(err) else ""
            raise type(err)(f"{where}: `{arg}`: {err}{hint}") from None
    return value


def _custom_types(custom_objects) -> dict:
    """Layer classes a model file may name beyond the built-in ones (Keras' ``custom_objects``)."""
    if custom_objects is None:
        return {}
    if isinstance(custom_objects, (list, tuple)):
        custom_objects = {getattr(c, "type_name", getattr(c, "__name__", None)): c
                          for c in custom_objects}
    if not isinstance(custom_objects, Mapping) or not all(
            isinstance(k, str) and isinstance(c, type) and issubclass(c, Layer)
            for k, c in custom_objects.items()):
        raise SpecError(f"model file: `custom_objects` maps type names to layer classes "
                        f"(subclasses of symcnn.Layer), or is a list of such classes. "
                        f"Received: custom_objects={custom_objects!r}")
    return dict(custom_objects)


def _layer(entry, index: int, symbols: dict, functional: bool, types: dict):
    """``(layer, inputs)`` for one entry of ``layers``; ``types`` maps type names to classes."""
    where = f"model file: layers[{index}]"
    if isinstance(entry, str):
        type_name, args, extra = entry, None, {}
    elif isinstance(entry, dict):
        keys = [k for k in entry if k not in _ENTRY_KEYS]
        if len(keys) != 1:
            raise SpecError(f"{where}: an entry names exactly one layer type, as "
                            f"{{Conv2D: {{filters: 8, kernel_size: 3}}}}. Received: keys {brief(keys)}")
        type_name, args = keys[0], entry[keys[0]]
        extra = {k: entry[k] for k in _ENTRY_KEYS if k in entry}
    else:
        raise SpecError(f"{where}: an entry is a layer type name or a mapping. "
                        f"Received: {brief(entry)}")
    if type_name not in types:
        hint = did_you_mean(type_name, types) if len(str(type_name)) <= 64 else ""
        if isinstance(type_name, str) and f"nn.{type_name}" in types:
            hint += f" (PyTorch's layer of that name is nn.{type_name}.)"
        keras = sorted(n for n in types if not n.startswith("nn.") and n[0].isupper()
                       and not issubclass(types[n], TorchLayer))
        raise SpecError(f"{where}: unknown layer type {brief(type_name)}.{hint} Known types: "
                        f"{', '.join(keras)}, and PyTorch's as nn.Conv2d, nn.Linear, ... "
                        f"Received: {brief(type_name)}")
    cls = types[type_name]
    where = f"{where} ({type_name})"
    if "inputs" in extra and not functional:
        raise SpecError(f"{where}: `inputs` belongs to functional models (top-level `inputs`); "
                        f"a Sequential model file chains its layers. Received: "
                        f"inputs={brief(extra['inputs'])}")
    positional, keywords = [], {}
    if isinstance(args, dict):
        keywords = dict(args)
    elif isinstance(args, list):
        positional = list(args)
    elif args is not None:
        positional = [args]
    if "name" in extra:
        if "name" in keywords:
            raise SpecError(f"{where}: `name` is given twice. Received: name={extra['name']!r}")
        keywords["name"] = extra["name"]
    try:
        bound = inspect.signature(cls).bind(*positional, **keywords)
    except TypeError as err:
        raise SpecError(f"{where}: the arguments do not fit {type_name}{inspect.signature(cls)}"
                        f": {err}. Received: {args!r}") from None
    values = {}
    for arg, value in bound.arguments.items():
        if bound.signature.parameters[arg].kind is inspect.Parameter.VAR_KEYWORD:
            values.update({k: _value(v, k, symbols, where) for k, v in value.items()})
        else:
            values[arg] = _value(value, arg, symbols, where)
    try:
        layer = cls(**values)
    except SymcnnError as err:
        raise with_context(err, where) from None
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}: {err}. Received: {args!r}") from None
    return layer, extra.get("inputs")


def _shape(value, symbols: dict, where: str) -> tuple:
    if not isinstance(value, list) or not value:
        raise SpecError(f"{where}: a shape is a non-empty list of sizes without the batch axis, "
                        f"such as [H, W, 3]. Received: {brief(repr(value))}")
    if any(v is None for v in value):  # sc.Input's None numbers its symbols by session
        raise SpecError(f"{where}: a size of a model file is a number or a declared symbol, "
                        f"not null: name it (symbols: [T], then [T, ...]), so that every read "
                        f"of the file gives the same model. Received: {brief(repr(value))}")
    return tuple(_value(v, "shape", symbols, where) for v in value)


def model_from_spec(spec: Mapping, source: str = "model file", custom_objects=None):
    """Build the model a model-file document describes (a mapping read from YAML or JSON).

    Sequential form: ``input`` (a shape) and ``layers``. Functional form: ``inputs`` (a mapping
    of names to shapes), ``layers`` whose entries may name their ``inputs``, and ``outputs``.
    Layers defined outside symcnn are named through ``custom_objects`` (as in Keras): a
    mapping of type names to classes, or a list of classes (named by their ``type_name``).

    >>> import symcnn as sc
    >>> block = sc.model_from_spec({
    ...     "symbols": ["H", "W"], "inputs": {"x": ["H", "W", 64]},
    ...     "layers": [{"Conv2D": {"filters": 64, "kernel_size": 3, "padding": "same"},
    ...                 "name": "conv"},
    ...                {"Add": None, "inputs": ["x", "conv"], "name": "add"}],
    ...     "outputs": "add"})
    >>> block.params, block.output_shape
    (36928, (H, W, 64))
    """
    try:
        return _build(spec, {**layer_types(), **_custom_types(custom_objects)})
    except SymcnnError as err:
        message = str(err)
        if source == "model file" or message.startswith(source):
            raise
        if message.startswith("model file"):
            message = message[len("model file"):].lstrip(":")
        raise type(err)(f"{source}: {message.strip()}") from None


def _build(spec, types: dict):
    if not isinstance(spec, Mapping):
        raise SpecError(f"model file: the document must be a mapping with `layers`. "
                        f"Received: {type(spec).__name__}")
    _count_values(spec, MAX_VALUES)
    unknown = [k for k in spec if k not in _TOP_KEYS]
    if unknown:
        raise SpecError(f"model file: unknown top-level key(s) {', '.join(map(repr, unknown))}; "
                        f"expected some of {', '.join(sorted(_TOP_KEYS))}. Received: {unknown}")
    version = spec.get("symcnn", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):  # True == 1 in Python
        raise SpecError(f"model file: format version {version!r} is not supported (this symcnn "
                        f"reads version {FORMAT_VERSION}). Received: symcnn={version!r}")
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise SpecError(f"model file: `name` must be text. Received: name={name!r}")
    symbols = _declared(spec)
    entries = spec.get("layers")
    if not isinstance(entries, list) or not entries:
        raise SpecError(f"model file: `layers` must be a non-empty list. "
                        f"Received: layers={entries!r}")
    if ("input" in spec) == ("inputs" in spec):
        raise SpecError("model file: give either `input` (a Sequential model) or `inputs` (a "
                        "functional model), not both or neither. Received: keys "
                        f"{sorted(k for k in spec if k in ('input', 'inputs'))}")
    if "input" in spec:
        if "outputs" in spec:
            raise SpecError("model file: `outputs` belongs to functional models (`inputs`). "
                            f"Received: outputs={spec['outputs']!r}")
        x = Input(_shape(spec["input"], symbols, "model file: input"))
        layers = [_layer(e, i, symbols, False, types)[0] for i, e in enumerate(entries)]
        return Sequential([x, *layers], name=name, constraints=_constraints(spec, symbols))
    return _build_functional(spec, symbols, entries, name, types)


_RELATIONS = {text: cls for cls, text in RELATIONS.items()}
_RELATION = re.compile("(" + "|".join(sorted(_RELATIONS, key=len, reverse=True)) + ")")


def _constraints(spec: dict, symbols: dict) -> list:
    """``constraints``: relations such as ``alpha >= 1/4`` over the declared symbols, that
    the model's builder stated (``Model(..., constraints=...)``)."""
    given = spec.get("constraints", [])
    if not isinstance(given, list) or not all(isinstance(c, str) for c in given):
        raise SpecError(f"model file: `constraints` must be a list of relations written as "
                        f"text, as ['alpha >= 1/4']. Received: constraints={brief(given)}")
    out = []
    for i, text in enumerate(given):
        where = f"model file: constraints[{i}]"
        parts = _RELATION.split(text)
        if len(parts) != 3:
            raise SpecError(f"{where}: a relation has one of >=, <=, >, <, == between two "
                            f"expressions. Received: {brief(text)}")
        try:
            lhs, rhs = (parse_expression(p.strip(), symbols) for p in (parts[0], parts[2]))
        except SymcnnError as err:
            raise with_context(err, where) from None
        relation = _RELATIONS[parts[1]](lhs, rhs)
        if relation is sympy.false:
            raise SpecError(f"{where}: the relation is false, so the model holds for no "
                            f"input. Received: {brief(text)}")
        out.append(relation)
    return out


def _build_functional(spec, symbols, entries, name, types: dict):
    given = spec["inputs"]
    if not isinstance(given, dict) or not given:
        raise SpecError(f"model file: `inputs` maps input names to shapes, as {{x: [H, W, 3]}}. "
                        f"Received: inputs={given!r}")
    tensors = {}
    for key, shape in given.items():
        tensors[key] = Input(_shape(shape, symbols, f"model file: inputs.{key}"), name=key)
    last = next(reversed(tensors.values())) if len(tensors) == 1 else None
    for index, entry in enumerate(entries):
        layer, inputs = _layer(entry, index, symbols, True, types)
        where = f"model file: layers[{index}] ({layer.type_name})"
        if inputs is None:
            if last is None:
                raise SpecError(f"{where}: say which tensor(s) this layer takes with `inputs` "
                                f"(the model has several inputs). Received: no `inputs`")
            args = last
        else:
            args = _tensors(inputs, tensors, where)
        if layer.name is not None and layer.name in tensors:
            raise SpecError(f"{where}: the name {layer.name!r} is already used. "
                            f"Received: name={layer.name!r}")
        out = layer(args)
        if layer.name is not None:
            tensors[layer.name] = out
        last = out
    outputs = spec.get("outputs")
    outs = last if outputs is None else _tensors(outputs, tensors, "model file: outputs")
    ins = list(tensors[k] for k in given)
    return Model(ins[0] if len(ins) == 1 else ins, outs, name=name,
                 constraints=_constraints(spec, symbols))


def _tensors(refs, tensors: dict, where: str):
    names = refs if isinstance(refs, list) else [refs]
    missing = [r for r in names if not isinstance(r, str) or r not in tensors]
    if missing:
        raise SpecError(f"{where}: `inputs`/`outputs` name inputs or earlier named layers "
                        f"({', '.join(tensors)}). Received: {missing[0]!r}")
    picked = [tensors[r] for r in names]
    return picked if isinstance(refs, list) else picked[0]


# -- files -----------------------------------------------------------------------------------


def read_data_file(path: str | os.PathLike) -> Any:
    """The data in a ``.json``, ``.yaml`` or ``.yml`` file, read safely and size-checked.

    YAML needs PyYAML (``pip install symcnn[yaml]``) and is read with ``yaml.safe_load``.
    """
    path = os.fspath(path)
    text = read_text(path, MAX_FILE_BYTES)  # regular files only, bounded whatever stat says
    if path.lower().endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise UnavailableError(f"{path}: reading YAML needs PyYAML: pip install "
                                   f"'symcnn[yaml]' (or write the model file as JSON)") from None
        try:
            data = yaml.load(text, Loader=_unique_key_loader(yaml))
        except DuplicateKey as err:
            raise SpecError(f"{path}: the key {err.key!r} appears twice in one mapping; only "
                            f"one can count (YAML would keep the last silently). "
                            f"Received: {err.key}: given twice") from None
        except yaml.YAMLError as err:
            problem = " ".join(str(err).split())
            raise SpecError(f"{path}: not valid YAML: {problem}") from None
        except RecursionError:
            raise SpecError(f"{path}: not valid YAML: nested too deeply") from None
        except ValueError as err:  # e.g. an integer of over 4,300 digits
            raise SpecError(f"{path}: not valid YAML: {brief(str(err))}") from None
        return check_data(data, path)
    return load_json(text, path)


def _unique_key_loader(yaml):
    """PyYAML's safe loader, refusing a mapping that names a key twice."""

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # <<: *base may be overridden
                    continue
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (str, int, float, bool)) or key is None:
                    if key in seen:
                        raise DuplicateKey(key)
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def is_keras_config(data) -> bool:
    """Whether ``data`` is a Keras model config (``model.to_json()``), not a symcnn model file.

    >>> is_keras_config({"class_name": "Sequential", "config": {}}), is_keras_config({"layers": []})
    (True, False)
    """
    return isinstance(data, dict) and "class_name" in data and "config" in data


def load_spec(path: str | os.PathLike, custom_objects=None):
    """The model in a YAML/JSON model file, or in a Keras JSON config (via ``sc.from_keras``).
    ``custom_objects`` names layer classes defined outside symcnn (see :func:`model_from_spec`).

    >>> import json, os, tempfile, symcnn as sc
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"symbols": "n", "input": [160], "layers": [{"Dense": ["n"]}]}, f)
    >>> sc.load_spec(path).params
    161*n
    """
    data = read_data_file(path)
    if is_keras_config(data):
        try:
            return from_keras(json.dumps(data))
        except SymcnnError as err:
            raise with_context(err, os.fspath(path)) from None
    return model_from_spec(data, source=os.fspath(path), custom_objects=custom_objects)

