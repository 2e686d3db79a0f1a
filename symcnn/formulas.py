"""Pure shape and parameter formulas over ``int | sympy.Expr``.

No classes, no validation beyond what the arithmetic needs: layers validate their arguments
once and call these. Sources: Keras 3 (``keras/src/ops/operation_utils.py``), the PyTorch
documentation of ``Conv2d``, ``MaxPool2d`` and ``ConvTranspose2d``, and Dumoulin & Visin, "A
guide to convolution arithmetic for deep learning" (2016), relations 1-15.

>>> from symcnn import symbols
>>> H = symbols("H")
>>> window_output_size(H, 3, 2, "valid")
ceiling(H/2) - 1
>>> window_output_size(H, 3, 2, "same")
ceiling(H/2)
>>> conv_params(3, (3, 3), 64)
1792
"""

from __future__ import annotations

from typing import Sequence, Tuple, Union

import sympy

from .arith import ceil_div, floor_div, prove_nonnegative
from .structural import affine_floor, as_int, expanded, expanded_product

__all__ = [
    "effective_kernel",
    "padding_amounts",
    "same_padding",
    "same_padding_before",
    "window_output_size",
    "window_requirement",
    "conv_transpose_output_size",
    "keras_conv_transpose_output_size",
    "conv_params",
    "depthwise_conv_params",
    "separable_conv_params",
    "conv_transpose_params",
    "dense_params",
    "batch_norm_params",
    "conv_macs",
    "conv_transpose_macs",
    "depthwise_conv_macs",
    "separable_conv_macs",
    "dense_macs",
    "elements",
    "ptflops_activation_ops",
    "prod",
]

Size = Union[int, sympy.Expr]
ZERO = sympy.Integer(0)
Padding = Union[str, Size, Tuple[Size, Size]]


def prod(values: Sequence[Size]) -> sympy.Expr:
    """The product of sizes as a SymPy expression.

    >>> prod([3, 3, 64])
    576
    """
    result = sympy.Integer(1)
    for v in values:
        result = result * v
    return result


def effective_kernel(kernel: Size, dilation: Size = 1) -> sympy.Expr:
    """Extent of a dilated kernel: ``d*(k - 1) + 1``.

    >>> effective_kernel(3, 2)
    5
    """
    k, d = as_int(kernel), as_int(dilation)
    if k is not None and d is not None:
        return sympy.Integer(d * (k - 1) + 1)
    return sympy.expand(dilation * (sympy.sympify(kernel) - 1) + 1)


def padding_amounts(padding: Padding, kernel: Size = 1, dilation: Size = 1):
    """``(left, right)`` padding for an explicit int or pair; ``causal`` pads left only.

    ``"valid"`` is ``(0, 0)``. ``"same"`` has no fixed amounts (it depends on the input
    size) and is refused here; use :func:`window_output_size`.

    >>> padding_amounts(1), padding_amounts((0, 2)), padding_amounts("causal", 3, 2)
    ((1, 1), (0, 2), (4, 0))
    """
    if padding == "valid":
        return (sympy.Integer(0), sympy.Integer(0))
    if padding == "causal":
        return (effective_kernel(kernel, dilation) - 1, sympy.Integer(0))
    if isinstance(padding, str):
        raise ValueError(f"padding {padding!r} has no fixed amounts")
    if isinstance(padding, (tuple, list)):
        left, right = padding
        return (sympy.sympify(left), sympy.sympify(right))
    return (sympy.sympify(padding), sympy.sympify(padding))


def same_padding(size: Size, kernel: Size, stride: Size = 1, dilation: Size = 1):
    """``(before, after)``: how Keras (and TensorFlow) split ``same`` padding along one axis.

    The total is what makes ``ceiling(i/s)`` windows fit, ``max((ceiling(i/s) - 1)*s + k_eff
    - i, 0)``; the smaller half goes before, the extra element after. Receptive fields, the
    PyTorch emitter and the Keras export all use this one split.

    >>> same_padding(7, 3), same_padding(8, 4), same_padding(5, 3, 2)
    ((1, 1), (1, 2), (1, 1))
    >>> from symcnn import symbols
    >>> same_padding(symbols("H"), 3)
    (1, 1)
    """
    total = _same_total(size, kernel, stride, dilation)
    before = ZERO if _none_before(kernel, dilation) else floor_div(total, 2)
    return before, expanded(total - before)


