"""Swin Transformers (Liu et al., 2021) as torchvision builds them.

A 4x4 stride-4 patch embedding and a layer norm; four stages of ``depths`` blocks with
``num_heads`` heads at widths ``embed_dim * (1, 2, 4, 8)``, joined by patch merging (pad to
even sizes, gather each 2x2 neighbourhood into the channels, a layer norm and a linear map
from ``4*C`` to ``2*C`` without bias). A block is window attention over ``window_size``
windows with a learned relative position bias (every second block shifted by half a window,
which moves a mask, not a count: :class:`~symcnn.nn.ShiftedWindowAttention`), then an MLP
four times as wide, each after a layer norm and with a residual sum. The head normalizes,
averages and classifies.

>>> import symcnn as sc
>>> m = sc.zoo.swin_t(input_shape=(224, 224, 3))
>>> m.params, m.output_shape
(28288354, (1000,))
"""

from __future__ import annotations

from ..errors import LayerArgumentError
from ..layers import (Activation, Add, Concatenate, Conv2D, Dense, GlobalAveragePooling2D,
                      LayerNormalization)
from ..model import Model
from ..nn.blocks import PadToMultiple, ShiftedWindowAttention, StridedSlice
from ._common import check_count, check_flag, model_input, name_arg, plain_int, size_arg

__all__ = ["swin", "swin_t", "swin_s", "swin_b"]


def _block(x, dim, heads, window, shift, name):
    y = LayerNormalization(epsilon=1e-5, name=f"{name}_norm1")(x)
    y = ShiftedWindowAttention(dim, window, heads, shift, name=f"{name}_attn")(y)
    x = Add(name=f"{name}_add_1")([x, y])
    y = LayerNormalization(epsilon=1e-5, name=f"{name}_norm2")(x)
    y = Dense(4 * dim, name=f"{name}_mlp_1")(y)
    y = Activation("gelu", name=f"{name}_gelu")(y)
    y = Dense(dim, name=f"{name}_mlp_2")(y)
    return Add(name=f"{name}_add_2")([x, y])


def _patch_merging(x, dim, name):
    x = PadToMultiple((2, 2), axes=(0, 1), name=f"{name}_pad")(x)
    parts = [StridedSlice(((a, None, 2), (b, None, 2)), name=f"{name}_x{i}")(x)
             for i, (a, b) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)])]
    x = Concatenate(name=f"{name}_cat")(parts)
    x = LayerNormalization(epsilon=1e-5, name=f"{name}_norm")(x)
    return Dense(2 * dim, use_bias=False, name=f"{name}_reduction")(x)


def swin(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window_size=(7, 7),
         input_shape=None, *, classes=1000, include_top: bool = True,
         name: str | None = None) -> Model:
    """A Swin Transformer: ``embed_dim`` may be a symbol; ``depths``, ``num_heads`` and
    ``window_size`` are numbers (every block is drawn, alternating unshifted and shifted).

    >>> import symcnn as sc
    >>> C = sc.symbols("C")
    >>> sc.zoo.swin("C", depths=(1, 1, 1, 1), num_heads=(1, 2, 4, 8), input_shape=(64, 64, 3),
    ...             classes=10).params
    1188*C**2 + 398*C + 2545
    """
    owner = name_arg(name, "swin")
    check_flag(include_top, "include_top", owner)
    if not (isinstance(depths, (tuple, list)) and isinstance(num_heads, (tuple, list))
            and len(depths) == len(num_heads)
            and all((plain_int(v) or 0) >= 1 for v in (*depths, *num_heads))):
        raise LayerArgumentError(f"{owner}: `depths` and `num_heads` must be positive ints, one "
                                 f"per stage. Received: depths={depths!r}, "
                                 f"num_heads={num_heads!r}")
    depths, num_heads = [plain_int(v) for v in depths], [plain_int(v) for v in num_heads]
    for depth in depths:
        check_count(depth, "depths", owner, depths, symbolic=False)
    dim = size_arg(embed_dim, "embed_dim", owner)
    window = (window_size, window_size) if plain_int(window_size) is not None else window_size
    if not (isinstance(window, (tuple, list)) and len(window) == 2
            and all((plain_int(v) or 0) >= 1 for v in window)):
        raise LayerArgumentError(f"{owner}: `window_size` must be a positive int or two of "
                                 f"them (height, width), as (7, 7). "
                                 f"Received: window_size={window_size!r}")
    window = tuple(plain_int(v) for v in window)
    inputs = model_input(input_shape, owner)
    x = Conv2D(dim, 4, strides=4, name="patch_embed")(inputs)
    x = LayerNormalization(epsilon=1e-5, name="patch_embed_norm")(x)
    for stage, (depth, heads) in enumerate(zip(depths, num_heads)):
        if stage:
            x = _patch_merging(x, dim, f"patch_merging_{stage}")
            dim = 2 * dim
        for i in range(depth):
            shift = (0, 0) if i % 2 == 0 else tuple(w // 2 for w in window)
            x = _block(x, dim, heads, window, shift, f"stage_{stage}_block_{i}")
    x = LayerNormalization(epsilon=1e-5, name="norm")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avgpool")(x)
        x = Dense(size_arg(classes, "classes", owner), name="head")(x)
    return Model(inputs, x, name=owner)


def swin_t(input_shape=None, **kwargs) -> Model:
    """Swin-T: width 96, depths (2, 2, 6, 2), heads (3, 6, 12, 24), 7x7 windows; 28.3 M."""
    name = name_arg(kwargs.pop("name", None), "swin_t")
    return swin(96, (2, 2, 6, 2), (3, 6, 12, 24), (7, 7), input_shape, name=name, **kwargs)


def swin_s(input_shape=None, **kwargs) -> Model:
    """Swin-S: width 96, depths (2, 2, 18, 2), heads (3, 6, 12, 24), 7x7 windows."""
    name = name_arg(kwargs.pop("name", None), "swin_s")
    return swin(96, (2, 2, 18, 2), (3, 6, 12, 24), (7, 7), input_shape, name=name, **kwargs)


def swin_b(input_shape=None, **kwargs) -> Model:
    """Swin-B: width 128, depths (2, 2, 18, 2), heads (4, 8, 16, 32), 7x7 windows."""
    name = name_arg(kwargs.pop("name", None), "swin_b")
    return swin(128, (2, 2, 18, 2), (4, 8, 16, 32), (7, 7), input_shape, name=name, **kwargs)
