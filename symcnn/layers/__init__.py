"""Layers, one module per family; Keras 3 class and argument names."""

from .base import Checker, Computed, Layer, Node, Tensor
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv
from .core import *  # noqa: F401,F403
from .core import __all__ as _core
from .merge import *  # noqa: F401,F403
from .merge import __all__ as _merge
from .normalization import *  # noqa: F401,F403
from .normalization import __all__ as _norm
from .pooling import *  # noqa: F401,F403
from .pooling import __all__ as _pool
from .reshape import *  # noqa: F401,F403
from .reshape import __all__ as _reshape
from .repeat import Repeat
from .repeat_vector import RepeatVector
from .time_distributed import TimeDistributed
from .prelu import PReLU
from .unit_normalization import UnitNormalization
from .image_resizing import CenterCrop, Resizing
from .dot import Dot
from .dot_attention import Attention
from .additive_attention import AdditiveAttention
from .grouped_query_attention import GroupedQueryAttention
from .attention import *  # noqa: F401,F403
from .attention import __all__ as _attention
from .einsum import *  # noqa: F401,F403
from .einsum import __all__ as _einsum
from .embedding import *  # noqa: F401,F403
from .embedding import __all__ as _embedding
from .recurrent import *  # noqa: F401,F403
from .recurrent import __all__ as _recurrent
from .preprocessing import *  # noqa: F401,F403
from .preprocessing import __all__ as _preprocessing
from .scale import *  # noqa: F401,F403
from .scale import __all__ as _scale

# Keras' short aliases name the same classes.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D  # noqa: F405
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D  # noqa: F405
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (  # noqa: F405
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (  # noqa: F405
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D  # noqa: F405
Convolution2DTranspose = Conv2DTranspose  # noqa: F405
GroupQueryAttention = GroupedQueryAttention  # Keras exports the class under this name

_aliases = [
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution2DTranspose",
    "GroupQueryAttention",
]
__all__ = ["Layer", "Tensor", "Node", "Checker", "Computed",
           *_conv, *_core, *_merge, *_norm, *_pool, *_reshape, *_aliases, "Repeat",
           "RepeatVector", "TimeDistributed", "PReLU", "UnitNormalization", "Resizing",
           "CenterCrop", "Dot", "Attention", "AdditiveAttention",
           "GroupedQueryAttention",
           *[n for n in (*_attention, *_einsum, *_embedding, *_recurrent, *_preprocessing,
                         *_scale) if n[0].isupper()]]


def layer_classes() -> dict:
    """Every layer class by its Keras class name, aliases included: the one name-to-layer
    table that model files (:mod:`symcnn.spec`) and the bridges read.

    >>> layer_classes()["MaxPool2D"] is layer_classes()["MaxPooling2D"] is MaxPooling2D
    True
    """
    found = {name: globals()[name] for name in __all__}
    return {name: cls for name, cls in found.items()
            if isinstance(cls, type) and issubclass(cls, Layer) and cls is not Layer}
