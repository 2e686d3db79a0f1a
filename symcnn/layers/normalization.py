"""Normalization layers, counted as Keras counts them.

BatchNormalization has ``4*C`` parameters: gamma and beta are trainable, the moving mean and
variance (``2*C``) are not. PyTorch keeps the latter as buffers, so its ``parameters()``
matches symcnn's ``trainable_params``.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("H", "W", 64)), sc.BatchNormalization()])
>>> m.params, m.trainable_params, m.non_trainable_params
(256, 128, 128)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..derivation.blocks import sym
from ..errors import LayerArgumentError, brief
from ..windows import Whole
from ..working import Times
from .base import Checker, Layer
from .layout import contiguous, elementwise
from .saved import kept_input, kept_new
from .views import in_memory_format

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization"]


class _AxisLayer(Layer):
    def _features(self, shape) -> sympy.Expr:
        """Product of the sizes along ``axis``; axes count the batch axis as Keras does."""
        total = sympy.Integer(1)
        for index in self._axis_positions(shape):
            total = total * shape[index]
        return total

    def output_shape_for(self, shape, check: Checker):
        self._features(shape)
        return shape

    def macs_for(self, input_shapes, output_shape):
        """No multiply-accumulates: at inference a normalization folds into the layer before."""
        return sympy.Integer(0)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one operation per input element, two with an affine transform."""
        return formulas.elements(input_shapes[0]) * (2 if (self.center or self.scale) else 1)

    def window_for(self, input_shape):
        """Statistics over ``axis`` mix its positions (LayerNormalization)."""
        rank = len(input_shape)
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        mixed = {a - 1 if a > 0 else rank + a for a in axes}
        return tuple(Whole() if i in mixed else None for i in range(rank))

    def _weights_per_feature(self) -> int:
        """Gamma and beta: 2, or 1 without ``center`` or ``scale``, or 0 without both."""
        return int(self.center) + int(self.scale)

    def params_formula(self, input_shape):
        """``2*C`` for gamma and beta (``C`` or none without ``center`` or ``scale``)."""
        C = sym("C")
        factor = self._weights_per_feature()
        if not factor:
            return sympy.Integer(0), {}
        return (Times(factor, C) if factor > 1 else C), {C: self._features(input_shape)}

    def derivation_for(self, b, input_shapes, output_shape):
        return self.params_formula(input_shapes[0])


