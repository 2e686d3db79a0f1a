"""Reading a model-file document (data already parsed from YAML or JSON) into a model.

The public entry points are :func:`symcnn.spec.model_from_spec` and
:func:`symcnn.spec.load_spec`; this module holds the reader they share. A document is read
top to bottom: its symbols, its input(s), then each entry of ``layers``. An entry may nest a
model document (``Functional: {inputs: ..., layers: [...]}``, a model used as a layer) or,
in the arguments a layer class lists in ``wrapped_arguments``, a layer entry or a model
document (``Bidirectional: {layer: {LSTM: 4}}``, ``Repeat: {block: {...}, times: L}``).
Nested documents see the symbols declared at the top and declare none of their own.

Everything a file can make the reader do is bounded: its values and nesting
(:data:`~symcnn.safe_read.MAX_VALUES`, :data:`~symcnn.safe_read.MAX_NESTING`), the depth of models and layers
nested in one another (:data:`~symcnn.spec_export.MAX_MODEL_NESTING`), and the layer calls
its numeric ``Repeat`` counts unroll to (:data:`MAX_LAYER_CALLS`), counted entry by entry
before the entry is applied (:func:`~symcnn.layers.repeat.written_calls`, the count Python's
``Repeat`` bounds too): a block that changes the shape is written out, each repetition's
calls counted on the shape it receives; a block that keeps it is checked once, whatever its
count, as in Python (``Repeat(block, 10**9)``), also inside a repetition of another.

>>> from symcnn.spec import layer_types
>>> doc = {"symbols": "L", "input": [16],
...        "layers": [{"Repeat": {"block": {"Dense": 16}, "times": "L"}}]}
>>> read_document(doc, layer_types()).params
272*L
"""

from __future__ import annotations

import inspect
import re
from collections import deque
from typing import Mapping

import sympy

from .costs import dtype_bytes
from .errors import SpecError, SymcnnError, printable, with_context
from .expr_parser import FUNCTIONS, parse_expression, parse_size
from .layers.attention_calls import MASKED_CALL
from .layers.base import _INERT_ARGS, _INERT_SUFFIXES, apply_layer
from .layers.core import Input
from .layers.spatial import PADDING_MODES
from .model import INPUT_FORMATS, Model, Sequential
from .nn import TorchLayer
from .safe import brief
from .safe_read import MAX_VALUES, check_data
from .spec_export import (FORMAT_VERSION, MAX_LAYER_CALLS, MAX_MODEL_NESTING, MODEL_TYPES,
                          RELATIONS, too_many_calls, written_calls)
from .suggest import closest, did_you_mean
from .symbols import UnknownSize, multiplier, reserved_name, size_symbol

__all__ = ["read_document", "SIZE_ARGS", "MAX_VALUES", "MAX_LAYER_CALLS"]

#: Arguments whose text values are size expressions; other text (activation, data_format,
#: name) is passed to the layer unchanged.
SIZE_ARGS = frozenset({
    "filters", "kernel_size", "strides", "dilation_rate", "groups", "depth_multiplier",
    "pool_size", "units", "size", "padding", "cropping", "target_shape", "output_padding",
    "dims", "axis", "shape", "output_size",
    "height", "width",  # Resizing's and CenterCrop's target size
    # attention, embeddings, LoRA, repeats (a typo there made a new symbol silently)
    "num_heads", "key_dim", "value_dim", "output_shape", "input_dim", "output_dim",
    "head_dim", "num_query_heads", "num_key_value_heads",
    "lora_rank", "num_groups", "projection_dim", "times", "sliding_window",
    "n",  # RepeatVector's steps
    # the PyTorch-named layers' sizes
    "in_channels", "out_channels", "in_features", "out_features", "num_features",
    "num_channels", "num_embeddings", "embedding_dim", "num_parameters", "dilation",
    "unflattened_size", "normalized_shape", "stride", "input_size", "hidden_size",
    "num_layers", "proj_size",
    # window attention, padding to a multiple (``dim`` is also Unflatten's axis: a number)
    "dim", "window_size", "shift_size", "multiples", "bias_params", "bias_macs",
    # slice bounds computed from sizes (from_torch of x[:, :, :x.size(2) // 2])
    "slices",
    # the sizes a size assertion compares (from_torch of torch._assert(h == 224, ...))
    "lhs", "rhs",
})
_PADDING_WORDS = frozenset(PADDING_MODES)
_TOP_KEYS = {"symcnn", "name", "symbols", "multipliers", "input", "inputs", "layers",
             "outputs", "constraints", "input_format"}