def same_padding_before(size: Size, kernel: Size, stride: Size = 1, dilation: Size = 1):
    """The first of :func:`same_padding`, without working out the second (where a window
    starts is all a receptive field needs; the rest costs as much again on deep sizes).

    The total lies between ``k_eff - s`` and ``k_eff - 1`` (:func:`_same_total`), so a
    window of extent at most 2 is never padded before, whatever the stride and size (a
    1x1 stride-2 shortcut of a ResNet):

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> same_padding_before(H, 3, 2), same_padding_before(H, 1, 2), same_padding_before(H, 2, 3)
    (-H + 2*ceiling(H/2), 0, 0)
    """
    if _none_before(kernel, dilation):
        return ZERO
    return floor_div(_same_total(size, kernel, stride, dilation), 2)


def _none_before(kernel: Size, dilation: Size) -> bool:
    """Whether ``same`` padding is never put before: a total of 0 or 1 (a window of extent
    at most 2), whose smaller half is 0."""
    k_eff = effective_kernel(kernel, dilation)
    return bool(k_eff.is_Integer and k_eff <= 2)


def _same_total(size: Size, kernel: Size, stride: Size, dilation: Size):
    """``max((ceiling(i/s) - 1)*s + k_eff - i, 0)``. As ``s*ceiling(i/s) - i`` lies between 0
    and ``s - 1``, the first term lies between ``k_eff - s`` and ``k_eff - 1``: no ``max``
    where ``k_eff >= s`` is proved, and 0 for ``k_eff = 1`` (a 1x1 window with any stride).

    >>> from symcnn import symbols
    >>> H, d = symbols("H d")
    >>> _same_total(H, 1, 2, 1), _same_total(H, 2, 2, d), _same_total(H, 2, 3, 1)
    (0, -H + d + 2*ceiling(H/2) - 1, Max(0, -H + 3*ceiling(H/3) - 1))
    """
    k_eff = effective_kernel(kernel, dilation)
    if as_int(stride) == 1 and k_eff.is_Integer:  # ceiling(i/1) = i: the total is k_eff - 1
        return k_eff - 1
    if k_eff == 1:  # at most k_eff - 1 = 0 before the max with 0
        return ZERO
    size = sympy.sympify(size)
    total = expanded(sympy.Add(stride * ceil_div(size, stride), k_eff - stride, -size))
    slack = expanded(k_eff - stride)  # the least value of the total before the max
    if slack.is_number:
        proved = bool(slack >= 0)
    else:  # sizes are integers (the procedure takes a positive symbol to be at least 1)
        proved = all(x.is_integer for x in slack.free_symbols) and prove_nonnegative(slack)
    if not proved:
        total = sympy.Max(total, 0)
    return total


def window_output_size(
    size: Size,
    kernel: Size,
    stride: Size = 1,
    padding: Padding = "valid",
    dilation: Size = 1,
    ceil_mode: bool = False,
) -> sympy.Expr:
    """Number of window positions along one axis (convolution or pooling output size).

    ``valid`` or explicit padding ``p`` (Keras 3; PyTorch; Dumoulin & Visin rel. 15):
    ``floor((i + p_left + p_right - d*(k - 1) - 1)/s) + 1``. ``same``: ``ceiling(i/s)``
    (Keras writes ``floor((i - 1)/s) + 1``). ``causal`` pads ``d*(k - 1)`` on the left.
    ``ceil_mode`` (PyTorch pooling) rounds up, except that no window may start in the right
    padding: ``floor(min(i + 2p - d*(k-1) - 1 + s - 1, i + p_left - 1)/s) + 1``.

    >>> window_output_size(9, 2, 3)
    3
    >>> window_output_size(7, 3, 1, 1)
    7
    >>> window_output_size(5, 1, 3, 0, ceil_mode=True)
    2
    """
    size = sympy.sympify(size)
    if padding == "same":
        return ceil_div(size, stride)
    left, right = padding_amounts(padding, kernel, dilation)
    extra = _int_sum(left, right, -effective_kernel(kernel, dilation))
    if extra is not None:  # integer padding and kernel: one sum, expanded only if needed
        step = as_int(stride)
        if step == 1 and not ceil_mode:
            return expanded(size + (extra + 1) if extra + 1 else size)
        direct = affine_floor(size, step, extra) if step and step > 1 and not ceil_mode \
            else None
        if direct is not None:  # floor_div(size + extra, step) + 1, in one step
            return sympy.Integer(direct[0] + 1) + direct[1]
        span = expanded(size + extra)
    else:
        span = sympy.expand(size + left + right - effective_kernel(kernel, dilation))
    if not ceil_mode:
        return floor_div(span, stride) + 1
    rounded_up = sympy.expand(span + stride - 1)
    last_start = sympy.expand(size + left - 1)
    gap = sympy.expand(rounded_up - last_start)
    if gap.is_number:
        top = last_start if gap > 0 else rounded_up
    else:
        top = sympy.Min(rounded_up, last_start)
    return floor_div(top, stride) + 1