class BatchNormalization(_AxisLayer):
    """Batch normalization (Keras ``BatchNormalization``): ``2C`` trainable + ``2C`` not.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 64)), sc.BatchNormalization()])
    >>> m.output_shape, m.params, m.trainable_params, m.non_trainable_params
    ((H, W, 64), 256, 128, 128)
    """

    #: Keras 3 runs a frozen batch normalization in inference mode (its moving statistics);
    #: ``torch.nn.BatchNorm`` (:mod:`symcnn.nn`) stays in training mode when frozen.
    inference_when_frozen = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center: bool = True,
                 scale: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, momentum=momentum, epsilon=epsilon, **kwargs)
        self._set(axis=self._axes(axis), center=self._flag(center, "center"),
                  scale=self._flag(scale, "scale"))

    def params_for(self, shape):
        return formulas.batch_norm_params(self._features(shape), self.center, self.scale)

    def window_for(self, input_shape):
        """At inference every position is normalized with stored statistics: it passes."""
        return (None,) * len(input_shape)

    def derivation_for(self, b, input_shapes, output_shape):
        C = sym("C")
        factor = int(self.center) + int(self.scale)
        bind = {C: self._features(input_shapes[0])}
        b.note("Gamma and beta (2C) are trainable; the moving mean and variance (2C) are not.")
        b.non_trainable = (Times(2, C), bind)
        return Times(factor + 2, C), bind

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input, and the batch mean and inverse deviation (one per feature, whatever
        the batch size), as ``torch.nn.BatchNorm`` keeps them in training mode.

        Keras 3 runs a frozen batch normalization (``trainable=False``, or in a frozen model)
        in inference mode: ``(x - moving_mean)*(gamma/sqrt(moving_variance + epsilon)) +
        beta``, whose only factor that requires a gradient is ``x - moving_mean``, so it keeps
        the other, one value per feature (measured on Keras 3's torch backend). A frozen
        ``sc.nn.BatchNorm2d`` (``requires_grad_(False)``) stays in training mode, as in
        PyTorch, and keeps what a trainable one keeps.

        >>> import symcnn as sc
        >>> def bn(trainable):
        ...     return sc.Sequential([sc.Input((5, 5, 3)), sc.Conv2D(4, 3),
        ...                           sc.BatchNormalization(trainable=trainable)])
        >>> [bn(t).training_memory(batch="B").layers[1][2] for t in (True, False)]
        [144*B + 32, 16]
        """
        features = self._features(input_shapes[0])
        if not self.inference_when_frozen:
            stats = kept_new(features, per_example=False)
            return kept_input(), stats, stats
        stats = kept_new(features, per_example=False, when="unfrozen")
        return (kept_input(when="unfrozen"), stats, stats,
                kept_new(features, per_example=False, when="frozen"))

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """A new tensor in the input's memory format over PyTorch's axes, which put the
        normalized axis second (``to_torch`` moves Keras' last axis there): contiguous, or
        channels last for a 4- or 5-axis input stored so
        (:func:`~symcnn.layers.views.in_memory_format`). Not stated over another axis.

        Keras' frozen batch normalization (``trainable=False``) is element-wise arithmetic
        on its input in Keras 3 (:meth:`saved_for_backward`), so it writes its input's memory
        order (:func:`~symcnn.layers.layout.elementwise`)."""
        if not self.trainable and self.inference_when_frozen:
            return (elementwise(input_layouts, input_shapes),)
        rank = len(input_shapes[0]) + 1
        if not isinstance(self.axis, int):
            return (None,)
        channel = self.axis % rank
        if channel == 1:
            torch_axes = tuple(range(rank))
        elif channel == rank - 1:
            torch_axes = (0, channel, *range(1, channel))
        else:
            return (None,)
        return (in_memory_format(input_layouts[0], torch_axes, input_shapes[0]),)


class LayerNormalization(_AxisLayer):
    """Layer normalization (Keras ``LayerNormalization``): gamma and beta over ``axis``.

    ``rms_scaling=True`` (Keras 3 takes it, deprecated) computes
    ``x*rsqrt(var(x) + epsilon)*gamma`` over ``axis``: no mean is subtracted, the variance
    is the mean squared deviation (not the mean square), and Keras builds gamma only,
    whatever ``center`` and ``scale`` say, so the count is ``C``:

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((5, 4)), sc.LayerNormalization(rms_scaling=True)])
    >>> m.params
    4
    >>> print(m.layers[0].derivation)
    layer_normalization (LayerNormalization): input (5, 4), output (5, 4)
      params = C = 4
      note: rms_scaling=True: gamma only (C), whatever center and scale; Keras makes no beta.

    ``to_keras()`` passes it on; ``torch.nn`` has no module that computes it
    (``nn.LayerNorm`` subtracts the mean, ``nn.RMSNorm`` divides by the root mean square).
    """

    #: Keras' ``rms_scaling``: gamma only, and no mean subtracted (see the class docstring).
    rms_scaling = False

    def __init__(self, axis=-1, epsilon=0.001, center: bool = True, scale: bool = True,
                 name: str | None = None, rms_scaling: bool = False, **kwargs: Any) -> None:
        super().__init__(name=name, epsilon=epsilon, **kwargs)
        self._set(axis=self._axes(axis), center=self._flag(center, "center"),
                  scale=self._flag(scale, "scale"))
        if self._flag(rms_scaling, "rms_scaling"):  # in the config only when set (as
            self._set(rms_scaling=True)  # lora_rank): the other configs stay as they were

    def _weights_per_feature(self) -> int:
        """Keras builds gamma if ``scale`` or ``rms_scaling``, beta if ``center`` and not
        ``rms_scaling``: with ``rms_scaling``, 1 whatever ``center`` and ``scale``."""
        return 1 if self.rms_scaling else super()._weights_per_feature()

    def derivation_for(self, b, input_shapes, output_shape):
        if self.rms_scaling:
            b.note("rms_scaling=True: gamma only (C), whatever center and scale; Keras "
                   "makes no beta.")
        return self.params_formula(input_shapes[0])

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: torch's LayerNorm has no ``affine`` attribute, so it counts one per element."""
        return formulas.elements(input_shapes[0])

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input, and a mean and an inverse deviation per normalized group."""
        shape = input_shapes[0]
        stats = kept_new(sympy.cancel(formulas.prod(shape) / self._features(shape)))
        return kept_input(), stats, stats

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Contiguous: PyTorch normalizes a contiguous copy into a new contiguous tensor."""
        return (contiguous(len(output_shapes[0]) + 1),)


class GroupNormalization(_AxisLayer):
    """Group normalization (Keras ``GroupNormalization``): gamma and beta per channel.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 32)), sc.GroupNormalization(groups=8)])
    >>> m.output_shape, m.params
    ((H, W, 32), 64)
    """

    def __init__(self, groups=32, axis=-1, epsilon=0.001, center: bool = True,
                 scale: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, epsilon=epsilon, **kwargs)
        self._set(groups=self._size(groups, "groups"), axis=self._axes(axis),
                  center=self._flag(center, "center"), scale=self._flag(scale, "scale"))
        if not isinstance(self.axis, int):
            raise LayerArgumentError(
                f"GroupNormalization: `axis` must be a single int. Received: axis={brief(axis)}"
            )

    def output_shape_for(self, shape, check: Checker):
        channels = self._features(shape)
        check.divisible(channels, self.groups,
                        f"the channels ({channels}) must be divisible by `groups`. "
                        f"Received: groups={self.groups}")
        return shape


    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one operation per input element, two with an affine transform."""
        return formulas.elements(input_shapes[0]) * (2 if (self.center or self.scale) else 1)

    def window_for(self, input_shape):
        """Statistics over each group mix every spatial position."""
        return (Whole(),) * len(input_shape)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input, and a mean and an inverse deviation per group."""
        return kept_input(), kept_new(self.groups), kept_new(self.groups)
