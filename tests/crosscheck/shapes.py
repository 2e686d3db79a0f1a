"""An independent integer shape tracker for the random-model generators.

The generators need to know every intermediate shape to draw only valid layers and to make
branches meet. This tracker is a third implementation, deliberately written differently
from symcnn's closed forms: window layers count window start positions by brute force.
The frameworks stay the judges; the tracker only steers generation, and a wrong prediction
shows up as a framework refusing a model the generator thought valid.

``keras_shape(cls, args, shapes)`` follows Keras 3 semantics; ``torch_shape(op, args,
shapes)`` follows ``torch.nn``. Both raise :class:`Invalid` for a model the framework
would refuse (an empty output, mismatched merge inputs, ...).
"""

from __future__ import annotations

import math


class Invalid(Exception):
    """The layer cannot be applied to this input (the generator then skips it)."""


def per_axis(value, rank):
    """A Keras/PyTorch size argument (one int or one per axis) as a ``rank``-tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank


def split(shape, data_format):
    if data_format == "channels_first":
        return tuple(shape[1:]), shape[0]
    return tuple(shape[:-1]), shape[-1]


def join(spatial, channels, data_format):
    if data_format == "channels_first":
        return (channels, *spatial)
    return (*spatial, channels)


def windows(size, extent, stride, left=0, right=0, ceil_mode=False):
    """Count window start positions over the padded input, one by one.

    A window fits when it ends inside the padded input; with ``ceil_mode`` (PyTorch) it may
    overhang the end by less than a stride, but must start inside the input or the left
    padding.
    """
    padded = size + left + right
    count = 0
    for start in range(0, padded, stride):
        overhang = start + extent - padded
        if overhang <= 0 or (ceil_mode and overhang < stride and start < size + left):
            count += 1
    return count


def same_windows(size, stride):
    """'same' padding: one window per stride step starting inside the input."""
    return len(range(0, size, stride))


def _positive(shape):
    if any(d < 1 for d in shape):
        raise Invalid(f"empty output {shape}")
    return tuple(shape)


def _spatial_rank(cls):
    return 1 if "1D" in cls else 3 if "3D" in cls else 2


# --------------------------------------------------------------------------------- Keras


def _keras_window(i, k, s, d, padding):
    extent = d * (k - 1) + 1
    if padding == "valid":
        return windows(i, extent, s)
    if padding == "causal":
        return windows(i, extent, s, left=extent - 1)
    return same_windows(i, s)


def _keras_transposed(i, k, s, d, padding, output_padding):
    extent = d * (k - 1) + 1
    full = (i - 1) * s + extent  # every input position scatters one whole kernel
    if output_padding is None:
        return i * s if padding == "same" else max(full, i * s)
    crop = 2 * (extent // 2) if padding == "same" else 0
    return full - crop + output_padding


def keras_shape(cls, args, shapes):
    """The output shape Keras 3 gives ``cls(**args)`` on inputs of ``shapes`` (no batch)."""
    shape = shapes[0]
    fmt = args.get("data_format") or "channels_last"
    if cls in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        return _broadcast(shapes)
    if cls == "Concatenate":
        return _concatenate(shapes, args.get("axis", -1))
    if cls in ("Activation", "ReLU", "Dropout", "Identity"):
        return shape
    if cls == "Dense":
        return (*shape[:-1], args["units"])
    if cls == "Flatten":
        return (math.prod(shape),)
    if cls == "Reshape":
        return _reshape(shape, args["target_shape"])
    if cls == "Permute":
        return tuple(shape[d - 1] for d in args["dims"])
    if cls in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        _axis_sizes(shape, args.get("axis", -1))
        if cls == "GroupNormalization" and shape[args["axis"]] % args["groups"]:
            raise Invalid("channels not divisible by groups")
        return shape
    rank = _spatial_rank(cls)
    if len(shape) != rank + 1:
        raise Invalid(f"{cls} needs rank {rank + 1}, got {shape}")
    spatial, channels = split(shape, fmt)
    if cls.startswith("Global"):
        return join((1,) * rank, channels, fmt) if args.get("keepdims") else (channels,)
    if cls.startswith("Adaptive"):
        return join(per_axis(args["output_size"], rank), channels, fmt)
    if cls.startswith(("ZeroPadding", "Cropping")):
        key = "padding" if cls.startswith("Zero") else "cropping"
        sign = 1 if key == "padding" else -1
        pairs = _pairs(args.get(key, 1), rank)
        out = [i + sign * (a + b) for i, (a, b) in zip(spatial, pairs)]
        return _positive(join(out, channels, fmt))
    if cls.startswith("UpSampling"):
        return join([i * f for i, f in zip(spatial, per_axis(args.get("size", 2), rank))],
                    channels, fmt)
    if cls.startswith(("MaxPooling", "AveragePooling")):
        k = per_axis(args["pool_size"], rank)
        s = per_axis(args.get("strides") or args["pool_size"], rank)
        out = [_keras_window(i, kk, ss, 1, args.get("padding", "valid"))
               for i, kk, ss in zip(spatial, k, s)]
        return _positive(join(out, channels, fmt))
    k = per_axis(args["kernel_size"], rank)
    s = per_axis(args.get("strides", 1), rank)
    d = per_axis(args.get("dilation_rate", 1), rank)
    padding = args.get("padding", "valid")
    if cls.endswith("Transpose"):
        ops = per_axis(args.get("output_padding"), rank)
        out = [_keras_transposed(*a, padding, op) for a, op in zip(zip(spatial, k, s, d), ops)]
        return _positive(join(out, args["filters"], fmt))
    out = [_keras_window(i, kk, ss, dd, padding) for i, kk, ss, dd in zip(spatial, k, s, d)]
    if cls.startswith("Depthwise"):
        filters = channels * args.get("depth_multiplier", 1)
    else:
        filters = args["filters"]
        if channels % args.get("groups", 1):
            raise Invalid("input channels not divisible by groups")
    return _positive(join(out, filters, fmt))


def keras_weight_key(cls, args, shape):
    """What a layer's weights depend on: a shared layer may be called again on any input
    with the same key (and a valid shape)."""
    fmt = args.get("data_format") or "channels_last"
    if cls in ("Dense",):
        return (len(shape), shape[-1])
    if cls in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        return (len(shape), _axis_sizes(shape, args.get("axis", -1)))
    if "Conv" in cls:
        return (len(shape), split(shape, fmt)[1])
    return (len(shape),)


def _axis_sizes(shape, axis):
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    rank = len(shape) + 1  # Keras counts the batch axis
    out = []
    for a in axes:
        index = a if a >= 0 else rank + a
        if not 1 <= index < rank:
            raise Invalid(f"axis {a} out of range for {shape}")
        out.append(shape[index - 1])
    return tuple(out)


def _pairs(value, rank):
    if isinstance(value, int):
        return ((value, value),) * rank
    if rank == 1 and len(value) == 2 and isinstance(value[0], int):
        return (tuple(value),)
    return tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)


def _broadcast(shapes):
    if len({len(s) for s in shapes}) != 1:
        raise Invalid("merge inputs of different ranks")
    out = []
    for sizes in zip(*shapes):
        wide = {d for d in sizes if d != 1}
        if len(wide) > 1:
            raise Invalid(f"merge inputs {shapes} do not broadcast")
        out.append(wide.pop() if wide else 1)
    return tuple(out)


def _concatenate(shapes, axis):
    rank = len(shapes[0])
    if len({len(s) for s in shapes}) != 1:
        raise Invalid("concatenate inputs of different ranks")
    index = (axis if axis >= 0 else rank + 1 + axis) - 1
    if not 0 <= index < rank:
        raise Invalid("concatenate axis out of range")
    for a in range(rank):
        if a != index and len({s[a] for s in shapes}) != 1:
            raise Invalid(f"concatenate inputs {shapes} differ on axis {a}")
    out = list(shapes[0])
    out[index] = sum(s[index] for s in shapes)
    return tuple(out)


def _reshape(shape, target):
    total = math.prod(shape)
    known = math.prod(d for d in target if d != -1)
    if -1 in target:
        if total % known:
            raise Invalid("reshape does not divide")
        return tuple(total // known if d == -1 else d for d in target)
    if known != total:
        raise Invalid("reshape changes the element count")
    return tuple(target)


# --------------------------------------------------------------------------------- torch


def torch_shape(op, args, shapes):
    """The output shape ``torch.nn`` gives (channels first, no batch axis)."""
    shape = shapes[0]
    if op == "add":
        if len(set(shapes)) != 1:
            raise Invalid(f"add of {shapes}")
        return shape
    if op == "cat":
        return _concatenate(shapes, 1)
    if op in ("ReLU", "Dropout"):
        return shape
    if op.startswith("BatchNorm"):
        ranks = {"1d": (1, 2), "2d": (3,), "3d": (4,)}[op[-2:]]
        if len(shape) not in ranks or shape[0] != args["num_features"]:
            raise Invalid(f"{op} on {shape}")
        return shape
    if op == "GroupNorm":
        if shape[0] != args["num_channels"] or shape[0] % args["num_groups"]:
            raise Invalid("GroupNorm channels")
        return shape
    if op == "Linear":
        if shape[-1] != args["in_features"]:
            raise Invalid("Linear in_features")
        return (*shape[:-1], args["out_features"])
    if op == "Flatten":
        return (math.prod(shape),)
    rank = len(shape) - 1
    if op[-2:] in ("1d", "2d", "3d") and op[-2] != str(rank):
        raise Invalid(f"{op} on an input of shape {shape}")
    channels, spatial = shape[0], shape[1:]
    if op.startswith("ZeroPad"):  # (left, right) pairs, the last axis first
        flat = args["padding"]
        pairs = [flat[k:k + 2] for k in range(0, len(flat), 2)][::-1]
        return _positive((channels, *(i + a + b for i, (a, b) in zip(spatial, pairs))))
    if op == "Upsample":
        if len(per_axis(args["scale_factor"], rank)) != rank:
            raise Invalid("Upsample factors per axis")
        return (channels, *(i * f for i, f in zip(spatial, per_axis(args["scale_factor"], rank))))
    if op.startswith("Adaptive"):
        out = per_axis(args["output_size"], rank)
        return (channels, *(i if o is None else o for i, o in zip(spatial, out)))
    k = per_axis(args["kernel_size"], rank)
    s = per_axis(args.get("stride") or args["kernel_size"], rank)
    d = per_axis(args.get("dilation", 1), rank)
    padding = args.get("padding", 0)
    if op.startswith(("MaxPool", "AvgPool")):
        p = per_axis(padding, rank)
        if any(2 * pp > kk for pp, kk in zip(p, k)):
            raise Invalid("pool padding over half the kernel")
        if op == "AvgPool3d" and any(i < kk for i, kk in zip(spatial, k)):
            raise Invalid("PyTorch's avg_pool3d refuses an unpadded input smaller than the kernel")
        out = [windows(i, dd * (kk - 1) + 1, ss, pp, pp, args.get("ceil_mode", False))
               for i, kk, ss, dd, pp in zip(spatial, k, s, d, p)]  # MaxPool's dilation
        return _positive((channels, *out))
    if channels != args["in_channels"]:
        raise Invalid("in_channels")
    if op.startswith("ConvTranspose"):
        p = per_axis(padding, rank)
        ops = per_axis(args.get("output_padding", 0), rank)
        out = [(i - 1) * ss + dd * (kk - 1) + 1 - 2 * pp + oo
               for i, kk, ss, dd, pp, oo in zip(spatial, k, s, d, p, ops)]
        return _positive((args["out_channels"], *out))
    if padding == "same":
        out = list(spatial)  # stride 1 only
    elif padding == "valid":
        out = [windows(i, dd * (kk - 1) + 1, ss) for i, kk, ss, dd in zip(spatial, k, s, d)]
    else:
        p = per_axis(padding, rank)
        out = [windows(i, dd * (kk - 1) + 1, ss, pp, pp)
               for i, kk, ss, dd, pp in zip(spatial, k, s, d, p)]
    return _positive((args["out_channels"], *out))
