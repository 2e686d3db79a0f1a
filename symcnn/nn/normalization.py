"""``BatchNorm1d/2d/3d``, ``GroupNorm``, ``LayerNorm`` and ``Linear`` with PyTorch's arguments.

Batch norm counts ``2C`` trainable parameters (``weight`` and ``bias``: what PyTorch's
``parameters()`` holds) and, as Keras does, ``2C`` non-trainable ones for the running mean and
variance (PyTorch buffers), unless ``track_running_stats=False``.
"""

from __future__ import annotations

import sympy

from .. import formulas
from ..errors import LayerArgumentError, ShapeError, brief
from ..layers import core as _core, normalization as _norm
from ..layers.base import Checker, real_number, format_shape
from ..symbols import as_size
from ._base import TorchLayer, flag

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "LayerNorm", "Linear"]


class _BatchNormNd(TorchLayer):
    inference_when_frozen = False  # requires_grad_(False) leaves PyTorch's in training mode
    _optional = (("eps", 1e-5), ("momentum", 0.1), ("affine", True),
                 ("track_running_stats", True))
    #: PyTorch's ``momentum=None`` keeps a cumulative moving average of the batch statistics
    #: (the same running mean and variance buffers: the counts do not change).
    _kinds = {"momentum": ("a number, or None for a cumulative moving average",
                           lambda value: value is None or real_number(value))}
    _ranks: tuple = (3,)
    _meaning = "channels, height, width"

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, name: str | None = None,
                 trainable: bool = True) -> None:
        t = self.type_name
        num_features = as_size(num_features, "num_features", t)
        affine = flag(t, affine, "affine")
        super().__init__(axis=1, momentum=momentum, epsilon=eps, center=affine, scale=affine,
                         name=name, trainable=trainable)
        self._set(num_features=num_features,
                  track_running_stats=flag(t, track_running_stats, "track_running_stats"))
        self._torch_config(num_features=num_features, eps=eps, momentum=momentum,
                           affine=affine, track_running_stats=track_running_stats)

    def _check_input(self, shape, check: Checker) -> None:
        self._expect_rank(shape, self._ranks, self._meaning)
        self._declared(check, shape[0], self.num_features, "num_features", "channels")

    def params_for(self, shape):
        trainable, running = formulas.batch_norm_params(shape[0], self.center, self.scale)
        return trainable, running if self.track_running_stats else sympy.Integer(0)


class BatchNorm1d(_BatchNormNd, _norm.BatchNormalization):
    """``torch.nn.BatchNorm1d``: input ``(C,)`` or ``(C, L)``.

    >>> from symcnn import nn
    >>> nn.Sequential(nn.BatchNorm1d(10, affine=False), input_shape=(10,)).params
    20
    """

    _ranks = (1, 2)
    _meaning = "channels, or channels and length"


class BatchNorm2d(_BatchNormNd, _norm.BatchNormalization):
    """``torch.nn.BatchNorm2d``: ``2C`` trainable (PyTorch's parameters) + ``2C`` running stats.

    >>> from symcnn import nn
    >>> m = nn.Sequential(nn.BatchNorm2d(64), input_shape=(64, "H", "W"))
    >>> m.trainable_params, m.non_trainable_params
    (128, 128)
    >>> nn.Sequential(nn.BatchNorm2d(32), input_shape=(64, 8, 8))
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: BatchNorm2d layer 'batch_norm2d' (#0) on input shape (64, 8, 8): `num_features` is 32 but the input has 64 channels. Received: num_features=32
    """


class BatchNorm3d(_BatchNormNd, _norm.BatchNormalization):
    """``torch.nn.BatchNorm3d``: input ``(C, D, H, W)``."""

    _ranks = (4,)
    _meaning = "channels, depth, height, width"


