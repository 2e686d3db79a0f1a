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

from typing import Any

from ..errors import ConversionError, SpecError, SymcnnError
from ..layers.base import Tensor
from ..layers.core import Input
from ..model import Model, Sequential
from ..safe import brief
from ._common import Problems, given_shapes
from .keras_checks import check_model_config
from .keras_config import _MODELS, load_keras_config
from .keras_layers import _keras_op, _make_layer, trainable_in
from .keras_nodes import _TENSOR_KWARGS, _collect, _node_refs, _refs, call_masks

__all__ = ["from_keras", "load_keras_config"]


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
        if _is_live(model_or_json):
            _check_no_layer_in_two_models(model_or_json)
        else:
            _check_no_layer_named_in_a_nested_model(config)
        spec = _Spec(config, problems, trainable=True, where="")
        problems.raise_if_any("Rebuild these with supported layers, or compute them by hand.")
        shapes = None
        if input_shape is not None:
            shapes = given_shapes(input_shape, "from_keras", "(32, 32, 3)")
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
        self.trainable = trainable and trainable_in(
            self.config, f"{self.kind} '{where}{self.name or self.kind}'")
        self.where = f"{where}{self.name or self.kind.lower()}"
        self.problems = problems
        self.layers: dict = {}
        self.order: list = []
        self.inputs: list = []  # (name, config shape) of InputLayers
        self.built: Model | None = None
        items = self.config.get("layers") or []
        skipped = _side_ops(items, self.config.get("output_layers"))
        _check_unique_names(items, self.where)
        for item in items:
            if _item_name(item) not in skipped:
                self._add(item)

    def _add(self, item: dict) -> None:
        kind = item.get("class_name")
        cfg = item.get("config") or {}
        name = _item_name(item)
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
                    f"{len(given)} input shape(s) were given. Received: input_shape={brief(given)}")
            for g, k in zip(given, known):
                if k is not None and len(g) != len(k):
                    raise ConversionError(
                        f"from_keras: input_shape must have rank {len(k)} (the model's input "
                        f"is {_show(k)}, without the batch axis). Received: input_shape={brief(g)}")
            shapes = list(given)
        if any(s is None for s in shapes) or not shapes:
            raise ConversionError(
                f"from_keras: model '{self.where}' does not record its input shape (an unbuilt "
                f"Sequential?); pass input_shape=(...) without the batch axis. "
                f"Received: input_shape={brief(given)}")
        return [_fill_unknown(s, k, len(shapes)) for k, s in enumerate(shapes)]

    def _known(self) -> list:
        """The input shapes the config declares (``None`` where it records none)."""
        if self.kind == "Sequential":
            return [self.inputs[0][1]] if self.inputs else [_sequential_shape(self.config)]
        declared = dict(self.inputs)
        return [declared.get(name) for name, _, _ in _refs(self.config.get("input_layers"))]

    def _sequential(self, shapes) -> Model:
        shape = self._shapes(shapes, self._known())[0]
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
            return layer.build_nested([t.shape for t in inputs])
        return layer

    def build_nested(self, call_shapes) -> Model:
        """This nested model, built once on the input shapes it declares, ``None`` sizes as
        symbols: a template that each call rebuilds on the shapes it receives
        (:meth:`symcnn.Model.rebuilt_on`), so calls at several sizes share one set of
        weights, as in Keras; a model that declares no input shape (an unbuilt Sequential)
        is built on its first call's shapes."""
        known = self._known()
        if self.built is None and known and all(k is not None for k in known):
            return self.build(None)
        return self.build(call_shapes)

    def _functional(self, shapes) -> Model:
        in_refs = _refs(self.config.get("input_layers"))
        out_refs = _refs(self.config.get("output_layers"))
        shapes = self._shapes(shapes, self._known())
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
        outputs = [_tensor(tensors, self._output_ref(r, tensors), self.where)
                   for r in out_refs]
        model = Model(inputs[0] if len(inputs) == 1 else inputs,
                      outputs[0] if len(outputs) == 1 else outputs, name=self.name)
        self._check_all_layers_kept(model, calls)
        return model

    def _output_ref(self, ref, tensors: dict):
        """``ref`` of ``output_layers``, where Keras 3 counts a nested functional model's
        own construction as its node 0: its call ``k`` is node ``k + 1`` there (and node
        ``k`` in the calls that read it). Read as Keras' own ``get_tensor`` reads it: one
        less for a functional model (``Functional`` or ``Model``; not a Sequential), node 0
        being Python's index -1, its last call."""
        name, node, index = ref
        item = self.layers.get(name, (None, {}))[1]
        if item.get("class_name") in ("Functional", "Model"):
            calls = len(item.get("inbound_nodes") or [])
            return name, node - 1 if node > 0 else calls - 1, index
        return ref

    def _check_all_layers_kept(self, model: Model, calls: dict) -> None:
        """A layer that reaches the outputs only through a call's ``mask=`` or
        ``initial_state=`` (which symcnn does not model) would drop out of the model with its
        parameters: an error, never a smaller count."""
        kept = {r.name for r in model._records}
        lost = [name for name in dict.fromkeys(name for name, _ in calls) if name not in kept]
        if not lost:
            return
        through = sorted({key for node in calls.values() if isinstance(node, dict)
                          for key, value in (node.get("kwargs") or {}).items()
                          if key not in _TENSOR_KWARGS and _mentions(value, lost)})
        how = ", ".join(f"{k}=" for k in through) or "a keyword argument"
        raise ConversionError(
            f"from_keras: model '{self.where}': layer(s) {', '.join(map(repr, lost))} reach the "
            f"outputs only through {how} of a call, which symcnn does not model (masks and "
            f"initial states change no shape); their parameters would be left out of the "
            f"totals. Received: layers {', '.join(lost)}")

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
                masks = call_masks(calls[call]) if hasattr(layer, "masked_call") else {}
                out = layer(args if many else args[0], **masks)
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


