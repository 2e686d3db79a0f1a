"""Wiring a functional model: the layer calls behind its outputs in order, unique
Keras-style names, one :class:`~symcnn.records.LayerRecord` per distinct layer (shared
layers checked to keep their weights), the records in Keras' order, and the constraints the
symbols must meet. :class:`~symcnn.model.Model` keeps what :func:`wire` returns.

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 3))
>>> m = sc.Model(x, sc.Conv2D(8, 3)(sc.Conv2D(8, 3)(x)))
>>> w = wire(m)
>>> [r.name for r in w.listed], w.constraints.as_list()
(['input_layer', 'conv2d', 'conv2d_1'], [H >= 5, W >= 5])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable

import sympy

from . import arith
from .errors import GraphError, ShapeError, describe_layer
from .feasible import unsatisfiable
from .layers.base import Layer, format_shape, snake_case
from .layers.core import InputLayer
from .records import LayerRecord
from .render.exprs import show

__all__ = ["Wiring", "wire"]


@dataclass(frozen=True)
class Wiring:
    """What :func:`wire` finds: every call in order, the records, the input names, all the
    records as ``model.layers`` lists them, the InputLayer records, the constraints."""

    nodes: tuple
    records: tuple
    input_names: tuple
    listed: tuple
    input_records: tuple
    constraints: Any


class _Namer:
    """Keras-style automatic names, unique within one model: conv2d, conv2d_1, ..."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = set(taken)
        self.counts: dict = {}

    def name(self, layer: Layer) -> str:
        if layer.name is not None:
            return layer.name
        # a model is named by its kind (functional, sequential), a layer by its class
        base = getattr(layer, "_default_name", None) or snake_case(layer.type_name)
        while True:
            k = self.counts.get(base, 0)
            self.counts[base] = k + 1
            candidate = base if k == 0 else f"{base}_{k}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def _layers_within(model, memo: dict) -> dict:
    """``{id(layer): layer}`` of every layer a nested model holds, its own nested models'
    included (each model walked once: ``memo``)."""
    found = memo.get(id(model))
    if found is None:
        found = {}
        for node in getattr(model, "nodes", None) or ():
            inner = node.layer
            if not isinstance(inner, InputLayer):
                found[id(inner)] = inner
                if getattr(inner, "nodes", None) is not None:  # a model nested in it
                    found.update(_layers_within(inner, memo))
        memo[id(model)] = found
    return found


def _check_not_in_two_models(layer_nodes) -> None:
    """Refuse one layer object called both in this model and inside a model nested in it
    (or inside two nested models): each model counts its layers' weights, so they would
    count twice (Keras counts them once)."""
    direct = {id(n.layer): n.layer for n in layer_nodes}
    nested = [layer for layer in direct.values() if getattr(layer, "nodes", None) is not None]
    if not nested:
        return
    memo: dict = {}
    seen: dict = {}  # id(layer) -> the nested model holding it
    for model in nested:
        origin = getattr(model, "rebuilt_from", None) or model  # a rebuild shares its layers
        for key, inner in _layers_within(model, memo).items():
            other = direct.get(key) if key in direct and direct[key] is not model else None
            holder = seen.setdefault(key, origin)
            if other is not None or holder is not origin:
                where = f"this model and in its nested model {model.display_name!r}" \
                    if other is not None else \
                    f"the nested models {holder.display_name!r} and {origin.display_name!r}"
                raise GraphError(
                    f"Model: {describe_layer(inner.type_name, inner.name)} is called in "
                    f"{where}; each model counts its layers' weights, so they would count "
                    f"twice. Call a layer in one model only (nest the model that calls it). "
                    f"Received: one {inner.type_name} in two models")


