"""LeNet-5 as LeCun, Bottou, Bengio & Haffner published it (1998), not a modern remake.

On a 32x32 image (the network's own input; the H and W default is symbolic):

====== ============================================================ ===================
layer  what it is                                                    trainable params
====== ============================================================ ===================
C1     6 feature maps, 5x5 convolution                               156
S2     2x2 subsampling: the sum of 4 inputs times a trainable        12
       coefficient plus a trainable bias, per map
C3     16 maps, 5x5 convolution where each map sees only some of     1,516
       S2's maps (the paper's Table I): :class:`TableConv2D`
S4     as S2, on 16 maps                                             32
C5     120 maps, 5x5 convolution (1x1 maps on a 32x32 input)         48,120
F6     84 units, fully connected                                     10,164
output one Euclidean RBF unit per class on F6's 84 outputs, with     840, not trained
       fixed (hand-chosen) centres
====== ============================================================ ===================

60,000 trainable parameters and 840 fixed ones. S2 and S4 are written as an average pool
followed by a per-map scale and bias (``DepthwiseConv2D(1)``: 2 parameters per map); the
average is the sum over 4, so the coefficient absorbs the factor. The RBF layer has a
fully connected layer's shape and count (``classes * 84`` centres) and is marked
non-trainable, as its centres were fixed. Every layer up to F6 squashes with a scaled tanh.
F6 is fully connected to C5's flattened maps, so on inputs larger than 32x32 its size grows.

>>> import symcnn as sc
>>> m = sc.zoo.lenet5()
>>> m.subs(H=32, W=32).trainable_params, m.subs(H=32, W=32).non_trainable_params
(60000, 840)
>>> print(sc.format_shape(sc.zoo.lenet5(include_top=False).output_shape))
(floor(H/4) - 7, floor(W/4) - 7, 120)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derivation import blocks
from ..errors import LayerArgumentError
from ..layers import Activation, AveragePooling2D, Conv2D, Dense, DepthwiseConv2D, Flatten
from ..layers.base import Checker
from ..layers.conv import _WindowConv
from ..layers.spatial import join_channels, split_channels
from ..model import Model
from ..working import Times
from ._common import check_flag, model_input, name_arg, size_arg

__all__ = ["lenet5", "TableConv2D", "LENET5_C3_TABLE"]

#: Which of S2's 6 maps each of C3's 16 maps sees (LeCun et al. 1998, Table I).
LENET5_C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class TableConv2D(_WindowConv):
    """A 2D convolution in which output map ``j`` sees only the input maps ``connections[j]``.

    LeNet-5's C3 layer. Parameters: ``prod(kernel_size)`` weights per connection, plus one
    bias per output map. The output has ``len(connections)`` maps; padding, strides and
    dilation work as in :class:`~symcnn.Conv2D`.

    >>> import symcnn as sc
    >>> layer = TableConv2D(LENET5_C3_TABLE, 5)
    >>> m = sc.Sequential([sc.Input((14, 14, 6)), layer])
    >>> m.output_shape, m.params
    ((10, 10, 16), 1516)
    """

    def __init__(self, connections, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        ok = isinstance(connections, (tuple, list)) and connections and all(
            isinstance(c, (tuple, list)) and c and len(set(c)) == len(c) and all(
                isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in c)
            for c in connections)
        if not ok:
            raise LayerArgumentError(
                f"TableConv2D: `connections` must be a non-empty tuple, one tuple of distinct "
                f"input map indices (ints >= 0) per output map. "
                f"Received: connections={connections!r}"
            )
        self._set(connections=tuple(tuple(c) for c in connections))
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self._set(activation=activation, use_bias=self._flag(use_bias, "use_bias"))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        highest = max(max(c) for c in self.connections)
        check.at_least(channels, highest + 1,
                       f"the connection table uses input map {highest}, but the input has "
                       f"{channels} maps. Received: connections={self.connections}")
        filters = sympy.Integer(len(self.connections))
        return join_channels(self._window_sizes(spatial, check), filters, self.data_format)

    def params_for(self, shape):
        links = sum(len(c) for c in self.connections)
        kernel = sympy.Mul(*self.kernel_size)
        count = links * kernel + (len(self.connections) if self.use_bias else 0)
        return sympy.expand(count), sympy.Integer(0)

    def macs_for(self, input_shapes, output_shape):
        """One MAC per kernel tap of every connection at every output position.

        >>> import symcnn as sc
        >>> sc.Sequential([sc.Input((14, 14, 6)), TableConv2D(LENET5_C3_TABLE, 5)]).macs
        150000
        """
        out_spatial, _ = split_channels(output_shape, self.data_format)
        links = sum(len(c) for c in self.connections)
        return sympy.Mul(*out_spatial) * sympy.Mul(*self.kernel_size) * links

    def derivation_for(self, b, input_shapes, output_shape):
        """The window sizes, and ``K_h*K_w*N_conn (+ F)`` for the parameters."""
        super().derivation_for(b, input_shapes, output_shape)
        N, F = blocks.sym("N_conn"), blocks.sym("F")
        bind = {**blocks.kernel_bind(self), N: sum(len(c) for c in self.connections),
                F: len(self.connections)}
        b.note("A connection table: N_conn input-output map pairs, K_h*K_w weights each.")
        weights = Times(*blocks.kernel_symbols(self.rank), N)
        return blocks.with_bias(weights, self, F), bind


def _subsampling(x, name):
    """S2/S4: 2x2 sum (as an average) times a trainable coefficient plus a bias, per map."""
    x = AveragePooling2D(2, name=f"{name}_pool")(x)
    x = DepthwiseConv2D(1, name=f"{name}_scale")(x)
    return Activation("tanh", name=f"{name}_tanh")(x)


def lenet5(input_shape=None, *, classes=10, include_top: bool = True,
           name: str | None = None) -> Model:
    """LeNet-5 (1998): input ``(H, W, 1)`` by default; 32x32 is the published size.

    ``include_top=False`` ends at C5. The input must be at least 32x32.

    >>> import symcnn as sc
    >>> sc.zoo.lenet5().constraints
    [H >= 32, W >= 32]
    """
    owner = "lenet5"
    check_flag(include_top, "include_top", owner)
    inputs = x = model_input(input_shape, owner, channels=1)
    x = Conv2D(6, 5, activation="tanh", name="c1")(x)
    x = _subsampling(x, "s2")
    x = TableConv2D(LENET5_C3_TABLE, 5, activation="tanh", name="c3")(x)
    x = _subsampling(x, "s4")
    x = Conv2D(120, 5, activation="tanh", name="c5")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(84, activation="tanh", name="f6")(x)
        x = Dense(size_arg(classes, "classes", owner), use_bias=False, trainable=False,
                  name="rbf")(x)
    return Model(inputs, x, name=name_arg(name, owner))
