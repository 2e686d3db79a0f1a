"""Optional frameworks (PyTorch, Keras): imported when a bridge needs them, or an error that
says how to install them. Below the model and the bridges, so both can ask.

>>> import_framework("json").__name__
'json'
"""

from __future__ import annotations

import importlib
import os
import sys

from .errors import UnavailableError

__all__ = ["import_framework"]


def import_framework(name: str):
    """Import ``torch`` or ``keras`` for an export, or say how to install it.

    Keras picks its backend when first imported; when ``KERAS_BACKEND`` is unset and
    TensorFlow is not installed, the first of JAX and PyTorch that is installed is chosen, so
    ``to_keras()`` works in an environment with only ``torch``.
    """
    if name == "keras" and "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ:
        from importlib.util import find_spec

        if find_spec("tensorflow") is None:
            for backend in ("jax", "torch"):
                if find_spec(backend) is not None:
                    os.environ["KERAS_BACKEND"] = backend
                    break
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise UnavailableError(
            f"this needs {name}, which is not installed ({err}). Install it with "
            f"`pip install symcnn[{name}]`. Received: import {name}"
        ) from None