class GroupNorm(TorchLayer, _norm.GroupNormalization):
    """``torch.nn.GroupNorm``: ``2C`` parameters when ``affine``.

    >>> from symcnn import nn
    >>> nn.Sequential(nn.GroupNorm(8, 64), input_shape=(64, "H", "W")).params
    128
    """

    _optional = (("eps", 1e-5), ("affine", True))

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, name: str | None = None, trainable: bool = True) -> None:
        t = self.type_name
        num_channels = as_size(num_channels, "num_channels", t)
        num_groups = as_size(num_groups, "num_groups", t)  # named as torch names it
        affine = flag(t, affine, "affine")
        super().__init__(groups=num_groups, axis=1, epsilon=eps, center=affine, scale=affine,
                         name=name, trainable=trainable)
        self._set(num_channels=num_channels)
        self._torch_config(num_groups=self.groups, num_channels=num_channels, eps=eps,
                           affine=affine)

    def _check_input(self, shape, check: Checker) -> None:
        self._declared(check, shape[0], self.num_channels, "num_channels", "channels")


class LayerNorm(TorchLayer, _norm.LayerNormalization):
    """``torch.nn.LayerNorm``: normalizes over the trailing ``normalized_shape`` axes.

    >>> from symcnn import nn
    >>> nn.Sequential(nn.LayerNorm((8, 8)), input_shape=(16, 8, 8)).params
    128
    """

    _optional = (("eps", 1e-5), ("elementwise_affine", True), ("bias", True))

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None, name: str | None = None, trainable: bool = True):
        t = self.type_name
        many = isinstance(normalized_shape, (tuple, list))
        dims = tuple(normalized_shape) if many else (normalized_shape,)
        if not dims:
            raise LayerArgumentError(f"{t}: `normalized_shape` must not be empty. "
                                     f"Received: normalized_shape={brief(normalized_shape)}")
        dims = tuple(as_size(d, "normalized_shape", t) for d in dims)
        affine = flag(t, elementwise_affine, "elementwise_affine")
        bias = flag(t, bias, "bias")
        axis = -1 if len(dims) == 1 else list(range(-len(dims), 0))
        super().__init__(axis=axis, epsilon=eps, center=affine and bias, scale=affine,
                         name=name, trainable=trainable)
        self._set(normalized_shape=dims)
        self._torch_config(normalized_shape=dims, eps=eps, elementwise_affine=affine, bias=bias)

    def get_config(self) -> dict:
        return {**super().get_config(), "normalized_shape": self.normalized_shape}

    def _check_input(self, shape, check: Checker) -> None:
        k = len(self.normalized_shape)
        if len(shape) < k:
            raise ShapeError(f"`normalized_shape` has {k} axes but the input has only "
                             f"{len(shape)}. Received: normalized_shape="
                             f"{format_shape(self.normalized_shape)}")
        for actual, declared in zip(shape[-k:], self.normalized_shape):
            self._declared(check, actual, declared, "normalized_shape", "on that axis")


class Linear(TorchLayer, _core.Dense):
    """``torch.nn.Linear`` on the last axis: ``in_features*out_features (+ out_features)``.

    >>> from symcnn import nn
    >>> nn.Sequential(nn.Linear(2048, 1000), input_shape=(2048,)).params
    2049000
    """

    _optional = (("bias", True),)

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None,
                 name: str | None = None, trainable: bool = True) -> None:
        t = self.type_name
        in_features = as_size(in_features, "in_features", t)
        out_features = as_size(out_features, "out_features", t)
        super().__init__(out_features, use_bias=flag(t, bias, "bias"), name=name,
                         trainable=trainable)
        self._set(in_features=in_features)
        self._torch_config(in_features=in_features, out_features=self.units, bias=bias)

    def _check_input(self, shape, check: Checker) -> None:
        self._declared(check, shape[-1], self.in_features, "in_features", "features")

    def _declared_shape(self, shape) -> tuple:
        """``shape`` with the declared ``in_features`` for its last axis, which a condition
        ties to it: the count is the module's whatever the sizes before it (a ``Linear(14400,
        10)`` after a flattened feature map of ``16*(H - 2)*(W - 2)`` counts 144,010, the
        parameters PyTorch's module holds; the size of the map is the condition's)."""
        return (*shape[:-1], self.in_features)

    def _kernel_formula(self, input_shape) -> tuple:
        return super()._kernel_formula(self._declared_shape(input_shape))

    def macs_for(self, input_shapes, output_shape):
        return super().macs_for([self._declared_shape(input_shapes[0])], output_shape)
