"""Core layers: Input, Dense, and the shape-preserving ones (Dropout, activations).

>>> import symcnn as sc
>>> n = sc.symbols("n")
>>> m = sc.Sequential([sc.Input((160,)), sc.Dense(n, use_bias=False)])
>>> m.params, m.output_shape
(160*n, (n,))
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..derivation.blocks import sym
from ..errors import LayerArgumentError
from ..safe import brief
from ..symbols import as_size, input_sizes
from ..windows import Whole
from ..working import Times
from .base import (Checker, Computed, Layer, Tensor, _at_least_zero, apply_layer,
                   format_shape, rank_error)
from .layout import contiguous, elementwise, reads_cuts
from .lora import LoRA
from .saved import (NOTHING, activation_layer_kept, is_identity_activation, kept_input,
                    kept_matrix, kept_new, kept_output, with_activation)

__all__ = [
    "Input", "InputLayer", "Dense", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Identity",
]


class InputLayer(Layer):
    """The layer behind :func:`Input`: it has no inputs and yields the given shape.

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 3))
    >>> m = sc.Model(x, sc.Conv2D(8, 3)(x))
    >>> m.layers[0].type, m.layers[0].output_shape, m.layers[0].params
    ('InputLayer', (H, W, 3), 0)
    """

    n_inputs = 0

    def __init__(self, shape, name: str | None = None, **kwargs: Any) -> None:
        batch_size = kwargs.pop("batch_size", None)
        shape = input_sizes(shape, kwargs.pop("batch_shape", None))  # None: a fresh symbol
        super().__init__(name=name, **kwargs)
        if batch_size is not None:  # the default batch of Model.training_memory
            self._set(batch_size=as_size(batch_size, "batch_size", "Input"))
        if isinstance(shape, (int, str, sympy.Basic)):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)) or not shape:
            raise LayerArgumentError(
                "Input: `shape` must be a non-empty tuple of sizes, without the batch axis. "
                f"Received: shape={brief(shape)}"
            )
        self._set(shape=tuple(self._size(s, "shape") for s in shape))

    def compute(self, input_shapes, check: Checker) -> Computed:
        for size, minimum, arg, given in self._requirements:  # the message only on failure
            check.at_least(size, minimum, lambda given=given: (
                f"`shape` sizes must be at least 1. Received: shape={brief(given)}"))
        zero = sympy.Integer(0)
        return Computed((self.shape,), zero, zero)

    def derivation_for(self, b, input_shapes, output_shape):
        """Nothing to derive: the input's shape is given (Keras lists it in model.layers)."""
        return sympy.Integer(0), {}


def Input(shape=None, name: str | None = None, **kwargs: Any) -> Tensor:
    """A symbolic input tensor of ``shape`` (no batch axis), as ``keras.Input``.

    ``batch_size`` (a number or a symbol name) is the batch that ``training_memory`` uses
    when not given one; shapes and counts never have a batch axis.

    >>> import symcnn as sc
    >>> sc.Input(("H", "W", 3)).shape
    (H, W, 3)
    >>> m = sc.Sequential([sc.Input((8,), batch_size="N"), sc.Dense(2)])
    >>> m.training_memory(optimizer="sgd").activations
    32*N
    """
    layer = InputLayer(shape, name=name, **kwargs)
    return apply_layer(layer, []).outputs[0]