def window_requirement(size: Size, kernel: Size, padding: Padding = "valid", dilation: Size = 1):
    """``(padded_size, extent)``: a window op is valid when ``padded_size >= extent``.

    >>> window_requirement(8, 3, 1)
    (10, 3)
    >>> window_requirement(8, 3, "same")
    (8, 1)
    """
    size = sympy.sympify(size)
    if padding == "same":
        return size, sympy.Integer(1)
    left, right = padding_amounts(padding, kernel, dilation)
    pad = _int_sum(left, right)
    padded = sympy.expand(size + left + right) if pad is None else \
        expanded(size + pad if pad else size)
    return padded, effective_kernel(kernel, dilation)


def _int_sum(*values) -> int | None:
    """The sum of ``values`` as a Python int when every one is an integer, else None."""
    ints = [as_int(v) for v in values]
    return None if None in ints else sum(ints)


def conv_transpose_output_size(
    size: Size, kernel: Size, stride: Size = 1, padding: Size = 0,
    output_padding: Size = 0, dilation: Size = 1,
) -> sympy.Expr:
    """Transposed convolution with explicit padding (PyTorch; Dumoulin & Visin rel. 14):
    ``(i - 1)*s - 2p + d*(k - 1) + output_padding + 1``.

    >>> conv_transpose_output_size(4, 3, 2, 1, 1)
    8
    """
    left, right = padding_amounts(padding)
    return sympy.expand(
        (sympy.sympify(size) - 1) * stride - left - right
        + dilation * (sympy.sympify(kernel) - 1) + output_padding + 1
    )


def keras_conv_transpose_output_size(
    size: Size, kernel: Size, stride: Size = 1, padding: str = "valid",
    output_padding: Size | None = None, dilation: Size = 1,
) -> sympy.Expr:
    """Transposed convolution as Keras 3 sizes it.

    Without ``output_padding``: ``valid`` gives ``i*s + max(k_eff - s, 0)`` and ``same``
    gives ``i*s``. With it, padding ``floor(k_eff/2)`` for ``same`` (0 for ``valid``) in
    the explicit formula.

    >>> keras_conv_transpose_output_size(4, 3, 2, "valid"), keras_conv_transpose_output_size(4, 3, 2, "same")
    (9, 8)
    """
    size = sympy.sympify(size)
    k_eff = effective_kernel(kernel, dilation)
    if output_padding is None:
        if padding == "same":
            return sympy.expand(size * stride)
        return sympy.expand(size * stride + sympy.Max(k_eff - stride, 0))
    pad = floor_div(k_eff, 2) if padding == "same" else 0
    return sympy.expand((size - 1) * stride + k_eff - 2 * pad + output_padding)


def conv_params(in_channels: Size, kernel: Sequence[Size], filters: Size,
                groups: Size = 1, use_bias: bool = True) -> sympy.Expr:
    """Convolution: ``(C_in/groups) * prod(kernel) * filters (+ filters)``.

    >>> conv_params(48*2, (5, 5), 256, groups=2, use_bias=False)
    307200
    """
    weights = sympy.expand(in_channels / sympy.sympify(groups) * prod(kernel) * filters)
    return weights + filters if use_bias else weights


def depthwise_conv_params(in_channels: Size, kernel: Sequence[Size],
                          depth_multiplier: Size = 1, use_bias: bool = True) -> sympy.Expr:
    """Depthwise convolution: ``C*prod(kernel)*m (+ C*m)``.

    >>> depthwise_conv_params(32, (3, 3))
    320
    """
    out = sympy.expand(in_channels * depth_multiplier)
    weights = sympy.expand(out * prod(kernel))
    return weights + out if use_bias else weights


def separable_conv_params(in_channels: Size, kernel: Sequence[Size], filters: Size,
                          depth_multiplier: Size = 1, use_bias: bool = True) -> sympy.Expr:
    """Separable convolution: depthwise ``C*prod(kernel)*m`` + pointwise ``C*m*filters (+ filters)``.

    >>> separable_conv_params(32, (3, 3), 64)
    2400
    """
    depthwise = depthwise_conv_params(in_channels, kernel, depth_multiplier, use_bias=False)
    pointwise = sympy.expand(in_channels * depth_multiplier * filters)
    return depthwise + pointwise + (filters if use_bias else 0)


def conv_transpose_params(in_channels: Size, kernel: Sequence[Size], filters: Size,
                          groups: Size = 1, use_bias: bool = True) -> sympy.Expr:
    """Transposed convolution: ``C_in * prod(kernel) * (filters/groups) (+ filters)``.

    >>> conv_transpose_params(16, (3, 3), 8)
    1160
    """
    weights = sympy.expand(in_channels * prod(kernel) * filters / sympy.sympify(groups))
    return weights + filters if use_bias else weights