#: The keys of a nested model document: the top-level ones but the version and the symbols,
#: which a file gives once, at the top.
_NESTED_KEYS = _TOP_KEYS - {"symcnn", "symbols", "multipliers"}
_ENTRY_KEYS = {"name", "inputs", "masked"}


def read_document(spec, types: dict):
    """The model the document ``spec`` describes; ``types`` maps type names to layer
    classes. Errors start with ``model file`` and name the path to the entry."""
    if not isinstance(spec, Mapping):
        raise SpecError(f"model file: the document must be a mapping with `layers`. "
                        f"Received: {type(spec).__name__}")
    check_data(spec, "model file")  # values, nesting and integers, walked without recursion
    unknown = [k for k in spec if k not in _TOP_KEYS]
    if unknown:
        raise SpecError(f"model file: unknown top-level key(s) {', '.join(map(repr, unknown))}; "
                        f"expected some of {', '.join(sorted(_TOP_KEYS))}. Received: {unknown}")
    version = spec.get("symcnn", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):  # True == 1 in Python
        raise SpecError(f"model file: format version {version!r} is not supported (this symcnn "
                        f"reads version {FORMAT_VERSION}). Received: symcnn={version!r}")
    declared = _declared(spec)
    model = _Reader(types, declared).document(spec, "", 0)[0]
    _check_declared(model, declared, spec)
    return model


def _check_declared(model, declared: dict, spec) -> None:
    """Refuse a symbol the file does not declare: a layer read text the reader kept as a
    name of its own making (a size argument missing from :data:`SIZE_ARGS`), which would
    add a free symbol silently. The error names the first text that holds the name."""
    for s in sorted(model.free_symbols, key=lambda s: s.name):
        if isinstance(s, UnknownSize) or declared.get(s.name) == s:
            continue
        where, text = _text_naming(spec, s.name)
        names = ", ".join(sorted(declared)) or "none"
        raise SpecError(f"model file: {where}: unknown name {s.name!r} (declared symbols: "
                        f"{names}); declare it under `symbols`, or fix the text. "
                        f"Received: {text}")


def _text_naming(spec, name: str) -> tuple:
    """``(path, "key='text'")`` of the first text in ``spec`` holding ``name`` as a word
    (layer names and the declarations left out), walked without recursion."""
    word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
    queue = deque([("", spec)])  # breadth first: the shallowest text first
    while queue:
        path, value = queue.popleft()
        items = value.items() if isinstance(value, Mapping) else \
            enumerate(value) if isinstance(value, (list, tuple)) else ()
        for key, item in items:
            if key in ("name", "symbols", "multipliers"):
                continue
            at = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else key
            if isinstance(item, str) and word.search(item):
                return at, f"{key}={brief(item)}"
            queue.append((at, item))
    return "a layer", f"symbol {name}"


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
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise SpecError(f"model file: `{key}` entries must be names made of ASCII "
                            f"letters, digits and underscores, not starting with a digit "
                            f"(such as H or n_1). Received: {name!r}")
        # inf, nan, oo, None, True read as values; floor, max as functions; __x is Python's
        meaning = reserved_name(name)
        if meaning is None and name in FUNCTIONS:
            meaning = f"a function of symcnn expressions ({name}(x))"
        if meaning is not None:
            raise SpecError(f"model file: `{key}` entries must be names of symbols, and "
                            f"{name!r} is {meaning}; give another name. Received: {name!r}")
        if name in out:  # a typo for another name, most likely (H H for H W)
            raise SpecError(f"model file: `{key}` declares {name!r} twice; each name once. "
                            f"Received: {key}={value!r}")
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
        raise SpecError(f"{where}: `{arg}` must be a number, text or a list. "
                        f"Received: {arg}={brief(value)}")
    if arg == "dtype" and isinstance(value, str) and not _known_dtype(value):
        raise SpecError(f"{where}: `dtype` must be a dtype name symcnn knows (those "
                        f"training_memory takes: {', '.join(_DTYPES)}, ...) or a Keras dtype "
                        f"policy of them (mixed_float16, int8_from_float32)."
                        f"{did_you_mean(value, _DTYPES)} Received: dtype={brief(value)}")
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


