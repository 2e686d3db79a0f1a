"""Writing models as model files: :func:`model_to_spec` (the reader is :mod:`symcnn.spec`).

>>> import symcnn as sc
>>> sc.model_to_spec(sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, padding="same")]))
{'symcnn': 1, 'symbols': [], 'input': [8, 8, 3], 'layers': [{'Conv2D': {'filters': 4, 'kernel_size': 3, 'padding': 'same'}}]}

A layer that wraps a layer (``Bidirectional``) or a model (``Repeat``, a model used as a
layer) is written with the wrapped part nested in place:

>>> m = sc.Sequential([sc.Input(("T", 8)), sc.Bidirectional(sc.LSTM(4, return_sequences=True))])
>>> sc.model_to_spec(m)["layers"]
[{'Bidirectional': {'layer': {'LSTM': {'units': 4, 'return_sequences': True}}}}]
"""

from __future__ import annotations

import sympy

from .errors import ExpressionError, SpecError, SymcnnError, brief
from .expr_parser import parse_expression
from .layers.base import Graph, Layer
from .model import Sequential
from .layers.repeat import MAX_LAYER_CALLS, calls_text, repeats, written_calls
from .nn import TorchLayer

#: The version of the model-file format written here and read by :mod:`symcnn.spec`.
FORMAT_VERSION = 1
#: Most levels of models and layers nested in one another (a model in a ``Repeat`` in a
#: model ...) that a model file holds; the reader refuses deeper files.
MAX_MODEL_NESTING = 10
#: The type names of a nested model entry (``- Functional: {inputs: ..., layers: [...]}``).
MODEL_TYPES = ("Functional", "Sequential", "Model")

__all__ = ["model_to_spec", "MAX_LAYER_CALLS", "repeats", "written_calls", "too_many_calls"]


def _readable(value, where: str) -> str:
    """``value`` as the text a model file holds, refused here where the reader would refuse
    it (a number of more than 1,000 digits, an expression past the reader's bounds:
    :func:`symcnn.expr_parser.parse_expression`), so that every file written reads back."""
    text = str(value)
    try:
        parse_expression(text, {s.name: s for s in value.free_symbols})
    except ExpressionError as err:
        raise SpecError(f"{where}: the value cannot be written so that the model file reads "
                        f"back ({err}). Received: {brief(value)}") from None
    return text