def wire(model) -> Wiring:
    """The graph of ``model`` (its ``inputs``, ``outputs`` and ``is_sequential``), checked:
    a :class:`~symcnn.errors.GraphError` or :class:`~symcnn.errors.ShapeError` says what is
    wrong."""
    nodes: dict = {}
    stack = [t.node for t in model.outputs]
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        stack.extend(t.node for t in node.inputs)
    ordered = sorted(nodes.values(), key=lambda n: n.order)
    given = {id(t.node) for t in model.inputs}
    for node in ordered:
        if isinstance(node.layer, InputLayer) and id(node) not in given:
            raise GraphError(
                f"Model: the outputs depend on an input of shape "
                f"{format_shape(node.outputs[0].shape)} that is not among the model's "
                f"inputs (disconnected graph). Pass it in `inputs`."
            )
    input_nodes = [t.node for t in model.inputs]
    if len({id(n) for n in input_nodes}) != len(input_nodes):
        raise GraphError("Model: the same input tensor is given twice in `inputs`.")
    layer_nodes = [n for n in ordered if not isinstance(n.layer, InputLayer)]

    explicit = {}
    for node in layer_nodes:
        layer = node.layer
        if layer.name is not None:
            other = explicit.setdefault(layer.name, layer)
            if other is not layer:
                raise GraphError(
                    f"Model: two different layers are both named {layer.name!r}; layer "
                    f"names must be unique within a model. Received: a {other.type_name} "
                    f"and a {layer.type_name} named {layer.name!r}"
                )
    _check_not_in_two_models(layer_nodes)
    given_inputs = {n.layer.name for n in input_nodes if n.layer.name is not None}
    clash = sorted(given_inputs & set(explicit))
    if clash:  # "Connected to: dense" would not say which
        raise GraphError(
            f"Model: an input and a layer are both named {clash[0]!r}; names must be unique "
            f"within a model. Received: an InputLayer and a {explicit[clash[0]].type_name} "
            f"named {clash[0]!r}")
    namer = _Namer({*explicit, *given_inputs})  # an input named "dense": the layer dense_1
    by_layer: dict = {}
    for node in layer_nodes:
        by_layer.setdefault(id(node.layer), []).append(node)
    names: dict = {}
    records = []
    for node in layer_nodes:
        key = id(node.layer)
        if key in names:
            continue
        names[key] = namer.name(node.layer)
    input_namer = _Namer(names.values())
    input_names = {id(n): input_namer.name(n.layer) for n in input_nodes}
    tensor_owner = {}
    for node in ordered:
        label = input_names.get(id(node)) or names.get(id(node.layer))
        for t in node.outputs:
            tensor_owner[id(t)] = label
    recorded: set = set()
    # Keras lists a functional model's InputLayers first (model.layers[1] is the first
    # real layer); a Sequential lists none.
    inputs = () if model.is_sequential else tuple(
        LayerRecord(i, input_names[id(n)], n.layer, (n,), (), model)
        for i, n in enumerate(input_nodes))
    offset = len(inputs)
    for node in layer_nodes:
        key = id(node.layer)
        if key in recorded:
            continue
        recorded.add(key)
        calls = tuple(by_layer[key])
        inbound = tuple(tensor_owner.get(id(t), "?") for t in calls[0].inputs)
        records.append(LayerRecord(len(records) + offset, names[key], node.layer, calls,
                                   inbound, model))
    listed = tuple(r if r.index == i else dataclasses.replace(r, index=i)  # position in
                   for i, r in enumerate(_keras_order(ordered, inputs, records)))  # .layers
    # errors name a layer as model.layers lists it, as model.subs's do: 'dense_1' (#3)
    position = {id(r.layer): r for r in listed}

    shared_weights: list = []
    for record in records:
        first = record.nodes[0]
        for later in record.nodes[1:]:
            pairs = ((first.computed.trainable, later.computed.trainable),
                     (first.computed.non_trainable, later.computed.non_trainable))
            verdicts = [arith.decide_equal(a, b) for a, b in pairs]
            # undecided (sizes equal only for some symbol values): a recorded constraint
            shared_weights.extend(sympy.Eq(a, b) for (a, b), v in zip(pairs, verdicts)
                                  if v is None)
            if False in verdicts:
                raise GraphError(
                    f"{_describe(position[id(record.layer)])}: a shared layer is reused with "
                    f"incompatible inputs (its weights would differ). Received: input shapes "
                    f"{format_shape(first.input_shapes[0])} and "
                    f"{format_shape(later.input_shapes[0])}"
                )

    constraints = arith.ConstraintSet(shared_weights)
    stated = getattr(model, "_stated", ())  # Model(..., constraints=...)
    try:
        constraints.update(stated)
    except arith.Infeasible:
        raise ShapeError(f"Model: a stated constraint does not hold, so no input size is "
                         f"valid. Received: constraints="
                         f"[{', '.join(map(str, stated))}]") from None
    for i, node in enumerate(ordered):
        try:
            constraints.update(node.constraints)
        except arith.Infeasible:
            record = position.get(id(node.layer))
            where = _describe(record) if record else describe_layer(node.layer.type_name)
            earlier = arith.ConstraintSet(shared_weights)  # as they were before this layer
            earlier.update(stated)
            for before in ordered[:i]:
                earlier.update(before.constraints)
            raise ShapeError(
                f"{where}: its conditions on the symbols contradict earlier ones, so no input "
                f"size is valid. Received: "
                f"{', '.join(map(show, node.constraints))} with "
                f"{', '.join(map(show, earlier.as_list()))}"
            ) from None
    problem = unsatisfiable(constraints.as_list())  # say so now, not at the first subs
    if problem is not None:
        raise ShapeError(f"Model: the model accepts no input size: {problem}. Received: "
                         f"input shape(s) {', '.join(format_shape(t.shape) for t in model.inputs)}")
    input_layers = {id(i.layer) for i in inputs}
    layer_records = tuple(r for r in listed if id(r.node.layer) not in input_layers)
    return Wiring(nodes=tuple(ordered), records=layer_records,
                  input_names=tuple(input_names[id(n)] for n in input_nodes), listed=listed,
                  input_records=tuple(r for r in listed if id(r.node.layer) in input_layers),
                  constraints=constraints)


def _describe(record: LayerRecord) -> str:
    """``Dense layer 'dense_1' (#3)``: the layer, its name and its place in ``model.layers``."""
    return describe_layer(record.layer.type_name, record.name, record.index)


def _keras_order(nodes, inputs, records) -> tuple:
    """Records in Keras' order: each InputLayer just before the first layer that lies
    nearer the outputs than it does (Keras lists operations by depth from the outputs)."""
    if not inputs:
        return tuple(records)
    depth: dict = {}
    for node in reversed(nodes):  # consumers come after their producers
        depth.setdefault(id(node), 0)
        for t in node.inputs:
            depth[id(t.node)] = max(depth.get(id(t.node), 0), depth[id(node)] + 1)
    listed, pending = [], sorted(inputs, key=lambda r: -depth.get(id(r.node), 0))
    for record in records:
        level = max(depth.get(id(n), 0) for n in record.nodes)
        while pending and depth.get(id(pending[0].node), 0) > level:
            listed.append(pending.pop(0))
        listed.append(record)
    return tuple(listed + pending)