#: Dtype names a model file's ``dtype`` may take, as its message lists them; any name
#: :func:`symcnn.costs.dtype_bytes` knows is taken.
_DTYPES = ("float32", "float16", "bfloat16", "float64", "int8", "uint8", "int16", "int32",
           "int64", "bool", "float8_e4m3fn", "float8_e5m2")


def _known_dtype(name: str) -> bool:
    """Whether ``name`` is a dtype training memory counts (``float16``), or a Keras dtype
    policy over one (``mixed_bfloat16``, a quantized ``int8_from_float32``).

    >>> _known_dtype("float16"), _known_dtype("mixed_float16"), _known_dtype("float7")
    (True, True, False)
    """
    mode, quantized, source = name.rpartition("_from_")
    if quantized and mode not in ("int8", "int4", "float8"):
        return False
    try:
        dtype_bytes(source.removeprefix("mixed_"))
    except SymcnnError:
        return False
    return True


def _accepted(cls, key) -> bool:
    """Whether the layer class ``cls`` takes the keyword ``key``: one of its ``__init__``'s
    or its parents' (``trainable``), or one every layer takes through ``**kwargs`` (Keras'
    ``dtype``, initializers, ...)."""
    if not isinstance(key, str) or key in _INERT_ARGS or key.endswith(_INERT_SUFFIXES):
        return True
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None and key in getattr(inspect.signature(init), "parameters", ()):
            return inspect.signature(init).parameters[key].kind not in (
                inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return False


def _shape(value, symbols: dict, where: str) -> tuple:
    if not isinstance(value, list) or not value:
        raise SpecError(f"{where}: a shape is a non-empty list of sizes without the batch axis, "
                        f"such as [H, W, 3]. Received: {brief(repr(value))}")
    if len(value) >= 4 and value[0] in (None, "None") and \
            not any(v is None or v == "None" for v in value[1:]):  # [null, 32, 32, 3]
        rest = ", ".join(str(v) for v in value[1:])
        first = "null" if value[0] is None else "None"
        raise SpecError(f"{where}: a shape is the shape without the batch axis, and "
                        f"[{first}, {rest}] looks like it starts with one. Drop the leading "
                        f"{first}: [{rest}] (for a volume of "
                        f"unknown depth name it: symbols: [D], then [D, {rest}]). "
                        f"Received: {brief(repr(value))}")
    if any(v is None for v in value):  # sc.Input's None numbers its symbols by session
        raise SpecError(f"{where}: a size of a model file is a number or a declared symbol, "
                        f"not null: name it (symbols: [T], then [T, ...]), so that every read "
                        f"of the file gives the same model. Received: {brief(repr(value))}")
    return tuple(_value(v, "shape", symbols, where) for v in value)


def _input(value, symbols: dict, where: str, name=None):
    """``sc.Input`` of the shape ``value`` (and ``name``), an error said at ``where``
    (``model file: input: InputLayer: ...``), as an entry's errors are."""
    shape = _shape(value, symbols, where)
    try:
        return Input(shape) if name is None else Input(shape, name=name)
    except SymcnnError as err:
        raise _at_entry(err, where) from None


def _at(path: str, key: str) -> str:
    """``layers[3].Repeat.block`` and ``input`` give ``layers[3].Repeat.block.input``; a
    key from the file (``inputs.x``) has its unprintable characters escaped."""
    key = printable(key)
    return f"{path}.{key}" if path else key


def _here(path: str) -> str:
    return f"model file: {path}" if path else "model file"


_RELATIONS = {text: cls for cls, text in RELATIONS.items()}
_RELATION = re.compile("(" + "|".join(sorted(_RELATIONS, key=len, reverse=True)) + ")")


class _Reader:
    """One model file being read: its layer types and its declared symbols, which every
    nested document sees."""

    def __init__(self, types: dict, symbols: dict) -> None:
        self.types, self.symbols = types, symbols

    # -- documents --------------------------------------------------------------------------

    def document(self, spec, path: str, depth: int) -> tuple:
        """``(model, calls)``: the model of a document (the top one at ``path`` ``""``) and
        the layer calls it unrolls to."""
        here = _here(path)
        if path:
            self._nested_keys(spec, path)
        name = spec.get("name")
        if name is not None and not isinstance(name, str):
            raise SpecError(f"{here}: `name` must be text. Received: name={name!r}")
        entries = spec.get("layers")
        if not isinstance(entries, list) or not entries:
            raise SpecError(f"{here}: `layers` must be a non-empty list. "
                            f"Received: layers={brief(entries)}")
        if ("input" in spec) == ("inputs" in spec):
            raise SpecError(f"{here}: give either `input` (a Sequential model) or `inputs` (a "
                            "functional model), not both or neither. Received: keys "
                            f"{sorted(k for k in spec if k in ('input', 'inputs'))}")
        if "input" in spec:
            if "outputs" in spec:
                raise SpecError(f"{here}: `outputs` belongs to functional models (`inputs`). "
                                f"Received: outputs={brief(spec['outputs'])}")
            x = _input(spec["input"], self.symbols, f"model file: {_at(path, 'input')}")
            layers, calls, y, failed, named = [], 0, x, None, {}
            for index, entry in enumerate(entries):
                at = _at(path, f"layers[{index}]")
                layer = self.entry(entry, at, depth, functional=False)[0]
                if _named(entry):
                    if layer.name in named:  # the model would say it, unplaced
                        raise SpecError(f"model file: {at} ({layer.type_name}): "
                                        f"{named[layer.name]} has the name {layer.name!r} too; "
                                        f"layer names must be unique within a model. "
                                        f"Received: name={layer.name!r}")
                    named[layer.name] = at
                calls = self._within(calls + self._calls(layer, y, at), here)
                layers.append(layer)
                y, before = _applied(layer, y), y
                if y is None and before is not None:  # the entry the model build reports
                    failed = f"model file: {at} ({layer.type_name})"
            constraints = self.constraints(spec, path)
            layout = self.input_format(spec, path)
            try:
                return Sequential([x, *layers], name=name, constraints=constraints,
                                  input_format=layout), calls
            except SymcnnError as err:  # say which entry, as a functional document does
                if failed is None:
                    raise
                raise _at_entry(err, failed) from None
        return self.functional(spec, path, depth, name)

    def _nested_keys(self, spec, path: str) -> None:
        here = _here(path)
        if not isinstance(spec, Mapping):
            raise SpecError(f"{here}: a nested model is a model document, a mapping with "
                            f"`input` (or `inputs`) and `layers`. Received: {brief(spec)}")
        declared = [k for k in ("symbols", "multipliers", "symcnn") if k in spec]
        if declared:
            key = declared[0]
            what = ("the format version is given once" if key == "symcnn" else
                    "symbols are declared once")
            raise SpecError(f"{here}: {what}, at the top of the file; nested models see the "
                            f"top-level `symbols` and `multipliers`, so move `{key}` there. "
                            f"Received: {key}={brief(spec[key])}")
        unknown = [k for k in spec if k not in _NESTED_KEYS]
        if unknown:
            raise SpecError(f"{here}: unknown key(s) {', '.join(map(repr, unknown))} in a "
                            f"nested model; expected some of {', '.join(sorted(_NESTED_KEYS))}. "
                            f"Received: {brief(unknown)}")

    def functional(self, spec, path: str, depth: int, name) -> tuple:
        here = _here(path)
        given = spec["inputs"]
        if not isinstance(given, dict) or not given:
            raise SpecError(f"{here}: `inputs` maps input names to shapes, as "
                            f"{{x: [H, W, 3]}}. Received: inputs={brief(given)}")
        tensors = {}
        for key, shape in given.items():
            where = f"model file: {_at(path, f'inputs.{key}')}"
            tensors[key] = _input(shape, self.symbols, where, name=key)
        last = next(reversed(tensors.values())) if len(tensors) == 1 else None
        total = 0
        for index, entry in enumerate(spec["layers"]):
            at = _at(path, f"layers[{index}]")
            layer, inputs = self.entry(entry, at, depth, functional=True)
            where = f"model file: {at} ({layer.type_name})"
            if inputs is None:
                if last is None:
                    raise SpecError(f"{where}: say which tensor(s) this layer takes with "
                                    f"`inputs` (the model has several inputs). "
                                    f"Received: no `inputs`")
                args = last
            else:
                args = _tensors(inputs, tensors, where)
            if layer.name is not None and layer.name in tensors:
                raise SpecError(f"{where}: the name {layer.name!r} is already used. "
                                f"Received: name={layer.name!r}")
            total = self._within(total + self._calls(layer, args, at), here)
            try:
                out = layer(args)
            except SymcnnError as err:  # the entry's shapes: say which entry
                raise _at_entry(err, where) from None
            if layer.name is not None:
                tensors[layer.name] = out
            last = out
        outputs = spec.get("outputs")
        outs = last if outputs is None else _tensors(outputs, tensors,
                                                     f"model file: {_at(path, 'outputs')}",
                                                     "outputs")
        ins = list(tensors[k] for k in given)
        constraints = self.constraints(spec, path)
        return Model(ins[0] if len(ins) == 1 else ins, outs, name=name,
                     constraints=constraints, input_format=self.input_format(spec, path)), total

    @staticmethod
    def input_format(spec: dict, path: str):
        """``input_format``: where the model's input has its channels, as its builder stated
        it (``Model(..., input_format=...)``); None where the document does not say."""
        if "input_format" not in spec:
            return None
        given = spec["input_format"]
        if not (isinstance(given, str) and given in INPUT_FORMATS):
            raise SpecError(f"{_here(path)}: `input_format` is channels_first (PyTorch's "
                            f"layout) or channels_last (Keras'). "
                            f"Received: input_format={brief(given)}")
        return given

    def constraints(self, spec: dict, path: str) -> list:
        """``constraints``: relations such as ``alpha >= 1/4`` over the declared symbols, that
        the model's builder stated (``Model(..., constraints=...)``)."""
        given = spec.get("constraints", [])
        if not isinstance(given, list) or not all(isinstance(c, str) for c in given):
            raise SpecError(f"{_here(path)}: `constraints` must be a list of relations written "
                            f"as text, as ['alpha >= 1/4']. Received: constraints={brief(given)}")
        out = []
        for i, text in enumerate(given):
            where = f"model file: {_at(path, f'constraints[{i}]')}"
            parts = _RELATION.split(text)
            if len(parts) != 3:
                raise SpecError(f"{where}: a relation has one of >=, <=, >, <, == between two "
                                f"expressions. Received: {brief(text)}")
            try:
                lhs, rhs = (parse_expression(p.strip(), self.symbols) for p in (parts[0], parts[2]))
            except SymcnnError as err:
                raise with_context(err, where) from None
            relation = _RELATIONS[parts[1]](lhs, rhs)
            if relation is sympy.false:
                raise SpecError(f"{where}: the relation is false, so the model holds for no "
                                f"input. Received: {brief(text)}")
            out.append(relation)
        return out

    @staticmethod
    def _within(calls: int, where: str, exact: bool = True) -> int:
        error = too_many_calls(calls, where, exact)
        if error is not None:
            raise error
        return calls

    def _calls(self, layer, args, path: str) -> int:
        """The layer calls applying ``layer`` to ``args`` (a tensor or a list; None: it will
        not be applied, an earlier layer fails) does, refused past the bound naming the
        entry, before any of them is done."""
        if args is None:
            shapes = None
        else:
            shapes = [t.shape for t in (args if isinstance(args, list) else [args])]
        calls, exact = written_calls(layer, shapes)
        return self._within(calls, f"model file: {path} ({layer.type_name})", exact)

    # -- entries ----------------------------------------------------------------------------

    def entry(self, entry, path: str, depth: int, functional: bool, wrapped: bool = False):
        """``(layer, inputs)`` for one layer entry at ``path`` (``layers[3]``, or
        ``layers[3].Bidirectional.layer`` for a wrapped one). The layer calls it makes are
        counted where it is applied (:meth:`_calls`); a nested model document bounds its own
        as it is read."""
        where = f"model file: {path}"
        if isinstance(entry, str):
            type_name, args, extra = entry, None, {}
        elif isinstance(entry, dict):
            keys = [k for k in entry if k not in _ENTRY_KEYS]
            if len(keys) != 1:
                raise SpecError(f"{where}: an entry names exactly one layer type, as "
                                f"{{Conv2D: {{filters: 8, kernel_size: 3}}}}. "
                                f"Received: keys {brief(keys)}")
            type_name, args = keys[0], entry[keys[0]]
            extra = {k: entry[k] for k in _ENTRY_KEYS if k in entry}
        else:
            raise SpecError(f"{where}: an entry is a layer type name or a mapping. "
                            f"Received: {brief(entry)}")
        if type_name not in self.types and type_name not in MODEL_TYPES:
            raise self._unknown(type_name, where)
        if "inputs" in extra and (wrapped or not functional):
            belongs = ("a wrapped layer takes the wrapping layer's input" if wrapped else
                       "a Sequential model file chains its layers")
            raise SpecError(f"{where} ({type_name}): `inputs` belongs to functional models "
                            f"(top-level `inputs`); {belongs}. Received: "
                            f"inputs={brief(extra['inputs'])}")
        if type_name not in self.types:
            return self.model_entry(type_name, args, extra, path, depth)
        cls = self.types[type_name]
        where = f"{where} ({type_name})"
        positional, keywords = [], {}
        if isinstance(args, dict):
            keywords = dict(args)
        elif isinstance(args, list):
            positional = list(args)
        elif args is not None:
            positional = [args]
        if "name" in extra:
            if "name" in keywords:
                raise SpecError(f"{where}: `name` is given twice. "
                                f"Received: name={brief(extra['name'])}")
            keywords["name"] = extra["name"]
        signature = inspect.signature(cls)
        named = [n for n, p in signature.parameters.items()
                 if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        for key, value in keywords.items():  # a typo (filter:) would bind into **kwargs
            if key == "self":  # the layer object itself, which Python would say twice
                raise SpecError(f"{where}: `self` is not an argument of {type_name}; "
                                f"{type_name} takes {', '.join(named)}. "
                                f"Received: self={brief(value)}")
            torch_named = self.types.get(f"nn.{type_name}")
            if not _accepted(cls, key) and torch_named is not None and \
                    _accepted(torch_named, key):  # PReLU: {num_parameters: 8} meant nn.PReLU
                raise SpecError(f"{where}: {type_name} is Keras' layer, which takes no "
                                f"`{key}`; PyTorch's layer of that name, which takes it, is "
                                f"nn.{type_name}. Received: {key}={brief(value)}")
            close = [] if _accepted(cls, key) or len(str(key)) > 64 else closest(key, named)
            if close:  # other unknown keywords: the layer's own "unexpected argument"
                raise SpecError(f"{where}: the arguments do not fit {type_name}: unknown "
                                f"argument `{key}`; did you mean `{close[0]}`? {type_name} "
                                f"takes {', '.join(named)}. Received: {key}={brief(value)}")
        try:
            bound = signature.bind(*positional, **keywords)
        except TypeError as err:
            received = f"a bare `{type_name}`, with no arguments" if args is None else brief(args)
            raise SpecError(f"{where}: the arguments do not fit {type_name}"
                            f"({', '.join(named)}): {err}. Received: {received}") from None
        values = {}
        wraps = getattr(cls, "wrapped_arguments", ())
        for arg, value in bound.arguments.items():
            if bound.signature.parameters[arg].kind is inspect.Parameter.VAR_KEYWORD:
                values.update({k: _value(v, k, self.symbols, where) for k, v in value.items()})
            elif arg in wraps and value is not None:
                values[arg] = self.wrapped(value, arg, f"{path}.{type_name}.{arg}", where, depth)
            else:
                values[arg] = _value(value, arg, self.symbols, where)
        try:
            layer = cls(**values)
        except SymcnnError as err:
            raise with_context(err, where) from None
        except (TypeError, ValueError) as err:
            raise SpecError(f"{where}: {err}. Received: {brief(args)}") from None
        if "masked" in extra:
            _note_masked(layer, extra["masked"], where)
        return layer, extra.get("inputs")

    def wrapped(self, value, arg: str, path: str, where: str, depth: int):
        """The layer or model for an argument a layer class lists in ``wrapped_arguments``:
        a layer entry, or a model document (a mapping with ``layers``)."""
        depth = _deeper(depth, path)
        if isinstance(value, dict) and "layers" in value:
            return self._nested(value, path, depth)[0]
        if not isinstance(value, (dict, str)):
            raise SpecError(f"{where}: `{arg}` is a layer entry (as in `layers`, "
                            f"{{LSTM: {{units: 4}}}}) or a model document (with `layers`). "
                            f"Received: {arg}={brief(value)}")
        return self.entry(value, path, depth, functional=False, wrapped=True)[0]

    def model_entry(self, type_name: str, args, extra: dict, path: str, depth: int) -> tuple:
        """``- Functional: {inputs: ..., layers: [...]}``: a model used as a layer; ``Sequential``
        is a document with ``input``, ``Functional`` one with ``inputs``, ``Model`` either."""
        path = f"{path}.{type_name}"
        if not isinstance(args, dict):
            raise SpecError(f"model file: {path}: a nested model is a model document, as "
                            f"{{{type_name}: {{input: [H, W, 3], layers: [...]}}}}. "
                            f"Received: {brief(args)}")
        wanted = {"Sequential": "input", "Functional": "inputs"}.get(type_name)
        if wanted is not None and wanted not in args:
            other = "Functional" if type_name == "Sequential" else "Sequential"
            raise SpecError(f"model file: {path}: a {type_name} document gives `{wanted}` "
                            f"(name it {other}, or Model, for the other form). Received: keys "
                            f"{brief(sorted(map(str, args)))}")
        if "name" in extra:
            if "name" in args:
                raise SpecError(f"model file: {path}: `name` is given twice (on the entry and "
                                f"in the document). Received: name={brief(extra['name'])}")
            args = {"name": extra["name"], **args}
        model, _ = self._nested(args, path, _deeper(depth, path))
        return model, extra.get("inputs")

    def _nested(self, spec, path: str, depth: int) -> tuple:
        """A nested document's model; errors of its layers' shapes name the document."""
        try:
            return self.document(spec, path, depth)
        except SymcnnError as err:
            if str(err).startswith("model file"):
                raise
            raise type(err)(f"model file: {path}: {err}") from None

    def _unknown(self, type_name, where: str) -> SpecError:
        types = self.types
        hint = did_you_mean(type_name, types) if len(str(type_name)) <= 64 else ""
        if isinstance(type_name, str) and f"nn.{type_name}" in types:
            hint += f" (PyTorch's layer of that name is nn.{type_name}.)"
        keras = sorted(n for n in types if not n.startswith("nn.") and n[0].isupper()
                       and not issubclass(types[n], TorchLayer))
        return SpecError(f"{where}: unknown layer type {brief(type_name)}.{hint} Known types: "
                         f"{', '.join(keras)}, a nested model as Functional or Sequential, "
                         f"and PyTorch's as nn.Conv2d, nn.Linear, ... "
                         f"Received: {brief(type_name)}")


def _named(entry) -> bool:
    """Whether a layer entry gives its layer a name (``name:`` beside the type or among its
    arguments)."""
    return isinstance(entry, dict) and ("name" in entry or any(
        isinstance(args, dict) and "name" in args for args in entry.values()))


def _applied(layer, x):
    """The output of ``layer`` on the tensor ``x`` (the running tensor of a Sequential
    document, for the next entry's count); None once a layer fails or gives several outputs,
    which the Sequential model built from the entries reports, with its place."""
    if x is None:
        return None
    try:
        layer.check_input_shapes([x.shape])
        outputs = apply_layer(layer, [x]).outputs
    except SymcnnError:
        return None
    return outputs[0] if len(outputs) == 1 else None


def _at_entry(err: SymcnnError, where: str) -> SymcnnError:
    """``err`` said at the entry ``where`` (``model file: layers[1] (Conv2D)``), unless an
    entry nested in it said where already."""
    return err if str(err).startswith("model file") else type(err)(f"{where}: {err}")


def _deeper(depth: int, path: str) -> int:
    if depth >= MAX_MODEL_NESTING:
        raise SpecError(f"model file: {path}: models and layers nested more than "
                        f"{MAX_MODEL_NESTING} levels deep (a model in a Repeat in a model ...); "
                        f"is it a model file? Received: a nesting of more than "
                        f"{MAX_MODEL_NESTING} levels")
    return depth + 1


def _note_masked(layer, text, where: str) -> None:
    """Restore an attention layer's note of a masked call (``masked: use_causal_mask=True``,
    as :func:`~symcnn.spec_export.model_to_spec` writes it), so that the exports still refuse
    it; a :class:`SpecError` for a layer that takes no masks or text of another form."""
    note = getattr(layer, "note_masked_call", None)
    if note is None:
        raise SpecError(f"{where}: `masked` belongs to the attention layers, which note a "
                        f"masked call. Received: masked={brief(text)}")
    if not isinstance(text, str) or not MASKED_CALL.fullmatch(text):
        raise SpecError(f"{where}: `masked` names the masks of the call as model_to_spec "
                        f"writes them, e.g. 'use_causal_mask=True' or 'attention_mask=<tensor>'. "
                        f"Received: masked={brief(text)}")
    note(text)


def _tensors(refs, tensors: dict, where: str, key: str = "inputs"):
    """The tensors ``refs`` (the value of ``key``: a name or a list of names) names: a name
    of a layer with several outputs (an ``LSTM`` with ``return_state``, a nested model with
    several ``outputs``) is its list of outputs, alone (``inputs: lstm`` or ``[lstm]``, as
    Python passes ``Concatenate()(lstm(x))``); beside other names it is refused, as
    Python refuses a list inside the list of a layer's inputs."""
    names = refs if isinstance(refs, list) else [refs]
    missing = [r for r in names if not isinstance(r, str) or r not in tensors]
    if missing:
        raise SpecError(f"{where}: `{key}` names inputs or earlier named layers "
                        f"({', '.join(tensors)}). Received: {brief(missing[0])}")
    picked = [tensors[r] for r in names]
    several = [(r, t) for r, t in zip(names, picked) if isinstance(t, list)]
    if several and len(names) > 1:
        name, outputs = several[0]
        count = f"{len(outputs)} output{'s' if len(outputs) != 1 else ''}"
        raise SpecError(f"{where}: `{key}` names {name!r}, a layer with {count} (a list), "
                        f"beside other tensors; a model file names such a layer's "
                        f"outputs all together and alone ({key}: {name}), as Python passes "
                        f"them (a list of tensors, not a list holding a list). "
                        f"Received: {key}={brief(refs)}")
    return picked if isinstance(refs, list) and not several else picked[0]