def _is_live(source) -> bool:
    return not isinstance(source, (dict, str, bytes)) and not hasattr(source, "__fspath__") \
        and hasattr(source, "to_json") and hasattr(source, "layers")


def _check_no_layer_in_two_models(model) -> None:
    """A live Keras model in which one layer object belongs to two of the models it nests
    (the outer model and a nested one, or two nested ones): ``to_json`` writes the layer in
    each, and Keras' own reload (``model_from_json``) makes two layers of it; symcnn would
    count its weights twice. Refused, naming the layer."""
    places: dict = {}  # id(layer) -> (layer, [paths of the models it is in])
    walked: set = set()

    def walk(m, path: str) -> None:
        if id(m) in walked:
            return
        walked.add(id(m))
        for layer in getattr(m, "layers", None) or []:
            places.setdefault(id(layer), (layer, []))[1].append(path)
            if hasattr(layer, "layers") and hasattr(layer, "to_json"):  # a nested model
                walk(layer, f"{path}/{getattr(layer, 'name', '?')}")

    walk(model, str(getattr(model, "name", "model")))
    shared = [(layer, paths) for layer, paths in places.values() if len(set(paths)) > 1]
    if shared:
        layer, paths = shared[0]
        raise ConversionError(
            f"from_keras: layer {brief(getattr(layer, 'name', '?'))} is one layer in two "
            f"models: {', '.join(repr(p) for p in sorted(set(paths), key=len))}. A Keras config "
            f"records it once in each (Keras' own model_from_json makes two layers of it), "
            f"and symcnn would count its weights twice; call it in one of them only. "
            f"Received: layers shared across models: "
            f"{', '.join(str(getattr(lay, 'name', '?')) for lay, _ in shared)}")


def _check_no_layer_named_in_a_nested_model(config: dict) -> None:
    """A config (JSON, ``.keras``) in which a layer of a nested model has the name and the
    config of a layer of a model around it: one layer called in both models, as ``to_json``
    writes it, whose weights would count twice (Keras' own ``model_from_json`` makes two
    layers of it; its ``.keras`` reload fails). Refused: a config cannot say whether it is
    one layer or two of one name."""
    found: dict = {}  # name -> [(model path, the layer's entry without its calls)]

    def walk(entry: dict, path: str) -> None:
        body = entry.get("config") or {}
        for item in body.get("layers") or []:
            if not isinstance(item, dict) or item.get("class_name") == "InputLayer":
                continue
            name = _item_name(item)
            same = {k: v for k, v in item.items() if k != "inbound_nodes"}
            found.setdefault(name, []).append((path, same))
            if item.get("class_name") in _MODELS:
                walk(item, f"{path}/{name}")

    walk(config, str(_item_name(config) or config.get("class_name")))
    for name, places in found.items():
        for i, (first, a) in enumerate(places):
            for second, b in places[i + 1:]:
                outer, inner = sorted((first, second), key=len)
                if a == b and inner.startswith(outer + "/"):
                    raise ConversionError(
                        f"from_keras: layer {brief(name)} is in model {outer!r} and, with the "
                        f"same config, in its nested model {inner!r}: one layer called in both "
                        f"(Keras' to_json writes it in each), whose weights symcnn would count "
                        f"twice, or two layers of one name, which the config cannot tell "
                        f"apart (if two, pass the live Keras model or rename one). Received: "
                        f"name={brief(name)}")