class _Writer:
    """One model file being written: the symbols its values use, gathered for the top."""

    def __init__(self) -> None:
        self.used: set = set()

    def plain(self, value, where: str):
        if isinstance(value, (tuple, list)):
            return [self.plain(v, where) for v in value]
        if isinstance(value, sympy.Basic):
            self.used |= value.free_symbols
            return int(value) if value.is_Integer else _readable(value, where)
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, Layer):  # a layer or model argument the class does not declare
            raise SpecError(f"{where}: a layer or a model as an argument is written only where "
                            f"the layer class lists the argument in `wrapped_arguments`. "
                            f"Received: {brief(value)}")
        raise SpecError(f"{where}: the value {brief(value)} cannot be written to a model file")

    def wrapped(self, value, where: str, depth: int):
        """A wrapped argument: a model as its document, a layer as a layer entry."""
        if isinstance(value, Graph):
            return self.document(value, where, _deeper(depth, where))
        if isinstance(value, Layer):
            entry = self.entry(value, where, _deeper(depth, where))
            if value.name is not None:
                return {"name": value.name, **entry}
            return next(iter(entry)) if entry == {next(iter(entry)): {}} else entry
        return self.plain(value, where)

    def entry(self, layer, where: str, depth: int) -> dict:
        """``{Type: {arguments}}`` for a layer; ``{Functional: document}`` (or
        ``Sequential``) for a model used as a layer."""
        if isinstance(layer, Graph):
            kind = "Sequential" if isinstance(layer, Sequential) else "Functional"
            return {kind: self.document(layer, where, _deeper(depth, where))}
        wrapped = type(layer).wrapped_arguments
        config = {k: (self.wrapped(v, f"{where}: {k}", depth) if k in wrapped
                      else self.plain(v, where))
                  for k, v in _short_config(layer).items() if k != "name"}
        kind = f"nn.{layer.type_name}" if isinstance(layer, TorchLayer) else layer.type_name
        return {kind: config}

    def document(self, model, where: str, depth: int) -> dict:
        """The model's own keys: ``name``, ``input_format`` (where stated),
        ``input``/``inputs``, ``layers``, ``outputs``, ``constraints`` (symbols are declared
        once, at the top)."""
        doc: dict = {}
        if model.name is not None:
            doc["name"] = model.name
        if model.input_format is not None:  # Model(..., input_format=...)
            doc["input_format"] = model.input_format
        sequential = isinstance(model, Sequential)
        input_names = list(model._input_names)
        owners = {id(t): (r.name, i, len(n.outputs)) for r in model._records for n in r.nodes
                  for i, t in enumerate(n.outputs)}
        owners.update({id(t): (n, 0, 1) for n, t in zip(input_names, model.inputs)})
        # a layer reading all of a layer's several outputs names that layer once
        refs = [_input_refs(r, owners, where) for r in model._records]
        outs = _output_refs(model, owners, where)
        previous = [input_names[0] if len(input_names) == 1 else None,
                    *(r.name for r in model._records)]
        chained = [ref == [previous[i]] for i, ref in enumerate(refs)]
        referenced = {name for ref, chain in zip(refs, chained) if not chain for name in ref}
        # a list of outputs (``Model(x, [y])``) is written as one, a layer's several outputs
        # (``outputs: lstm``) by its name; the last layer's single output needs no entry
        listed = not model._single_output and not (
            len(outs) == 1 and owners[id(model.outputs[0])][2] > 1)
        write_outputs = not sequential and (listed or outs != [previous[-1]])
        if write_outputs:
            referenced.update(outs)
        layers = []
        for index, record in enumerate(model._records):
            at = f"{where}: layer {record.name!r} ({record.type})"
            if record.calls > 1:
                raise SpecError(f"{at}: shared layers (one layer called twice) cannot be "
                                f"written to a model file yet. Received: {record.calls} calls")
            entry: dict = {}
            named = record.layer.name is not None or record.name in referenced
            body = self.entry(record.layer, at, depth)
            kind, config = next(iter(body.items()))
            if named and kind in MODEL_TYPES:  # a nested model's name is its document's
                config = {"name": record.name, **{k: v for k, v in config.items() if k != "name"}}
            elif named:
                entry["name"] = record.name
            entry[kind] = config
            if not sequential and not chained[index]:
                entry["inputs"] = refs[index] if len(refs[index]) > 1 else refs[index][0]
            masked = getattr(record.layer, "masked_call", None)
            if masked:  # the attention layers' note of a masked call (the exports refuse it)
                entry["masked"] = masked
            layers.append(kind if entry == {kind: {}} else entry)
        if sequential:
            doc["input"] = self.plain(model.inputs[0].shape, where)
        else:
            doc["inputs"] = {n: self.plain(t.shape, where)
                             for n, t in zip(input_names, model.inputs)}
        doc["layers"] = layers
        if write_outputs:
            doc["outputs"] = outs if listed else outs[0]
        if model._stated:
            self.used.update(*(c.free_symbols for c in model._stated))
            doc["constraints"] = [relation_text(c) for c in model._stated]
        return doc


def too_many_calls(calls: int, where: str, exact: bool = True) -> SpecError | None:
    """The error for a model that unrolls to more than
    :data:`~symcnn.layers.repeat.MAX_LAYER_CALLS` layer calls (counted by
    :func:`~symcnn.layers.repeat.written_calls`, as Python's ``Repeat`` counts them; the
    reader's and the writer's; ``exact`` False: at least ``calls``), else None."""
    if calls <= MAX_LAYER_CALLS:
        return None
    return SpecError(f"{where}: the model unrolls to more than {MAX_LAYER_CALLS:,} layer "
                     f"calls (numeric Repeat counts of blocks that change the shape multiply "
                     f"through nesting); give a symbol as the count of a deep stack. "
                     f"Received: {calls_text(calls, exact)} calls")


def _deeper(depth: int, where: str) -> int:
    """One level of nesting more (a model in a model, a layer in a layer), within bounds."""
    if depth >= MAX_MODEL_NESTING:
        raise SpecError(f"{where}: models and layers nested more than {MAX_MODEL_NESTING} "
                        f"levels deep cannot be written (a model file is read to that depth). "
                        f"Received: a nesting of more than {MAX_MODEL_NESTING} levels")
    return depth + 1


