"""PyTorch's shape-keeping modules: activations, dropout, ``Identity`` and ``PReLU``."""

from __future__ import annotations

import sympy

from .. import formulas
from ..errors import LayerArgumentError, brief
from ..layers import core as _core
from ..layers.base import Checker, Layer, real_number
from ..layers.saved import NOTHING, kept_input, kept_new
from ._base import TorchLayer, bind

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "Softmax", "LogSoftmax", "GELU", "SiLU", "Sigmoid",
    "Tanh", "Hardswish", "Hardsigmoid", "Hardtanh", "Mish", "Softplus", "Softsign", "SELU",
    "CELU", "Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
    "PReLU",
]


class _Simple(TorchLayer):
    """A module whose PyTorch arguments (``_params``) change no shape."""

    _params: tuple = (("inplace", False),)

    @property
    def _optional(self):  # type: ignore[override]
        return self._params

    def _bind(self, args, kwargs) -> dict:
        values = bind(self.type_name, self._params, args, kwargs)
        self._torch_config(**values)
        return values


class ReLU(_Simple, _core.ReLU):
    """``torch.nn.ReLU``.

    >>> from symcnn import nn
    >>> nn.ReLU(inplace=True)
    ReLU(inplace=True)
    """

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        _core.ReLU.__init__(self, name=name, trainable=trainable)
        self._bind(args, kwargs)


class ReLU6(_Simple, _core.ReLU):
    """``torch.nn.ReLU6``: Keras ``ReLU(max_value=6)``."""

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        _core.ReLU.__init__(self, max_value=6.0, name=name, trainable=trainable)
        self._bind(args, kwargs)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Its input: PyTorch's ``nn.ReLU6`` is ``hardtanh(x, 0, 6)``, which keeps it (not
        the ReLU and clamp that ``to_torch`` writes for Keras' ``ReLU(max_value=6)``)."""
        return (kept_input(),)


class LeakyReLU(_Simple, _core.LeakyReLU):
    """``torch.nn.LeakyReLU(negative_slope=0.01)``."""

    _params = (("negative_slope", 0.01), ("inplace", False))
    _kinds: dict = {}  # PyTorch takes any slope, a negative one too (Keras refuses it)

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        values = bind(self.type_name, self._params, args, kwargs)
        _core.LeakyReLU.__init__(self, negative_slope=values["negative_slope"], name=name,
                                 trainable=trainable)
        self._torch_config(**values)


class ELU(_Simple, _core.ELU):
    """``torch.nn.ELU(alpha=1.0)``."""

    _params = (("alpha", 1.0), ("inplace", False))

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        values = bind(self.type_name, self._params, args, kwargs)
        _core.ELU.__init__(self, alpha=values["alpha"], name=name, trainable=trainable)
        self._torch_config(**values)


class Softmax(_Simple, _core.Softmax):
    """``torch.nn.Softmax(dim)``; ``dim`` counts the batch axis, as Keras' ``axis`` does."""

    _params = (("dim", None),)

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        values = bind(self.type_name, self._params, args, kwargs)
        dim = values["dim"]
        _core.Softmax.__init__(self, axis=-1 if dim is None else dim, name=name,
                               trainable=trainable)
        self._torch_config(**values)


class _Act(_Simple, _core.Activation):
    """An activation module that Keras writes as ``Activation(<_keras>)``; the arguments
    named in ``_numbers`` must be real numbers, as PyTorch's functions take only those."""

    _keras = "linear"
    _numbers: tuple = ()

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        _core.Activation.__init__(self, self._keras, name=name, trainable=trainable)
        self._bind(args, kwargs)

    def _bind(self, args, kwargs) -> dict:
        values = super()._bind(args, kwargs)
        for arg in self._numbers:
            if not real_number(values[arg]):
                raise LayerArgumentError(f"{self.type_name}: `{arg}` must be a number. "
                                         f"Received: {arg}={brief(values[arg])}")
        return values


class LogSoftmax(_Act):
    """``torch.nn.LogSoftmax(dim)``."""

    _keras, _params = "log_softmax", (("dim", None),)

    def _bind(self, args, kwargs) -> dict:
        values = super()._bind(args, kwargs)
        dim = values["dim"]
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
            raise LayerArgumentError(f"{self.type_name}: `dim` must be an axis (an int) or "
                                     f"None. Received: dim={brief(dim)}")
        return values


class GELU(_Act):
    """``torch.nn.GELU(approximate="none")``; ``"tanh"`` is PyTorch's tanh approximation.

    >>> from symcnn import nn
    >>> nn.GELU(approximate="fast")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: GELU: `approximate` must be 'none' or 'tanh', ...
    Received: approximate='fast'
    """

    _keras, _params = "gelu", (("approximate", "none"),)

    def _bind(self, args, kwargs) -> dict:
        values = super()._bind(args, kwargs)
        if values["approximate"] not in ("none", "tanh"):
            raise LayerArgumentError(
                f"{self.type_name}: `approximate` must be 'none' or 'tanh', as PyTorch "
                f"computes only those. Received: approximate={brief(values['approximate'])}")
        return values


class SiLU(_Act):
    """``torch.nn.SiLU`` (swish)."""

    _keras = "silu"


class Sigmoid(_Act):
    """``torch.nn.Sigmoid``."""

    _keras, _params = "sigmoid", ()


class Tanh(_Act):
    """``torch.nn.Tanh``."""

    _keras, _params = "tanh", ()