def _item_name(item: dict):
    return (item.get("config") or {}).get("name") or item.get("name")


def _side_ops(items: list, outputs) -> set:
    """The operations (``keras.src.ops``: ``NotEqual``, ``Any``) whose results reach the
    model only through calls' ``mask=`` (or another keyword that is not an input): the mask
    that ``Embedding(mask_zero=True)`` or ``Masking`` hands on. They change no shape and have
    no parameters, so they are left out rather than converted.

    >>> op = {"class_name": "NotEqual", "module": "keras.src.ops.numpy",
    ...       "config": {"name": "not_equal"}, "inbound_nodes": []}
    >>> lstm = {"class_name": "LSTM", "config": {"name": "lstm"}, "inbound_nodes": [
    ...     {"args": [], "kwargs": {"mask": {"class_name": "__keras_tensor__",
    ...                                      "config": {"keras_history": ["not_equal", 0, 0]}}}}]}
    >>> _side_ops([op, lstm], [["lstm", 0, 0]])
    {'not_equal'}
    """
    ops = {_item_name(i) for i in items
           if str(i.get("module") or "").startswith("keras.src.ops")}
    if not ops:
        return set()
    readers: dict = {}  # layer -> layers that read it as an input (not through mask=)
    for item in items:
        for node in item.get("inbound_nodes") or []:
            refs, _ = _node_refs(node)
            for name, _, _ in refs:
                readers.setdefault(name, set()).add(_item_name(item))
    side = set(ops) - {name for name, _, _ in _refs(outputs)}
    changed = True
    while changed:  # an op read as an input by anything but another side op is kept
        changed = False
        for name in list(side):
            if readers.get(name, set()) - side:
                side.discard(name)
                changed = True
    return side


def _mentions(value, names: list) -> bool:
    """Whether a call's keyword value holds a tensor made by one of ``names``."""
    refs: list = []
    _collect(value, refs)
    return any(name in names for name, _, _ in refs)


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
        kind = outs[0].node.layer.type_name if outs else "layer"
        raise ConversionError(f"from_keras: model '{where}' uses output {index} of layer "
                              f"'{name}', but symcnn's {kind} gives {len(outs)} output(s): "
                              f"it does not model extra outputs such as attention scores "
                              f"(return_attention_scores=True). Received: keras_history="
                              f"{list(ref)}")
    return outs[index]


def _check_unique_names(items: list, where: str) -> None:
    """Two layers (InputLayers included) of one model with one name: Keras refuses the
    config, since a name finds one layer; symcnn would keep one of them silently."""
    seen: set = set()
    for item in items:
        name = _item_name(item) if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            raise ConversionError(
                f"from_keras: model '{where}' has two layers named {brief(name)}; a Keras "
                f"model's layer names are unique (Keras refuses this config). "
                f"Received: name={brief(name)}")
        seen.add(name)


def _input_shape(cfg: dict):
    """An InputLayer's shape without the batch axis, read as Keras reads it:
    ``batch_input_shape`` (Keras 2's name) wins over ``batch_shape`` and ``input_shape``
    over ``shape``, and a ``shape`` beside a ``batch_shape`` is refused."""
    batch = cfg["batch_input_shape"] if "batch_input_shape" in cfg else cfg.get("batch_shape")
    shape = cfg["input_shape"] if "input_shape" in cfg else cfg.get("shape")
    if batch is not None and shape is not None:
        raise ConversionError(
            f"from_keras: InputLayer {brief(cfg.get('name'))} gives both a shape and a batch "
            f"shape, which Keras refuses. Received: shape={brief(shape)}, "
            f"batch_shape={brief(batch)}")
    if batch is not None:
        return tuple(batch[1:])
    if shape is not None:
        return tuple(shape)
    return None


def _sequential_shape(cfg: dict):
    if cfg.get("build_input_shape") is not None:
        return tuple(cfg["build_input_shape"][1:])
    layers = cfg.get("layers") or []
    if layers:
        return _input_shape(layers[0].get("config") or {})
    return None


_AXIS_NAMES = {0: ("L",), 1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}  # 0: token ids (L,)


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