def dense_params(in_features: Size, units: Size, use_bias: bool = True) -> sympy.Expr:
    """Dense (fully connected): ``in*units (+ units)``.

    >>> from symcnn import symbols
    >>> dense_params(160, symbols("n"), use_bias=False)
    160*n
    """
    weights = sympy.expand(sympy.sympify(in_features) * units)
    return weights + units if use_bias else weights


def batch_norm_params(channels: Size, center: bool = True, scale: bool = True):
    """BatchNormalization as Keras counts it: ``(trainable, non_trainable)``.

    Trainable: gamma (``scale``) and beta (``center``), ``C`` each. Non-trainable: the
    moving mean and variance, ``2*C``. Total ``4*C`` with the defaults.

    >>> batch_norm_params(64)
    (128, 128)
    """
    channels = sympy.sympify(channels)
    return (int(center) + int(scale)) * channels, 2 * channels


# ----------------------------------------------------------------------------- MACs


def conv_macs(out_spatial, in_channels, kernel, filters, groups=1) -> sympy.Expr:
    """Convolution: ``prod(out_spatial) * filters * (C_in/groups) * prod(kernel)``.

    One MAC per weight per output position (the window slides over the padded input, so
    products with padding zeros count, as every tool counts them).

    >>> conv_macs((32, 32), 3, (3, 3), 64)
    1769472
    >>> conv_macs((13, 13), 96, (5, 5), 256, groups=2)   # AlexNet's two towers
    51916800
    """
    return expanded_product((*out_spatial, filters, in_channels, *kernel), groups)


def conv_transpose_macs(in_spatial, in_channels, kernel, filters, groups=1) -> sympy.Expr:
    """Transposed convolution: ``prod(in_spatial) * C_in * prod(kernel) * (filters/groups)``.

    Each input element is multiplied by every weight it meets (the scatter form), so the
    count follows the *input* positions, as in ``FlopCounterMode`` and ptflops. Products that
    land in the cropped padding count too.

    >>> conv_transpose_macs((4, 4), 16, (3, 3), 8)
    18432
    """
    return sympy.expand(prod(in_spatial) * in_channels * prod(kernel)
                        * sympy.sympify(filters) / groups)


def depthwise_conv_macs(out_spatial, channels, kernel, depth_multiplier=1) -> sympy.Expr:
    """Depthwise convolution: ``prod(out_spatial) * C * depth_multiplier * prod(kernel)``.

    >>> depthwise_conv_macs((8, 8), 32, (3, 3))
    18432
    """
    return expanded_product((*out_spatial, channels, depth_multiplier, *kernel))


def separable_conv_macs(out_spatial, channels, kernel, filters, depth_multiplier=1):
    """Separable convolution: depthwise ``P*C*m*prod(kernel)`` + pointwise ``P*C*m*filters``,
    ``P = prod(out_spatial)``.

    >>> separable_conv_macs((8, 8), 32, (3, 3), 64)
    149504
    """
    return sympy.expand(prod(out_spatial) * channels * depth_multiplier
                        * (prod(kernel) + filters))


def dense_macs(input_shape, units) -> sympy.Expr:
    """Dense on the last axis: ``prod(input_shape[:-1]) * in_features * units``.

    >>> dense_macs((160,), 10), dense_macs((4, 4, 128), 10)
    (1600, 20480)
    """
    return expanded_product((*input_shape, units))


def elements(shape) -> sympy.Expr:
    """Number of elements of a tensor of ``shape`` (no batch axis).

    >>> elements((7, 7, 3))
    147
    """
    return expanded_product(shape)


#: Activations whose every output element ptflops' module hooks count as one operation
#: (``nn.ReLU``, ``nn.PReLU``, ``nn.ELU``, ``nn.LeakyReLU``, ``nn.ReLU6``, ``nn.GELU``); softmax,
#: SiLU, sigmoid and tanh modules have no hook.
PTFLOPS_ACTIVATIONS = {"relu", "relu6", "elu", "leaky_relu", "prelu", "gelu"}


def ptflops_activation_ops(activation, out_elements) -> sympy.Expr:
    """What ptflops counts for a fused ``activation``: one per output element for the
    activations it hooks, else 0.

    >>> ptflops_activation_ops("relu", 10), ptflops_activation_ops("softmax", 10)
    (10, 0)
    """
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    return sympy.sympify(out_elements) if name and name.lower() in PTFLOPS_ACTIVATIONS \
        else sympy.Integer(0)
