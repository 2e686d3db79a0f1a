""""Did you mean ...?": the closest known name to a mistyped one (layer types, activations,
padding words), for error messages in Python, model files and the command line.

>>> did_you_mean("reul", KERAS_ACTIVATIONS)
" Did you mean 'relu'?"
>>> did_you_mean("vaild", ("valid", "same"))
" Did you mean 'valid'?"
>>> did_you_mean("zzz", ("valid", "same"))
''
>>> check_activation("relu", "Dense")
'relu'
>>> check_activation("reul", "Dense")
Traceback (most recent call last):
...
symcnn.errors.LayerArgumentError: Dense: unknown activation 'reul'. Did you mean 'relu'? Activations (Keras 3 names): celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_swish, hard_tanh, leaky_relu, linear, log_sigmoid, log_softmax, mish, prelu, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax, softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax, squareplus, swish, tanh, tanh_shrink, threshold. Received: activation='reul'
"""

from __future__ import annotations

import difflib
from typing import Iterable

from .errors import LayerArgumentError, brief

__all__ = ["closest", "did_you_mean", "check_activation", "KERAS_ACTIVATIONS"]

#: The activation names Keras 3 knows (``keras.activations.get``), and PyTorch's PReLU.
KERAS_ACTIVATIONS = frozenset({
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold", "prelu",
})


def closest(word: str, options: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list:
    """Up to ``n`` options closest to ``word`` (case-insensitively), best first.

    >>> closest("conv2d", ["Conv2D", "Conv1D", "Dense"])
    ['Conv2D']
    >>> closest("Conv3", ["Conv2D", "Conv1D", "Dense"], n=2)
    ['Conv2D', 'Conv1D']
    """
    options = list(options)
    by_lower = {}
    for option in options:
        by_lower.setdefault(option.lower(), option)
    if word.lower() in by_lower:
        return [by_lower[word.lower()]]
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[f] for f in found]


def did_you_mean(word, options: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` for the closest option, or ``""`` when none is close."""
    if not isinstance(word, str):
        return ""
    found = closest(word, options)
    return f" Did you mean {found[0]!r}?" if found else ""


def check_activation(value, owner: str, arg: str = "activation"):
    """``value`` if it is None, a known activation name or a callable (a function of your
    own), else a :class:`~symcnn.errors.LayerArgumentError` naming ``arg``, with the closest
    name for a string.

    >>> check_activation(7, "LSTM", "recurrent_activation")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: LSTM: `recurrent_activation` must be an activation name (such as 'relu') or a function. Received: recurrent_activation=7
    """
    known = isinstance(value, str) and value in KERAS_ACTIVATIONS
    function = callable(value) and not isinstance(value, type)  # a class is no activation
    if value is None or known or function:
        return value
    if not isinstance(value, str):
        raise LayerArgumentError(
            f"{owner}: `{arg}` must be an activation name (such as 'relu') or a function. "
            f"Received: {arg}={brief(value)}")
    raise LayerArgumentError(
        f"{owner}: unknown activation {value!r}.{did_you_mean(value, KERAS_ACTIVATIONS)} "
        f"Activations (Keras 3 names): {', '.join(sorted(KERAS_ACTIVATIONS))}. "
        f"Received: {arg}={brief(value)}")