class Hardswish(_Act):
    """``torch.nn.Hardswish``."""

    _keras = "hard_swish"


class Hardsigmoid(_Act):
    """``torch.nn.Hardsigmoid``."""

    _keras = "hard_sigmoid"


class Hardtanh(_Act):
    """``torch.nn.Hardtanh``."""

    _keras, _params = "hard_tanh", (("min_val", -1.0), ("max_val", 1.0), ("inplace", False))
    _numbers = ("min_val", "max_val")

    def _bind(self, args, kwargs) -> dict:
        values = super()._bind(args, kwargs)
        if not values["max_val"] > values["min_val"]:  # PyTorch asserts it
            raise LayerArgumentError(
                f"{self.type_name}: `max_val` must be greater than `min_val`, as PyTorch "
                f"requires. Received: min_val={brief(values['min_val'])}, "
                f"max_val={brief(values['max_val'])}")
        return values


class Mish(_Act):
    """``torch.nn.Mish``."""

    _keras = "mish"


class Softplus(_Act):
    """``torch.nn.Softplus``."""

    _keras, _params = "softplus", (("beta", 1.0), ("threshold", 20.0))
    _numbers = ("beta", "threshold")


class Softsign(_Act):
    """``torch.nn.Softsign``."""

    _keras, _params = "softsign", ()


class SELU(_Act):
    """``torch.nn.SELU``."""

    _keras = "selu"


class CELU(_Act):
    """``torch.nn.CELU``."""

    _keras, _params = "celu", (("alpha", 1.0), ("inplace", False))
    _numbers = ("alpha",)

    def _bind(self, args, kwargs) -> dict:
        values = super()._bind(args, kwargs)
        if values["alpha"] == 0:  # PyTorch divides by it
            raise LayerArgumentError(f"{self.type_name}: `alpha` cannot be 0, as PyTorch "
                                     f"divides by it. Received: alpha={brief(values['alpha'])}")
        return values


class Identity(_Simple, _core.Identity):
    """``torch.nn.Identity`` (its arguments are ignored, as in PyTorch)."""

    _params = ()

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        _core.Identity.__init__(self, name=name, trainable=trainable)
        self._torch_config()


class Dropout(_Simple, _core.Dropout):
    """``torch.nn.Dropout(p=0.5)``: same shape, no parameters.

    >>> from symcnn import nn
    >>> nn.Dropout(0.2)
    Dropout(p=0.2)
    """

    _params = (("p", 0.5), ("inplace", False))
    _keras_cls = _core.Dropout

    def __init__(self, *args, name: str | None = None, trainable: bool = True, **kwargs):
        values = bind(self.type_name, self._params, args, kwargs)
        p = values["p"]
        if not (isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p <= 1):
            raise LayerArgumentError(f"{self.type_name}: dropout probability has to be between "
                                     f"0 and 1. Received: p={brief(p)}")
        self._keras_cls.__init__(self, min(p, 0.999999), name=name, trainable=trainable)
        self._torch_config(**values)


class _ChannelDropout(Dropout):
    keras_rank = None  # PyTorch's Dropout1d/2d/3d take their own ranks

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """One mask value per channel, the first axis in PyTorch's layout (the mask is
        ``(B, C, 1, 1)`` for ``Dropout2d``)."""
        return NOTHING if self.rate == 0 else (kept_new(output_shapes[0][0]),)


class Dropout1d(_ChannelDropout, _core.SpatialDropout1D):
    """``torch.nn.Dropout1d``: zeroes whole channels."""

    _keras_cls = _core.SpatialDropout1D


class Dropout2d(_ChannelDropout, _core.SpatialDropout2D):
    """``torch.nn.Dropout2d``: zeroes whole feature maps."""

    _keras_cls = _core.SpatialDropout2D


class Dropout3d(_ChannelDropout, _core.SpatialDropout3D):
    """``torch.nn.Dropout3d``."""

    _keras_cls = _core.SpatialDropout3D


class AlphaDropout(Dropout):
    """``torch.nn.AlphaDropout``."""


class PReLU(TorchLayer, Layer):
    """``torch.nn.PReLU``: ``num_parameters`` slopes, 1 or one per channel (axis 0 here).

    >>> from symcnn import nn
    >>> nn.Sequential(nn.PReLU(64), input_shape=(64, "H", "W")).params
    64
    """

    _optional = (("num_parameters", 1), ("init", 0.25))
    _kinds = {"init": ("a number", real_number)}  # PyTorch: fill_() refuses anything else

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None,
                 name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        self._check_kind("init", init)
        self._set(num_parameters=self._size(num_parameters, "num_parameters"))
        self._torch_config(num_parameters=self.num_parameters, init=init)

    def output_shape_for(self, shape, check: Checker):
        if self.num_parameters != 1:
            self._declared(check, shape[0], self.num_parameters, "num_parameters", "channels")
        return shape

    def params_for(self, shape):
        return self.num_parameters, sympy.Integer(0)

    def window_for(self, input_shape):
        """Element-wise: positions pass through."""
        return (None,) * len(input_shape)

    def macs_for(self, input_shapes, output_shape):
        """A comparison and a product per element: no multiply-accumulate (0, as
        ``FlopCounterMode``)."""
        return sympy.Integer(0)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one per output element, as for ``nn.ReLU`` (its hook counts both)."""
        return formulas.elements(output_shape)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input (the gradient of the slope reads it), as PyTorch keeps it."""
        return (kept_input(),)
