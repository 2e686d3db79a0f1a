"""PyTorch naming, channels first: paste a ``torch.nn`` definition and get closed forms.

Each class is a thin subclass of the Keras-named layer that computes the same thing, with
``data_format="channels_first"`` and PyTorch's argument names, defaults and checks: the
engine underneath is the same. Shapes have no batch axis and put channels first,
``(C, H, W)``. The sizes PyTorch makes you declare (``in_channels``, ``num_features``,
``in_features``) are checked against the incoming shape: a mismatch that can be decided is an
error, one that depends on the symbols becomes a constraint.

:class:`Sequential` takes the modules as positional arguments, as ``torch.nn.Sequential``
does, plus ``input_shape``, which PyTorch never needs but a shape calculation does. Without
``input_shape`` it is a :class:`~symcnn.nn.container.Block` to nest in a larger one.

Counting: ``trainable_params`` is PyTorch's ``sum(p.numel() for p in m.parameters())``;
``params`` adds, as Keras does, the ``2*C`` running mean and variance of each batch norm
(PyTorch keeps them as buffers) as ``non_trainable_params``.

>>> from symcnn import nn
>>> m = nn.Sequential(
...     nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False),
...     nn.BatchNorm2d(64), nn.ReLU(inplace=True),
...     nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
...     input_shape=(3, "H", "W"))
>>> m.output_shape
(64, ceiling(H/4), ceiling(W/4))
>>> m.trainable_params, m.non_trainable_params
(9536, 128)
"""

from ._base import TORCH_ONLY_ARGS, TorchLayer
from .blocks import *  # noqa: F401,F403
from .blocks import __all__ as _blocks
from .activation import *  # noqa: F401,F403
from .activation import __all__ as _activation
from .attention import MultiheadAttention
from .container import Block, Sequential
from .contiguous import Contiguous
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv
from .embedding import Embedding
from .normalization import *  # noqa: F401,F403
from .normalization import __all__ as _norm
from .pooling import *  # noqa: F401,F403
from .recurrent import GRU, LSTM, RNN
from .scalar_op import ScalarOp
from .pooling import __all__ as _pool
from .reshape import *  # noqa: F401,F403
from .reshape import __all__ as _reshape

__all__ = ["Sequential", "Block", "TorchLayer", "TORCH_ONLY_ARGS", "Embedding", "Contiguous",
           "RNN", "LSTM", "GRU", "MultiheadAttention", "ScalarOp",
           *_conv, *_norm, *_pool, *_activation, *_reshape, *_blocks]
