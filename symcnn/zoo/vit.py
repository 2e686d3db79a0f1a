"""Vision Transformers (Dosovitskiy et al., 2020) as torchvision builds them.

A ``patch_size`` convolution with stride ``patch_size`` cuts the image into
``N = floor(H/p)*floor(W/p)`` patches of ``hidden_dim``; a learned class token makes
``N + 1`` tokens, to which a learned position embedding (``(N + 1)*hidden_dim`` parameters)
is added; ``num_layers`` encoder blocks (layer norm, multi-head self-attention, residual;
layer norm, an MLP of ``mlp_dim`` with GELU, residual) and a final layer norm follow, and the
class token's output feeds the classifier. torchvision fixes ``H = W = image_size`` (224) and
asserts it; here the sizes are free, and the position embedding follows them.

MACs include the attention products, ``2*(N + 1)**2*hidden_dim`` per block (``docs/costs.md``):
17.56 G for ViT-B/16 at 224, as PyTorch's ``FlopCounterMode`` / 2 with grad enabled and the
math attention kernel (its fused inference path reports 11.27 G).

>>> import symcnn as sc
>>> m = sc.zoo.vit_b_16(input_shape=(224, 224, 3))
>>> m.params, m.output_shape
(86567656, (1000,))
>>> m.macs
17563828224
"""

from __future__ import annotations

import sympy

from ..errors import LayerArgumentError
from ..layers import (Activation, Add, ClassToken, Conv2D, Cropping1D, Dense, Flatten, Input,
                      LayerNormalization, MultiHeadAttention, PositionEmbedding, Repeat, Reshape)
from ..model import Model
from ._common import check_flag, model_input, name_arg, size_arg, written_out

__all__ = ["vit", "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14", "encoder_block"]


def encoder_block(tokens, hidden_dim, num_heads, mlp_dim, name: str = "encoder_layer") -> Model:
    """One pre-norm encoder block on ``(tokens, hidden_dim)``: ``x + MHA(LN(x))``, then
    ``x + MLP(LN(x))``; ``4*d**2 + 2*d*m + 9*d + m`` parameters (``d = hidden_dim``,
    ``m = mlp_dim``).

    >>> import symcnn as sc
    >>> d, m = sc.symbols("d m")
    >>> encoder_block("N", 8 * d, 8, m).params
    256*d**2 + 16*d*m + 72*d + m
    """
    owner = "encoder_block"
    if tokens is not None:  # None: any number of tokens, as in Keras
        tokens = size_arg(tokens, "tokens", owner)
    hidden_dim = size_arg(hidden_dim, "hidden_dim", owner)
    num_heads = size_arg(num_heads, "num_heads", owner)
    mlp_dim = size_arg(mlp_dim, "mlp_dim", owner)
    key_dim = hidden_dim / num_heads
    if key_dim.is_integer is not True:
        raise LayerArgumentError(
            f"vit: `hidden_dim` must be a multiple of `num_heads` (pass a symbolic width as "
            f"num_heads*head_dim, e.g. hidden_dim=12*sc.symbols('e')). "
            f"Received: hidden_dim={hidden_dim}, num_heads={num_heads}")
    x = Input((tokens, hidden_dim), name=f"{name}_input")
    y = LayerNormalization(epsilon=1e-6, name=f"{name}_ln_1")(x)
    y = MultiHeadAttention(num_heads, key_dim, name=f"{name}_self_attention")(y, y)
    x2 = Add(name=f"{name}_add_1")([x, y])
    y = LayerNormalization(epsilon=1e-6, name=f"{name}_ln_2")(x2)
    y = Dense(mlp_dim, name=f"{name}_mlp_1")(y)
    y = Activation("gelu", name=f"{name}_gelu")(y)
    y = Dense(hidden_dim, name=f"{name}_mlp_2")(y)
    return Model(x, Add(name=f"{name}_add_2")([x2, y]), name=name)


def vit(patch_size=16, hidden_dim=768, num_layers=12, num_heads=12, mlp_dim=3072,
        input_shape=None, *, classes=1000, include_top: bool = True,
        name: str | None = None) -> Model:
    """A Vision Transformer; every size argument may be a symbol (``num_layers`` through
    :class:`~symcnn.layers.repeat.Repeat`).

    >>> import symcnn as sc
    >>> L = sc.symbols("L")
    >>> m = sc.zoo.vit(16, 768, "L", 12, 3072, input_shape=(224, 224, 3))
    >>> m.params
    7087872*L + 1513192
    """
    owner = name_arg(name, "vit")
    check_flag(include_top, "include_top", owner)
    patch = size_arg(patch_size, "patch_size", owner)
    hidden = size_arg(hidden_dim, "hidden_dim", owner)
    layers = size_arg(num_layers, "num_layers", owner)
    heads = size_arg(num_heads, "num_heads", owner)
    mlp = size_arg(mlp_dim, "mlp_dim", owner)
    inputs = model_input(input_shape, owner)
    x = Conv2D(hidden, patch, strides=patch, name="conv_proj")(inputs)
    h, w, _ = x.shape
    patches = sympy.expand(h * w)
    x = Reshape((-1, hidden), name="patches")(x)
    x = ClassToken(name="class_token")(x)
    x = PositionEmbedding(name="pos_embedding")(x)
    block = encoder_block(patches + 1, hidden, heads, mlp)
    if written_out(layers):
        for i in range(int(layers)):
            x = encoder_block(patches + 1, hidden, heads, mlp, name=f"encoder_layer_{i}")(x)
    else:
        x = Repeat(block, layers, name="encoder_layers")(x)
    x = LayerNormalization(epsilon=1e-6, name="ln")(x)
    if include_top:
        x = Cropping1D((0, patches), name="class_token_out")(x)
        x = Flatten(name="flatten")(x)
        x = Dense(size_arg(classes, "classes", owner), name="head")(x)
    return Model(inputs, x, name=owner)


def vit_b_16(input_shape=None, **kwargs) -> Model:
    """ViT-B/16: patches of 16, width 768, 12 layers of 12 heads, MLP 3072 (86.6 M at 224).

    >>> import symcnn as sc
    >>> sc.zoo.vit_b_16().output_shape
    (1000,)
    """
    name = name_arg(kwargs.pop("name", None), "vit_b_16")
    return vit(16, 768, 12, 12, 3072, input_shape, name=name, **kwargs)


def vit_b_32(input_shape=None, **kwargs) -> Model:
    """ViT-B/32: patches of 32, otherwise ViT-B."""
    name = name_arg(kwargs.pop("name", None), "vit_b_32")
    return vit(32, 768, 12, 12, 3072, input_shape, name=name, **kwargs)


def vit_l_16(input_shape=None, **kwargs) -> Model:
    """ViT-L/16: patches of 16, width 1024, 24 layers of 16 heads, MLP 4096."""
    name = name_arg(kwargs.pop("name", None), "vit_l_16")
    return vit(16, 1024, 24, 16, 4096, input_shape, name=name, **kwargs)


def vit_l_32(input_shape=None, **kwargs) -> Model:
    """ViT-L/32: patches of 32, otherwise ViT-L."""
    name = name_arg(kwargs.pop("name", None), "vit_l_32")
    return vit(32, 1024, 24, 16, 4096, input_shape, name=name, **kwargs)


def vit_h_14(input_shape=None, **kwargs) -> Model:
    """ViT-H/14: patches of 14, width 1280, 32 layers of 16 heads, MLP 5120."""
    name = name_arg(kwargs.pop("name", None), "vit_h_14")
    return vit(14, 1280, 32, 16, 5120, input_shape, name=name, **kwargs)