class Dense(LoRA, Layer):
    """Fully connected layer on the last axis (Keras ``Dense``): ``in*units (+ units)``.

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((4, 4, 128)), sc.Dense(10)]).layers[0].output_shape
    (4, 4, 10)
    """

    def __init__(self, units, activation=None, use_bias: bool = True, lora_rank=None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(units=self._size(units, "units"), activation=activation,
                  use_bias=self._flag(use_bias, "use_bias"))
        self._lora_arg(lora_rank)

    def output_shape_for(self, shape, check: Checker):
        return (*shape[:-1], self.units)

    def _kernel_formula(self, input_shape) -> tuple:
        """``N_in*U + U`` (no ``+ U`` without bias)."""
        N, U = sym("N_in"), sym("U")
        return Times(N, U), N, U, (U if self.use_bias else None), {N: input_shape[-1],
                                                                    U: self.units}

    def macs_for(self, input_shapes, output_shape):
        return formulas.dense_macs(input_shapes[0], self.units)

    def window_for(self, input_shape):
        """Every output position reads the whole last axis."""
        return (None,) * (len(input_shape) - 1) + (Whole(),)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one add per output element for the bias, and the fused activation."""
        out = formulas.elements(output_shape)
        return (out if self.use_bias else sympy.Integer(0)) + \
            formulas.ptflops_activation_ops(self.activation, out)

    def derivation_for(self, b, input_shapes, output_shape):
        U = sym("U")
        b.add("N_out", U, {U: self.units}, output_shape[-1])
        return self.params_formula(input_shapes[0])

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input as a matrix (a copy where the input's layout needs one: ``nn.Linear``
        reshapes it to ``(-1, K)``), and what the activation keeps."""
        return with_activation(self, output_shapes, kept_matrix())

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Contiguous: PyTorch's matrix product writes a new tensor."""
        return (contiguous(len(output_shapes[0]) + 1),)


class _Identity(Layer):
    """A layer that keeps its input shape and has no parameters."""

    def output_shape_for(self, shape, check: Checker):
        return shape

    def window_for(self, input_shape):
        """Element-wise: every position passes through."""
        return (None,) * len(input_shape)

    def derivation_for(self, b, input_shapes, output_shape):
        return sympy.Integer(0), {}

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Element-wise: in the input's memory order (:func:`~symcnn.layers.layout.elementwise`);
        softmax, which PyTorch computes on a contiguous copy, states nothing."""
        if self.activation_name in ("softmax", "log_softmax"):
            return (None,)
        return (elementwise(input_layouts, input_shapes),)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What the activation keeps (``activation_name``:
        :func:`~symcnn.layers.saved.activation_layer_kept`); nothing for the others."""
        return activation_layer_kept(self.activation_name, output_shapes[0], self.type_name)

    #: The activation this layer applies, as named in symcnn.layers.saved (None: none).
    activation_name = None


class Identity(_Identity):
    """Returns its input unchanged (Keras ``Identity``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("H", "W", 8)), sc.Identity()]).params
    0
    """

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    output_is_view = True

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The input itself."""
        return (input_layouts[0],)


class Dropout(_Identity):
    """Dropout (Keras ``Dropout``): same shape, no parameters.

    At rate 0 it returns its input itself (Keras' layer, and PyTorch's ``nn.Dropout(0)``
    that ``to_torch`` writes for it): no new tensor, nothing kept (:attr:`output_is_view`).

    >>> import symcnn as sc
    >>> def kept(rate):  # a ReLU's output, then the convolution after the dropout keeps its input
    ...     m = sc.Sequential([sc.Input((4, 4, 1)), sc.Conv2D(2, 1), sc.ReLU(), Dropout(rate),
    ...                        sc.Conv2D(2, 1)])
    ...     return m.training_memory(batch=1, dtype="int8").activations
    >>> kept(0), kept(0.5)          # the input, the ReLU's output (and the mask, the output)
    (48, 112)
    >>> Dropout(1.5)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Dropout: `rate` must be a number in [0, 1). Received: rate=1.5
    """

    def __init__(self, rate, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate < 1
        if not ok:
            raise LayerArgumentError(
                f"{self.type_name}: `rate` must be a number in [0, 1). Received: rate={brief(rate)}"
            )
        self._set(rate=rate)

    @property
    def output_is_view(self) -> bool:
        """At rate 0 the output is the input itself."""
        return self.rate == 0

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The mask (at the training dtype, as PyTorch's CPU dropout); none at rate 0."""
        return NOTHING if self.rate == 0 else (kept_new(formulas.prod(output_shapes[0])),)

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Element-wise (the input times a mask allocated like it) for an input without gaps;
        at rate 0 PyTorch returns the input itself."""
        if self.rate == 0:
            return (input_layouts[0],)
        if input_layouts[0] is None or input_layouts[0].gaps:
            return (None,)
        return (elementwise(input_layouts, input_shapes),)


class _SpatialDropout(Dropout):
    """Keras' spatial dropouts, which take inputs of one rank (:attr:`keras_rank`)."""

    #: The input's rank without the batch axis, as Keras requires it (None: any rank, as
    #: PyTorch's ``Dropout1d/2d/3d`` take their own).
    keras_rank: int | None = None

    def output_shape_for(self, shape, check: Checker):
        rank = self.keras_rank
        if rank is not None and len(shape) != rank:
            raise rank_error(f"expects an input of rank {rank} (without the batch axis; "
                             f"Keras: ndim={rank + 1} with it). Received: input shape "
                             f"{format_shape(shape)}", (rank,))
        return super().output_shape_for(shape, check)


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels over steps (Keras ``SpatialDropout1D``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("T", 64)), sc.SpatialDropout1D(0.2)])
    >>> m.output_shape, m.params
    ((T, 64), 0)
    """

    keras_rank = 2

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        return SpatialDropout2D.saved_for_backward(self, input_shapes, output_shapes)

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        return SpatialDropout2D.layout_for(self, input_layouts, input_shapes, output_shapes)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps (Keras ``SpatialDropout2D``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 64)), sc.SpatialDropout2D(0.2)])
    >>> m.output_shape, m.params
    ((H, W, 64), 0)
    """

    keras_rank = 3

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Not stated (a mask broadcast over the positions); at rate 0 the input itself."""
        return (input_layouts[0] if self.rate == 0 else None,)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """One mask value per channel (PyTorch's ``Dropout2d``)."""
        shape = output_shapes[0]
        first = getattr(self, "data_format", None) == "channels_first"
        return NOTHING if self.rate == 0 else (kept_new(shape[0] if first else shape[-1]),)

    def __init__(self, rate, data_format=None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(rate, name=name, **kwargs)
        if data_format is not None:
            self._set(data_format=self._choice(data_format, "data_format",
                                               ("channels_last", "channels_first")))


class SpatialDropout3D(SpatialDropout2D):
    """Dropout of whole 3D feature maps (Keras ``SpatialDropout3D``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("D", "H", "W", 64)), sc.SpatialDropout3D(0.2)])
    >>> m.output_shape, m.params
    ((D, H, W, 64), 0)
    """

    keras_rank = 4


class Activation(_Identity):
    """An activation function (Keras ``Activation``): same shape, no parameters.

    ``"linear"`` returns its input itself (Keras' function, and ``to_torch`` writes
    nothing for it): no new tensor, nothing kept (:attr:`output_is_view`).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 8)), sc.Activation("relu")])
    >>> m.output_shape, m.params
    ((H, W, 8), 0)
    """

    def __init__(self, activation, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not (isinstance(activation, str) or callable(activation)):
            raise LayerArgumentError(
                f"Activation: `activation` must be a name such as 'relu' or a callable. "
                f"Received: activation={brief(activation)}"
            )
        self._set(activation=activation)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one per output element for the activations it hooks (relu, elu...)."""
        return formulas.ptflops_activation_ops(self.activation, formulas.elements(output_shape))

    def window_for(self, input_shape):
        """Element-wise, except softmax, which reads the whole last axis."""
        return _whole_along(input_shape, -1) if self.activation == "softmax" else \
            super().window_for(input_shape)

    @property
    def activation_name(self):
        return self.activation

    @property
    def output_is_view(self) -> bool:
        """For ``"linear"``, the output is the input itself."""
        return is_identity_activation(self.activation)

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The input's own layout for ``"linear"``; else as the other activations."""
        if is_identity_activation(self.activation):
            return (input_layouts[0],)
        return super().layout_for(input_layouts, input_shapes, output_shapes)


class ReLU(_Identity):
    """Rectified linear unit (Keras ``ReLU``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 8)), sc.ReLU(max_value=6)])
    >>> m.output_shape, m.params
    ((H, W, 8), 0)
    """

    # Keras: "max_value of a ReLU layer cannot be a negative value", and so for
    # negative_slope and threshold
    _kinds = {"max_value": ("a non-negative number or None",
                            lambda v: v is None or _at_least_zero(v)),
              "negative_slope": ("a non-negative number", _at_least_zero),
              "threshold": ("a non-negative number", _at_least_zero)}

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(max_value=max_value, negative_slope=negative_slope, threshold=threshold)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What the PyTorch functions :meth:`symcnn.Model.to_torch` writes for it keep
        (measured with saved-tensor hooks), as for the other Keras activations:

        * no argument: ``relu(x)``, which keeps its output;
        * ``negative_slope`` alone: ``leaky_relu(x)``, its input;
        * ``threshold``: ``threshold(x, t, 0)``, its input, and with ``negative_slope``
          also ``relu(t - x)`` (a new tensor of its size) for the part below;
        * ``max_value``: a ``clamp`` of the ReLU (or leaky or thresholded ReLU) above,
          which keeps that result, a new tensor of its size, besides what that keeps
          (``relu(x)`` keeps the tensor the clamp keeps: one new tensor; a capped
          ``leaky_relu`` its input and the new tensor).

        Keras 3 on its torch backend computes some of these otherwise (``max_value=6``
        alone is its ``relu6``, which keeps its input; see docs/training-memory.md).
        ``sc.nn.ReLU6`` is PyTorch's ``hardtanh``, which keeps its input.

        >>> import symcnn as sc
        >>> def kept(**arguments):   # after a ReLU, which keeps this layer's input already
        ...     m = sc.Sequential([sc.Input((4,)), sc.Dense(4), sc.ReLU(), ReLU(**arguments)])
        ...     return m.training_memory(batch=1, dtype="int8").layers[-1][2]
        >>> kept(), kept(negative_slope=0.1), kept(max_value=6.0), kept(max_value=6.0,
        ...                                                       negative_slope=0.1, threshold=1.0)
        (4, 0, 4, 8)
        """
        capped = self.max_value is not None
        leaky, threshold = self.negative_slope != 0, self.threshold != 0
        if not (capped or leaky or threshold):
            return (kept_output(),)
        size = formulas.prod(output_shapes[0])
        kept = (kept_input(),) if leaky or threshold else ()
        if capped:  # clamp keeps its input, the (leaky or thresholded) ReLU's result
            kept += (kept_new(size),)
        if leaky and threshold:  # relu(threshold - x), the part below the threshold
            kept += (kept_new(size),)
        return kept

    def get_config(self) -> dict:
        defaults = {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}
        return {k: v for k, v in super().get_config().items() if defaults.get(k, object()) != v}


class LeakyReLU(_Identity):
    """Leaky rectified linear unit (Keras ``LeakyReLU``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 8)), sc.LeakyReLU(negative_slope=0.1)])
    >>> m.output_shape, m.params
    ((H, W, 8), 0)
    """

    # Keras: "The negative_slope value of a Leaky ReLU layer cannot be None or negative"
    _kinds = {"negative_slope": ("a non-negative number", _at_least_zero)}

    activation_name = "leaky_relu"

    def __init__(self, negative_slope=0.3, name: str | None = None, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2's name of the slope; Keras 3 takes it as the slope
            negative_slope = kwargs.pop("alpha")
        super().__init__(name=name, **kwargs)
        self._set(negative_slope=negative_slope)


class ELU(_Identity):
    """Exponential linear unit (Keras ``ELU``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 8)), sc.ELU()])
    >>> m.output_shape, m.params
    ((H, W, 8), 0)
    """

    activation_name = "elu"

    def __init__(self, alpha=1.0, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(alpha=alpha)


class Softmax(_Identity):
    """Softmax along ``axis`` (Keras ``Softmax``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("n", 10)), sc.Softmax()])
    >>> m.output_shape, m.params
    ((n, 10), 0)
    """

    activation_name = "softmax"

    def __init__(self, axis=-1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(axis=self._axes(axis))

    def output_shape_for(self, shape, check: Checker):
        self._axis_positions(shape, batch=True)  # an axis the input lacks is an error
        return shape

    def window_for(self, input_shape):
        """Every output position reads the whole ``axis`` (Keras counts the batch axis)."""
        return _whole_along(input_shape, self.axis)


def _whole_along(input_shape, axis) -> tuple:
    """``window_for`` of a layer that mixes every position along ``axis`` (an int or ints,
    counted with the batch axis as 0, negative from the end)."""
    rank = len(input_shape)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    mixed = {a - 1 if a > 0 else rank + a for a in axes}
    return tuple(Whole() if i in mixed else None for i in range(rank))


def _every_output_element(self, input_shapes, output_shape):
    """ptflops: one operation per output element (its ReLU, LeakyReLU and ELU hooks)."""
    return formulas.elements(output_shape)


ReLU.ptflops_ops_for = LeakyReLU.ptflops_ops_for = ELU.ptflops_ops_for = _every_output_element
