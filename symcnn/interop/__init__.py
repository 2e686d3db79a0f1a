"""Bridges to Keras 3 and PyTorch: import their models, export symcnn models to them.

Importing this package imports neither framework: :func:`from_keras` reads configs without
Keras, and :func:`from_torch`, :func:`to_keras` and :func:`to_torch` import their framework
when called.
"""

from ._common import import_framework
from .keras import from_keras, load_keras_config


def from_torch(module, input_shape=None, **kwargs):
    """See :func:`symcnn.interop.torch.from_torch` (imports PyTorch when called)."""
    import_framework("torch")
    from .torch import from_torch as convert

    return convert(module, input_shape, **kwargs)


def to_keras(model):
    """See :func:`symcnn.interop.keras_export.to_keras` (imports Keras when called)."""
    import_framework("keras")
    from .keras_export import to_keras as convert

    return convert(model)


def to_torch(model):
    """See :func:`symcnn.interop.torch_export.to_torch` (imports PyTorch when called)."""
    import_framework("torch")
    from .torch_export import to_torch as convert

    return convert(model)


__all__ = ["from_keras", "load_keras_config", "from_torch", "to_keras", "to_torch"]