def _short_config(layer) -> dict:
    """The layer's config without arguments at their defaults, and ``(3, 3)`` as ``3``."""
    cls, full = type(layer), layer.get_config()

    def same(config) -> bool:
        try:
            return cls(**config).get_config() == full
        except (SymcnnError, TypeError, ValueError):
            return False

    config = dict(full)
    for key in list(config):
        value = config[key]
        if isinstance(value, tuple) and value and all(v == value[0] for v in value):
            if same({**config, key: value[0]}):
                config[key] = value[0]
        trial = {k: v for k, v in config.items() if k != key}
        if same(trial):
            config = trial
    return config


def model_to_spec(model) -> dict:
    """A model-file document (plain data for JSON or YAML) that rebuilds ``model``.

    A model used as a layer is a nested entry, ``{Functional: {inputs: ..., layers: [...]}}``
    (or ``Sequential`` with ``input``); the layer or model a layer wraps (``Bidirectional``'s
    ``layer``, ``Repeat``'s ``block``) is nested in place, a model as its document. Symbols
    are declared once, at the top. Shared layers (one layer called twice) and a layer read
    through one of several outputs are not expressible and raise
    :class:`~symcnn.errors.SpecError`.

    >>> import symcnn as sc
    >>> spec = sc.model_to_spec(sc.zoo.textbook.free_width())
    >>> spec["symbols"], spec["input"], spec["layers"][-1]
    (['n'], [39, 31, 1], {'Dense': {'units': 'n', 'use_bias': False}})
    >>> sc.model_from_spec(spec).params
    160*n + 48320
    """
    writer = _Writer()
    body = writer.document(model, "model_to_spec", 0)
    calls, exact = written_calls(model)
    error = too_many_calls(calls, "model_to_spec", exact)
    if error is not None:  # a file that the reader would refuse is not written
        raise error
    free = set(model.free_symbols).union(*(r.layer.free_symbols for r in model._records))
    free |= writer.used
    spec: dict = {"symcnn": FORMAT_VERSION}
    if "name" in body:
        spec["name"] = body.pop("name")
    spec["symbols"] = sorted(s.name for s in free if s.is_integer)
    multipliers = sorted(s.name for s in free if not s.is_integer)  # sc.multiplier's
    if multipliers:
        spec["multipliers"] = multipliers
    spec.update(body)
    return spec


#: The comparison operators of a model file's ``constraints``, by SymPy class (the reader,
#: :mod:`symcnn.spec`, takes them from here).
RELATIONS = {sympy.Ge: ">=", sympy.Le: "<=", sympy.Gt: ">", sympy.Lt: "<", sympy.Eq: "=="}


def relation_text(relation) -> str:
    """``alpha >= 1/4``: a stated constraint as a model file writes it."""
    return f"{relation.lhs} {RELATIONS[type(relation)]} {relation.rhs}"


def _refs(tensors, owners: dict) -> tuple:
    """``(names, None)``: the names a model file gives ``tensors``, each its layer's (or
    input's); a layer with several outputs (an ``LSTM`` with ``return_state``) once, when the
    tensors are all of them in order and nothing else. ``(None, (name, index, count))`` for
    the first output of such a layer read otherwise: a model file names a layer's outputs
    all together and alone."""
    found = [owners[id(t)] for t in tensors]
    for name, index, count in found:
        if count > 1:
            if found == [(name, k, count) for k in range(count)]:
                return [name], None
            return None, (name, index, count)
    return [name for name, _, _ in found], None


def _input_refs(record, owners: dict, where: str = "model_to_spec") -> list:
    """The names of the tensors a layer reads (:func:`_refs`): ``Concatenate()(lstm(x))``
    is written ``inputs: lstm``, which the reader reads back as that list."""
    names, read = _refs(record.node.inputs, owners)
    if read is not None:
        name, index, count = read
        raise SpecError(
            f"{where}: layer {record.name!r} ({record.type}) reads output "
            f"{index} of the {count} of layer {name!r} (with other tensors, or not all "
            f"of them in order); a model file names a layer's outputs all together and "
            f"alone, so this cannot be written yet. Received: {name}[{index}]")
    return names


def _output_refs(model, owners: dict, where: str = "model_to_spec") -> list:
    """The names of the model's outputs (:func:`_refs`): ``outputs: lstm`` gives
    ``[output, h, c]``."""
    names, read = _refs(model.outputs, owners)
    if read is not None:
        name, index, count = read
        raise SpecError(
            f"{where}: the model outputs output {index} of the {count} of layer "
            f"{name!r}; a model file can output such a layer's outputs only all together "
            f"and alone. Received: {name}[{index}]")
    return names
