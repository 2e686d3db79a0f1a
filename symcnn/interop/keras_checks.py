"""The structure of a Keras model config, checked before it is read (issue 15).

``model.to_json()`` gives nested dicts and lists; a broken or hostile file can give anything.
:func:`check_model_config` walks the parts :mod:`symcnn.interop.keras` reads and raises a
:class:`~symcnn.errors.SpecError` naming the path of the first malformed part.

>>> check_model_config({"class_name": "Sequential", "config": 5})
Traceback (most recent call last):
...
symcnn.errors.SpecError: from_keras: config of the Sequential model must be a mapping. Received: config=5
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, brief

__all__ = ["check_model_config"]

_MODELS = ("Sequential", "Functional", "Model")


def _fail(path: str, what: str, value: Any) -> SpecError:
    return SpecError(f"from_keras: {path} {what}. Received: {path.split(' ')[0]}={brief(value)}")


def _layer_refs(value: Any, path: str) -> None:
    """``input_layers``/``output_layers``: ``[name, node, tensor]`` or a list of them."""
    if value is None:
        return
    if not isinstance(value, list):
        raise _fail(path, "must be a list of [name, node_index, tensor_index]", value)
    items = value if value and isinstance(value[0], list) else [value]
    for item in items:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and all(type(i) is int for i in item[1:])):
            raise _fail(path, "must be a list of [name, node_index, tensor_index]", value)


def check_model_config(config: Any, path: str = "config") -> None:
    """Raise a SpecError unless ``config`` (a model's ``{"class_name", "config"}``) is well formed."""
    name = config.get("class_name") if isinstance(config, dict) else None
    body = config.get("config") if isinstance(config, dict) else None
    if not isinstance(body, dict):
        if body is None and isinstance(config, dict) and "config" in config:
            return  # an empty model: reading it reports the missing input shape
        raise _fail(f"{path} of the {name} model", "must be a mapping", body)
    layers = body.get("layers", [])
    if layers is None:
        return
    if not isinstance(layers, list):
        raise _fail(f"{path}.layers", "must be a list of layer configs", layers)
    for i, layer in enumerate(layers):
        where = f"{path}.layers[{i}]"
        if not isinstance(layer, dict):
            raise _fail(where, "must be a mapping with class_name and config", layer)
        cls = layer.get("class_name")
        if not isinstance(cls, str):
            raise _fail(f"{where}.class_name", "must be a layer class name", cls)
        if not isinstance(layer.get("config"), dict):
            raise _fail(f"{where}.config", f"of the {cls} layer must be a mapping",
                        layer.get("config"))
        if "name" in layer and not isinstance(layer["name"], str):
            raise _fail(f"{where}.name", "must be text", layer["name"])
        if "inbound_nodes" in layer and not isinstance(layer["inbound_nodes"], list):
            raise _fail(f"{where}.inbound_nodes", "must be a list", layer["inbound_nodes"])
        for key in ("batch_input_shape", "batch_shape"):  # each one the reader may take
            shape = layer["config"].get(key)
            if shape is not None and not (isinstance(shape, list) and all(
                    d is None or type(d) is int for d in shape)):
                raise _fail(f"{where}.config.{key}", "must be a list of sizes (null for the "
                            "batch axis or a free size)", shape)
        if cls in _MODELS:
            check_model_config(layer, where)
    if name != "Sequential":
        _layer_refs(body.get("input_layers"), f"{path}.input_layers")
        _layer_refs(body.get("output_layers"), f"{path}.output_layers")
