"""Writing models as model files: :func:`model_to_spec` (the reader is :mod:`symcnn.spec`).

>>> import symcnn as sc
>>> sc.model_to_spec(sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, padding="same")]))
{'symcnn': 1, 'symbols': [], 'input': [8, 8, 3], 'layers': [{'Conv2D': {'filters': 4, 'kernel_size': 3, 'padding': 'same'}}]}
"""

from __future__ import annotations

import sympy

from .errors import SpecError, SymcnnError, brief
from .layers.base import Layer
from .model import Model, Sequential
from .nn import TorchLayer

#: The version of the model-file format written here and read by :mod:`symcnn.spec`.
FORMAT_VERSION = 1

__all__ = ["model_to_spec"]

def _plain(value, where: str):
    if isinstance(value, (tuple, list)):
        return [_plain(v, where) for v in value]
    if isinstance(value, sympy.Basic):
        return int(value) if value.is_Integer else str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (Layer, Model)):  # Bidirectional(LSTM(...)), Repeat(block)
        raise SpecError(f"{where}: a layer that wraps another layer or a model cannot be "
                        f"written to a model file yet. Received: {brief(value)}")
    raise SpecError(f"{where}: the value {brief(value)} cannot be written to a model file")


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

    Shared layers (one layer called twice) and nested models are not expressible and raise
    :class:`~symcnn.errors.SpecError`.

    >>> import symcnn as sc
    >>> spec = sc.model_to_spec(sc.zoo.textbook.free_width())
    >>> spec["symbols"], spec["input"], spec["layers"][-1]
    (['n'], [39, 31, 1], {'Dense': {'units': 'n', 'use_bias': False}})
    >>> sc.model_from_spec(spec).params
    160*n + 48320
    """
    free = set(model.free_symbols).union(*(r.layer.free_symbols for r in model._records))
    spec: dict = {"symcnn": FORMAT_VERSION}
    if model.name is not None:
        spec["name"] = model.name
    spec["symbols"] = sorted(s.name for s in free if s.is_integer)
    multipliers = sorted(s.name for s in free if not s.is_integer)  # sc.multiplier's
    if multipliers:
        spec["multipliers"] = multipliers
    sequential = isinstance(model, Sequential)
    input_names = list(model._input_names)
    refs = [list(r.inbound) for r in model._records]
    owners = {id(t): (r.name, i, len(n.outputs)) for r in model._records for n in r.nodes
              for i, t in enumerate(n.outputs)}
    owners.update({id(t): (n, 0, 1) for n, t in zip(input_names, model.inputs)})
    _check_single_outputs_read(model, owners)
    outs = _output_refs(model, owners)
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
        where = f"model_to_spec: layer {record.name!r} ({record.type})"
        if record.calls > 1 or isinstance(record.layer, Model):
            raise SpecError(f"{where}: shared layers and nested models cannot be written to a "
                            f"model file yet. Received: {record.calls} call(s)")
        config = {k: _plain(v, where) for k, v in _short_config(record.layer).items()
                  if k != "name"}
        entry: dict = {}
        if record.layer.name is not None or record.name in referenced:
            entry["name"] = record.name
        kind = f"nn.{record.type}" if isinstance(record.layer, TorchLayer) else record.type
        entry[kind] = config
        if not sequential and not chained[index]:
            entry["inputs"] = refs[index] if len(refs[index]) > 1 else refs[index][0]
        layers.append(kind if entry == {kind: {}} else entry)
    if sequential:
        spec["input"] = _plain(model.inputs[0].shape, "model_to_spec")
    else:
        spec["inputs"] = {n: _plain(t.shape, "model_to_spec")
                          for n, t in zip(input_names, model.inputs)}
    spec["layers"] = layers
    if write_outputs:
        spec["outputs"] = outs if listed else outs[0]
    if model._stated:
        spec["constraints"] = [relation_text(c) for c in model._stated]
    return spec


#: The comparison operators of a model file's ``constraints``, by SymPy class (the reader,
#: :mod:`symcnn.spec`, takes them from here).
RELATIONS = {sympy.Ge: ">=", sympy.Le: "<=", sympy.Gt: ">", sympy.Lt: "<", sympy.Eq: "=="}


def relation_text(relation) -> str:
    """``alpha >= 1/4``: a stated constraint as a model file writes it."""
    return f"{relation.lhs} {RELATIONS[type(relation)]} {relation.rhs}"


def _check_single_outputs_read(model, owners: dict) -> None:
    """A layer that reads one output of a layer with several (an ``LSTM`` with
    ``return_state``) cannot be written: a model file names a layer's outputs all at once."""
    for record in model._records:
        for tensor in record.node.inputs:
            name, index, count = owners[id(tensor)]
            if count > 1:
                raise SpecError(
                    f"model_to_spec: layer {record.name!r} ({record.type}) reads output "
                    f"{index} of the {count} of layer {name!r}; a model file names a layer's "
                    f"outputs all at once, so this cannot be written yet. Received: "
                    f"{name}[{index}]")


def _output_refs(model, owners: dict) -> list:
    """The names of the model's outputs: a layer with several outputs once, when the model
    outputs all of them in order (``outputs: lstm`` gives ``[output, h, c]``)."""
    refs, outputs, i = [], list(model.outputs), 0
    while i < len(outputs):
        name, index, count = owners[id(outputs[i])]
        run = [owners[id(t)] for t in outputs[i:i + count]]
        if count > 1 and (index != 0 or run != [(name, k, count) for k in range(count)]
                          or len(outputs) != count):
            raise SpecError(
                f"model_to_spec: the model outputs output {index} of the {count} of layer "
                f"{name!r}; a model file can output such a layer's outputs only all together "
                f"and alone. Received: {name}[{index}]")
        refs.append(name)
        i += count
    return refs
