"""Random layer chains built twice: as symcnn layers (channels first) and as plain torch.nn.

A chain is a list of layer specs (tuples). :func:`chain` draws them with hypothesis;
:func:`to_symcnn` and :func:`to_torch` build the same network in both libraries, so MACs,
FLOPs and receptive fields can be compared with PyTorch's own counts and gradients.
"""

from __future__ import annotations

from hypothesis import strategies as st

import symcnn as sc

CF = "channels_first"
#: Keras activation names and their torch.nn modules (softmax over the channels).
ACTIVATIONS = {"relu": "ReLU", "elu": "ELU", "gelu": "GELU", "leaky_relu": "LeakyReLU",
               "sigmoid": "Sigmoid", "tanh": "Tanh", "silu": "SiLU", "softmax": "Softmax"}


@st.composite
def conv_spec(draw, rank=2, channels=4, transposed=None):
    """One convolution on ``channels`` inputs: plain, grouped, dilated, strided, transposed."""
    groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
    filters = groups * draw(st.integers(1, 4))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(rank))
    bias = draw(st.booleans())
    if transposed is None:
        transposed = draw(st.booleans())
    if transposed:
        out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        return ("tconv", filters, kernel, stride, padding, out_pad, dilation, groups, bias)
    return ("conv", filters, kernel, stride, padding, dilation, groups, bias)


@st.composite
def pool_spec(draw, rank=2):
    kind = draw(st.sampled_from(["max", "avg"]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    s = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    return ("pool", kind, k, s, p)


@st.composite
def chain(draw, rank=2, max_layers=4, kinds=("conv", "pool", "bn", "relu"), transposed=None):
    """``(specs, in_channels)``: a random chain whose grouped convolutions fit their inputs."""
    channels = c = draw(st.integers(1, 6))
    specs = []
    for _ in range(draw(st.integers(1, max_layers))):
        kind = draw(st.sampled_from(kinds))
        if kind == "conv":
            spec = draw(conv_spec(rank, c, transposed))
            c = spec[1]
        elif kind == "pool":
            spec = draw(pool_spec(rank))
        elif kind == "zpad":
            spec = ("zpad", tuple(draw(st.integers(0, 2)) for _ in range(4)))
        elif kind == "upsample":
            spec = ("upsample", draw(st.integers(1, 3)))
        elif kind == "act":
            spec = ("act", draw(st.sampled_from(list(ACTIVATIONS))))
        else:
            spec = (kind,)
        specs.append(spec)
    return specs, channels


def to_symcnn(specs, input_shape, head=None) -> sc.Model:
    """The chain as a symcnn Sequential on ``input_shape`` (channels first, no batch axis)."""
    rank = len(input_shape) - 1
    conv = {1: sc.Conv1D, 2: sc.Conv2D, 3: sc.Conv3D}[rank]
    tconv = {1: sc.Conv1DTranspose, 2: sc.Conv2DTranspose, 3: sc.Conv3DTranspose}[rank]
    pools = {"max": {1: sc.MaxPooling1D, 2: sc.MaxPooling2D}[rank],
             "avg": {1: sc.AveragePooling1D, 2: sc.AveragePooling2D}[rank]}
    layers = [sc.Input(tuple(input_shape))]
    for spec in specs:
        kind = spec[0]
        if kind == "conv":
            _, f, k, s, p, d, g, b = spec
            layers.append(conv(f, k, strides=s, padding=p, dilation_rate=d, groups=g,
                               use_bias=b, data_format=CF))
        elif kind == "tconv":
            _, f, k, s, p, op, d, g, b = spec
            layers.append(tconv(f, k, strides=s, padding=p, output_padding=op, dilation_rate=d,
                                groups=g, use_bias=b, data_format=CF))
        elif kind == "pool":
            _, pk, k, s, p = spec
            layers.append(pools[pk](k, strides=s, padding=p, data_format=CF))
        elif kind == "bn":
            layers.append(sc.BatchNormalization(axis=1))
        elif kind == "relu":
            layers.append(sc.ReLU())
        elif kind == "act":
            layers.append(sc.Activation(spec[1]))
        elif kind == "zpad":  # (top, bottom, left, right) amounts; 2D only
            t, b, left, right = spec[1]
            layers.append(sc.ZeroPadding2D(((t, b), (left, right)), data_format=CF))
        elif kind == "upsample":  # 2D only
            layers.append(sc.UpSampling2D(spec[1], data_format=CF))
        else:
            raise ValueError(spec)
    if head is not None:
        layers += [sc.Flatten(), sc.Dense(head)]
    return sc.Sequential(layers)


def to_torch(specs, in_channels: int, rank: int, head_in=None, head=None, avg_for_max=False):
    """The same chain in torch.nn. ``avg_for_max`` swaps max pooling for average pooling of
    the same geometry (for gradient-based receptive fields: max passes one gradient)."""
    from torch import nn

    conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[rank]
    tconv = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}[rank]
    pools = {"max": {1: nn.MaxPool1d, 2: nn.MaxPool2d}[rank],
             "avg": {1: nn.AvgPool1d, 2: nn.AvgPool2d}[rank]}
    modules, c = [], in_channels
    for spec in specs:
        kind = spec[0]
        if kind == "conv":
            _, f, k, s, p, d, g, b = spec
            modules.append(conv(c, f, k, stride=s, padding=p, dilation=d, groups=g, bias=b))
            c = f
        elif kind == "tconv":
            _, f, k, s, p, op, d, g, b = spec
            modules.append(tconv(c, f, k, stride=s, padding=p, output_padding=op, groups=g,
                                 bias=b, dilation=d))
            c = f
        elif kind == "pool":
            _, pk, k, s, p = spec
            modules.append(pools["avg" if avg_for_max else pk](k, stride=s, padding=p))
        elif kind == "bn":
            modules.append({1: nn.BatchNorm1d, 2: nn.BatchNorm2d}[rank](c))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "act":
            name = ACTIVATIONS[spec[1]]
            modules.append(nn.Softmax(dim=1) if name == "Softmax" else getattr(nn, name)())
        elif kind == "zpad":
            t, b, left, right = spec[1]
            modules.append(nn.ZeroPad2d((left, right, t, b)))
        elif kind == "upsample":
            modules.append(nn.Upsample(scale_factor=spec[1], mode="nearest"))
        else:
            raise ValueError(spec)
    if head is not None:
        modules += [nn.Flatten(), nn.Linear(head_in, head)]
    return nn.Sequential(*modules)
