"""ConvNeXt (Liu et al., 2022) as torchvision and Keras build it.

A 4x4 stride-4 stem convolution and a layer norm; four stages of ``depths`` blocks at widths
``dims``, a layer norm and a 2x2 stride-2 convolution between stages. A block is a 7x7
depthwise convolution, a layer norm, a pointwise MLP four times as wide (``Dense`` layers on
the channel axis) with GELU, a layer scale (one factor per channel) and a residual sum:
``8*d**2 + 58*d`` parameters for a stage width ``d``. The head averages, normalizes and
classifies; without the top (``include_top=False``) the last feature map is normalized,
as ``keras.applications`` ends it. Stochastic depth is an identity at inference and has no
weights.

>>> import symcnn as sc
>>> m = sc.zoo.convnext_tiny()
>>> m.params
28589128
>>> sc.zoo.convnext_tiny(include_top=False).output_shape
(floor(H/32), floor(W/32), 768)
"""

from __future__ import annotations

from ..errors import LayerArgumentError
from ..layers import (Activation, Add, Conv2D, Dense, DepthwiseConv2D, GlobalAveragePooling2D,
                      Input, LayerNormalization, LayerScale, Repeat)
from ..model import Model
from ._common import check_flag, model_input, name_arg, size_arg, written_out

__all__ = ["convnext", "convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
           "convnext_block"]


def convnext_block(dim, name: str = "block", input_shape=("H", "W")) -> Model:
    """One ConvNeXt block of width ``dim``: ``8*dim**2 + 58*dim`` parameters (depthwise
    ``50*dim``, layer norm ``2*dim``, MLP ``8*dim**2 + 5*dim``, layer scale ``dim``).

    >>> import symcnn as sc
    >>> d = sc.symbols("d")
    >>> convnext_block(d).params
    8*d**2 + 58*d
    """
    owner = "convnext_block"
    dim = size_arg(dim, "dim", owner)
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
        raise LayerArgumentError(f"{owner}: `input_shape` must be (height, width), the block's "
                                 f"input without its channels. "
                                 f"Received: input_shape={input_shape!r}")
    x = Input((*input_shape, dim), name=f"{name}_input")
    y = DepthwiseConv2D(7, padding="same", name=f"{name}_depthwise_conv")(x)
    y = LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(y)
    y = Dense(4 * dim, name=f"{name}_pointwise_conv_1")(y)
    y = Activation("gelu", name=f"{name}_gelu")(y)
    y = Dense(dim, name=f"{name}_pointwise_conv_2")(y)
    y = LayerScale(1e-6, dim, name=f"{name}_layer_scale")(y)
    return Model(x, Add(name=f"{name}_add")([x, y]), name=name)


def convnext(depths=(3, 3, 9, 3), dims=(96, 192, 384, 768), input_shape=None, *,
             classes=1000, include_top: bool = True, name: str | None = None) -> Model:
    """A ConvNeXt with ``depths`` blocks per stage at widths ``dims`` (four each; numbers or
    symbols, a symbolic depth through :class:`~symcnn.layers.repeat.Repeat`).

    >>> import symcnn as sc
    >>> sc.zoo.convnext(depths=(3, 3, "L", 3), input_shape=(224, 224, 3)).params
    1201920*L + 17771848
    """
    owner = name_arg(name, "convnext")
    check_flag(include_top, "include_top", owner)
    if not (isinstance(depths, (tuple, list)) and isinstance(dims, (tuple, list))
            and len(depths) == len(dims) == 4):
        raise LayerArgumentError(f"{owner}: `depths` and `dims` must be four sizes each. "
                                 f"Received: depths={depths!r}, dims={dims!r}")
    depths = [size_arg(d, "depths", owner) for d in depths]
    dims = [size_arg(d, "dims", owner) for d in dims]
    inputs = model_input(input_shape, owner)
    x = Conv2D(dims[0], 4, strides=4, name="stem_conv")(inputs)
    x = LayerNormalization(epsilon=1e-6, name="stem_layernorm")(x)
    for stage, (depth, dim) in enumerate(zip(depths, dims)):
        if stage:
            x = LayerNormalization(epsilon=1e-6, name=f"downsampling_layernorm_{stage}")(x)
            x = Conv2D(dim, 2, strides=2, name=f"downsampling_conv_{stage}")(x)
        prefix = f"stage_{stage}"
        if written_out(depth):
            for i in range(int(depth)):
                block = convnext_block(dim, f"{prefix}_block_{i}", x.shape[:2])
                x = block(x)
        else:
            x = Repeat(convnext_block(dim, f"{prefix}_block", x.shape[:2]), depth,
                       name=f"{prefix}_blocks")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="head_gap")(x)
        x = LayerNormalization(epsilon=1e-6, name="head_layernorm")(x)
        x = Dense(size_arg(classes, "classes", owner), name="head_dense")(x)
    else:  # as keras.applications: the last feature map normalized
        x = LayerNormalization(epsilon=1e-6, name="top_layernorm")(x)
    return Model(inputs, x, name=owner)


def convnext_tiny(input_shape=None, **kwargs) -> Model:
    """ConvNeXt-T: depths (3, 3, 9, 3), widths (96, 192, 384, 768); 28.6 M parameters."""
    name = name_arg(kwargs.pop("name", None), "convnext_tiny")
    return convnext((3, 3, 9, 3), (96, 192, 384, 768), input_shape, name=name, **kwargs)


def convnext_small(input_shape=None, **kwargs) -> Model:
    """ConvNeXt-S: depths (3, 3, 27, 3), widths (96, 192, 384, 768)."""
    name = name_arg(kwargs.pop("name", None), "convnext_small")
    return convnext((3, 3, 27, 3), (96, 192, 384, 768), input_shape, name=name, **kwargs)


def convnext_base(input_shape=None, **kwargs) -> Model:
    """ConvNeXt-B: depths (3, 3, 27, 3), widths (128, 256, 512, 1024)."""
    name = name_arg(kwargs.pop("name", None), "convnext_base")
    return convnext((3, 3, 27, 3), (128, 256, 512, 1024), input_shape, name=name, **kwargs)


def convnext_large(input_shape=None, **kwargs) -> Model:
    """ConvNeXt-L: depths (3, 3, 27, 3), widths (192, 384, 768, 1536)."""
    name = name_arg(kwargs.pop("name", None), "convnext_large")
    return convnext((3, 3, 27, 3), (192, 384, 768, 1536), input_shape, name=name, **kwargs)
