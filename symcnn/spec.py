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
from typing import Any, Mapping

from . import layers
from .errors import SpecError, SymcnnError, UnavailableError, with_context
from .interop.keras import from_keras
from .layers.base import Layer
from .layers.core import InputLayer
from .model import Model
from . import nn as torch_nn
from .spec_export import FORMAT_VERSION, MAX_MODEL_NESTING, model_to_spec
from .spec_reader import MAX_LAYER_CALLS, MAX_VALUES, SIZE_ARGS, read_document
from .safe import brief
from .safe_read import DuplicateKey, LongInteger, check_data, load_json, read_text
from .zoo.lenet import TableConv2D

__all__ = ["model_from_spec", "model_to_spec", "load_spec", "read_data_file", "layer_types",
           "is_keras_config", "FORMAT_VERSION", "MAX_FILE_BYTES", "MAX_VALUES",
           "MAX_MODEL_NESTING", "MAX_LAYER_CALLS", "SIZE_ARGS"]

#: Largest model file read, in bytes.
MAX_FILE_BYTES = 1_000_000


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


def model_from_spec(spec: Mapping, source: str = "model file", custom_objects=None):
    """Build the model a model-file document describes (a mapping read from YAML or JSON).

    Sequential form: ``input`` (a shape) and ``layers``. Functional form: ``inputs`` (a mapping
    of names to shapes), ``layers`` whose entries may name their ``inputs``, and ``outputs``.
    Layers defined outside symcnn are named through ``custom_objects`` (as in Keras): a
    mapping of type names to classes, or a list of classes (named by their ``type_name``).
    A model used as a layer (``{Functional: document}``) and what a layer wraps
    (``Bidirectional``'s ``layer``, ``Repeat``'s ``block``: a layer entry or a model
    document) are nested in place; nested documents see the symbols declared at the top.

    >>> import symcnn as sc
    >>> block = sc.model_from_spec({
    ...     "symbols": ["H", "W"], "inputs": {"x": ["H", "W", 64]},
    ...     "layers": [{"Conv2D": {"filters": 64, "kernel_size": 3, "padding": "same"},
    ...                 "name": "conv"},
    ...                {"Add": None, "inputs": ["x", "conv"], "name": "add"}],
    ...     "outputs": "add"})
    >>> block.params, block.output_shape
    (36928, (H, W, 64))
    >>> deep = sc.model_from_spec({"symbols": "H W L", "input": ["H", "W", 64], "layers": [
    ...     {"Repeat": {"times": "L", "block": {
    ...         "name": "residual", "inputs": {"x": ["H", "W", 64]},
    ...         "layers": [{"Conv2D": {"filters": 64, "kernel_size": 3, "padding": "same"},
    ...                     "name": "conv"},
    ...                    {"Add": None, "inputs": ["x", "conv"]}]}}}]})
    >>> deep.params
    36928*L
    """
    try:
        return read_document(spec, {**layer_types(), **_custom_types(custom_objects)})
    except SymcnnError as err:
        message = str(err)
        if source == "model file" or message.startswith(source):
            raise
        if message.startswith("model file"):
            message = message[len("model file"):].lstrip(":")
        raise type(err)(f"{source}: {message.strip()}") from None


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
        except ValueError as err:  # a long integer is refused by check_data, with its path
            raise SpecError(f"{path}: not valid YAML: {brief(str(err))}") from None
        return check_data(data, path)
    return load_json(text, path)


def _unique_key_loader(yaml):
    """PyYAML's safe loader, refusing a mapping that names a key twice: the one built on
    libyaml where PyYAML has it (``CSafeLoader``, parsing in C: a file just under the size
    limit is read several times faster), else the pure-Python one."""

    class UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
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

        def construct_yaml_int(self, node):
            try:
                return super().construct_yaml_int(node)
            except ValueError:  # Python's limit on decimal digits: check_data names the path
                return LongInteger(sum(c.isdigit() for c in self.construct_scalar(node)))

    UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", UniqueKeyLoader.construct_yaml_int)
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

