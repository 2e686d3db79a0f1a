"""Reading a Keras 3 model config: from a dict, JSON text, a ``.json`` or ``.keras`` file, or
a live Keras model (through ``to_json()``), with bounded reads and clear errors; no Keras needed.

>>> load_keras_config('{"class_name": "Sequential", "config": {"layers": []}}')["class_name"]
'Sequential'
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

from ..errors import ConversionError, SpecError
from ..safe import brief
from ..safe_read import excerpt, load_json, read_text, read_zip_member, regular_file

__all__ = ["load_keras_config"]

#: The class names of a Keras model config (the rest are layers).
_MODELS = ("Sequential", "Functional", "Model")


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
            config = load_json(text, "from_keras: the JSON text")
        elif os.path.exists(text):  # FIFOs and devices are refused there, not read
            config = _read_file(text)
        else:
            raise SpecError(f"from_keras: expected a Keras model, its JSON config or a .json/"
                            f".keras file; this string is neither JSON nor an existing file. "
                            f"Received: model_or_json={excerpt(text)!r}")
    elif hasattr(source, "to_json"):
        try:
            text = source.to_json()
        except Exception as err:  # subclassed Keras models cannot serialize their graph
            raise ConversionError(
                f"from_keras: the Keras model could not be serialized ({type(err).__name__}: "
                f"{err}). Subclassed keras.Model classes have no layer graph in their config; "
                f"rebuild it as a Sequential or functional model. Received: model_or_json="
                f"{type(source).__name__}") from None
        config = load_json(text, "from_keras: model.to_json()")
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


def _read_file(path: str):
    # bounded reads (symcnn/safe_read.py): regular files only, zip members checked first
    regular_file(path)
    if zipfile.is_zipfile(path):
        return load_json(read_zip_member(path, "config.json"),
                         f"from_keras: config.json in {path}")
    if path.lower().endswith(".keras"):
        raise SpecError(f"from_keras: {path} is not a zip archive, so not a .keras model file. "
                        f"Received: model_or_json={path!r}")
    return load_json(read_text(path), f"from_keras: {path}")

