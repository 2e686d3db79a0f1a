"""Bridges to Keras 3 and PyTorch: import their models, export symcnn models to them.

Importing this package imports neither framework: :func:`from_keras` reads configs without
Keras, and :func:`from_torch`, :func:`to_keras` and :func:`to_torch` import their framework
when called.
"""

from ._common import import_framework
from .keras import from_keras, load_keras_config
from .keras_export import to_keras as _to_keras


def from_torch(module, input_shape=None, **kwargs):
    """A symcnn model of a ``torch.nn.Module``, traced with ``torch.fx`` (graphs included).

    ``input_shape`` is channels first without the batch axis, e.g. ``(3, "H", "W")``; left out,
    it is read from the first layer (``(C, "H", "W")`` for a ``Conv2d``). Leaf modules become
    the :mod:`symcnn.nn` layer of the same name, named by their path (``layer1.0.conv1``);
    ``torch.cat``, ``+``, ``torch.flatten``, ``x.view(x.size(0), -1)``, ``F.relu``, ... become
    layers named after their graph node. Everything without an equivalent is listed, with its
    source line, in one :class:`~symcnn.errors.ConversionError`. Details:
    :func:`symcnn.interop.torch.from_torch`; PyTorch is imported only when this is called.

    >>> import torch.nn as tnn, symcnn as sc
    >>> net = tnn.Sequential(tnn.Conv2d(3, 16, 3, stride=2, padding=1), tnn.ReLU(),
    ...                      tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(16, 10))
    >>> m = sc.from_torch(net, input_shape=(3, "H", "W"))
    >>> m.layers[1].output_shape, m.trainable_params  # layers[0]: the InputLayer, as in Keras
    ((16, ceiling(H/2), ceiling(W/2)), 618)
    """
    import_framework("torch")
    from .torch import from_torch as convert

    return convert(module, input_shape, **kwargs)


def to_keras(model):
    """``model.to_keras()``: a real Keras 3 model with the same layers, shapes and counts.

    Every size must be a number. See :func:`symcnn.interop.keras_export.to_keras`; Keras is
    imported only when this is called (with the PyTorch or JAX backend when TensorFlow is
    missing and ``KERAS_BACKEND`` is unset).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.Flatten(), sc.Dense(2)])
    >>> sc.interop.to_keras(m).count_params() == m.params
    True
    """
    return _to_keras(model)


def to_torch(model):
    """``model.to_torch()``: a real ``torch.nn.Module`` (channels first), same shapes and counts.

    Every size must be a number. See :func:`symcnn.interop.torch_export.to_torch`; PyTorch is
    imported only when this is called.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.Flatten(), sc.Dense(2)])
    >>> sum(p.numel() for p in sc.interop.to_torch(m).parameters()) == m.trainable_params
    True
    """
    import_framework("torch")
    from .torch_export import to_torch as convert

    return convert(model)


__all__ = ["from_keras", "load_keras_config", "from_torch", "to_keras", "to_torch"]
