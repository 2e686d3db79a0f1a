"""Attention layers: Keras 3's ``MultiHeadAttention``, counted and costed as Keras builds it.

Keras projects the query, key and value with one ``EinsumDense`` each (kernel
``(d_in, num_heads, head_dim)`` and bias ``(num_heads, head_dim)``), attends over the
``attention_axes`` and projects back with a fourth (kernel ``(num_heads, value_dim, *out)``,
bias ``out``). For self-attention of width ``d`` with ``num_heads*key_dim = d`` that is
``4*d**2 + 4*d`` parameters.

MACs follow one convention (``docs/costs.md``): every product of the four projections, plus
the two attention products, ``Q K^T`` and ``softmax(.) V``: ``2*N**2*d`` for self-attention
over ``N`` tokens. This equals PyTorch's ``FlopCounterMode`` / 2 with grad enabled and the
math attention kernel (softmax, scaling and masks are not multiply-accumulates).

>>> import symcnn as sc
>>> T = sc.symbols("T")
>>> x = sc.Input((T, 64))
>>> y = sc.MultiHeadAttention(num_heads=8, key_dim=8)(x, x)
>>> m = sc.Model(x, y)
>>> y.shape, m.params, m.macs
((T, 64), 16640, 128*T**2 + 16384*T)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import CostError, LayerArgumentError, ShapeError
from ..derivation.blocks import sym
from ..formulas import prod
from ..windows import NotAWindow, Whole
from ..working import Plus, Times
from .attention_calls import MaskedCalls
from .base import Checker, Layer, apply_layer, format_shape
from .layout import time_major
from .saved import Call, kept_new

__all__ = ["MultiHeadAttention", "attention_params", "attention_macs"]


def attention_params(query_dim, key_dim_in, value_dim_in, num_heads, key_dim, value_dim,
                     out_dims, use_bias: bool = True, use_gate: bool = False) -> sympy.Expr:
    """Parameters of a Keras ``MultiHeadAttention`` on inputs of widths ``query_dim``,
    ``key_dim_in``, ``value_dim_in``, with output sizes ``out_dims`` (a tuple).

    ``(dq + dk)*h*k + dv*h*v + h*v*O`` kernels (``O = prod(out_dims)``; plus ``dq*h*v`` for a
    gate) and ``2*h*k + h*v + O`` biases (plus ``h*v``).

    >>> d = sympy.Symbol("d")
    >>> attention_params(d, d, d, 1, d, d, (d,))
    4*d**2 + 4*d
    """
    h, k, v = num_heads, key_dim, value_dim
    out = prod(out_dims)
    kernels = (query_dim + key_dim_in) * h * k + value_dim_in * h * v + h * v * out
    biases = 2 * h * k + h * v + out
    if use_gate:
        kernels += query_dim * h * v
        biases += h * v
    return sympy.expand(kernels + (biases if use_bias else 0))


def attention_macs(query_shape, key_shape, value_shape, num_heads, key_dim, value_dim,
                   out_dims, attention_axes, use_gate: bool = False) -> sympy.Expr:
    """MACs of one ``MultiHeadAttention`` call (shapes without the batch axis).

    ``N_q = prod(query_shape[:-1])``, ``N_k = prod(key_shape[:-1])``, and ``S`` the product of
    the key's sizes along ``attention_axes`` (1-based, as Keras counts them with the batch
    axis): projections ``N_q*d_q*h*k + N_k*(d_k*h*k + d_v*h*v) + N_q*h*v*O``, scores
    ``N_q*S*h*k``, weighted sum ``N_q*S*h*v``.

    >>> N, d = sympy.symbols("N d")
    >>> attention_macs((N, d), (N, d), (N, d), 1, d, d, (d,), (1,))
    2*N**2*d + 4*N*d**2
    """
    h, k, v = num_heads, key_dim, value_dim
    n_q, n_k = prod(query_shape[:-1]), prod(key_shape[:-1])
    attended = prod([key_shape[a - 1] for a in attention_axes])
    projections = (n_q * query_shape[-1] * h * k + n_k * key_shape[-1] * h * k
                   + n_k * value_shape[-1] * h * v + n_q * h * v * prod(out_dims))
    if use_gate:
        projections += n_q * query_shape[-1] * h * v
    products = n_q * attended * h * (k + v)
    return sympy.expand(projections + products)


class MultiHeadAttention(MaskedCalls, Layer):
    """Multi-head attention (Keras ``MultiHeadAttention``), called as ``mha(query, value)`` or
    ``mha(query, value, key)`` (``key`` defaults to ``value``).

    >>> import symcnn as sc
    >>> q, v = sc.Input((10, 32)), sc.Input((20, 16))
    >>> mha = sc.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=6, output_shape=8)
    >>> out = mha(q, v)
    >>> out.shape, sc.Model([q, v], out).params
    ((10, 8), 708)
    >>> sc.MultiHeadAttention(num_heads=0, key_dim=4)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: MultiHeadAttention: `num_heads` must be a positive integer, a symbol name or a positive-integer SymPy expression. Received: num_heads=0
    """

    n_inputs = None
    #: Keras calls it with its tensors as arguments, not as one list (for ``to_keras``).
    keras_call_unpacked = True
    #: How ``nn.MultiheadAttention`` is called: ``from_torch`` records it, ``to_torch``
    #: writes it, training memory counts what that call keeps.
    need_weights = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias: bool = True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, use_gate: bool = False, need_weights: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(name=name, **kwargs)
        ok = isinstance(dropout, (int, float)) and not isinstance(dropout, bool) and 0 <= dropout < 1
        if not ok:
            raise LayerArgumentError(f"MultiHeadAttention: `dropout` must be a number in [0, 1). "
                                     f"Received: dropout={dropout!r}")
        self._set(num_heads=self._size(num_heads, "num_heads"),
                  key_dim=self._size(key_dim, "key_dim"),
                  value_dim=None if value_dim is None else self._size(value_dim, "value_dim"),
                  dropout=dropout, use_bias=self._flag(use_bias, "use_bias"),
                  output_shape=self._output_shape_arg(output_shape),
                  attention_axes=self._axes_arg(attention_axes),
                  sliding_window=None if sliding_window is None else
                  self._size(sliding_window, "sliding_window"),
                  flash_attention=flash_attention, use_gate=self._flag(use_gate, "use_gate"))
        if not self._flag(need_weights, "need_weights"):  # in the config only when False
            self._set(need_weights=False)

    def _output_shape_arg(self, value):
        if value is None:
            return None
        if isinstance(value, (tuple, list)):
            if not value:
                return None  # Keras: an empty output_shape means the query's width
            return tuple(self._size(v, "output_shape") for v in value)
        return (self._size(value, "output_shape"),)

    def _axes_arg(self, value):
        if value is None:
            return None
        axes = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(axes, (tuple, list)) or not axes or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise LayerArgumentError(
                f"MultiHeadAttention: `attention_axes` must be an int or a list of ints (axes "
                f"counted with the batch axis as 0). Received: attention_axes={value!r}")
        return tuple(axes)

    # -- what the layer computes -----------------------------------------------------------

    @property
    def head_value_dim(self):
        """``value_dim``, or ``key_dim`` when it is not given (as Keras)."""
        return self.key_dim if self.value_dim is None else self.value_dim

    def out_dims(self, query_shape) -> tuple:
        """The output's trailing sizes: ``output_shape``, or the query's width."""
        return self.output_shape if self.output_shape else (query_shape[-1],)

    def axes_for(self, rank: int) -> tuple:
        """The attention axes (1-based, batch axis 0) for inputs of ``rank`` (no batch axis).

        As Keras: all axes but the batch and feature axes by default; a negative axis counts
        from the projected tensor's heads axis (Keras' ``(rank - 1) + axis``).
        """
        if self.attention_axes is None:
            return tuple(range(1, rank))
        axes = tuple(a if a >= 0 else rank + 1 + a for a in self.attention_axes)
        for given, a in zip(self.attention_axes, axes):
            if not 1 <= a <= rank - 1:
                raise ShapeError(
                    f"`attention_axes` must name axes between the batch axis and the feature "
                    f"axis (1 to {rank - 1} for inputs of rank {rank} without the batch axis). "
                    f"Received: attention_axes={self.attention_axes!r} (axis {given})")
        if len(set(axes)) != len(axes):
            raise ShapeError(f"`attention_axes` names an axis twice. "
                             f"Received: attention_axes={self.attention_axes!r}")
        return axes

    def _split(self, shapes):
        if len(shapes) not in (2, 3):
            raise ShapeError(f"expects query and value (and optionally key): 2 or 3 inputs. "
                             f"Received: {len(shapes)} inputs")
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) == 3 else value
        return tuple(query), tuple(key), tuple(value)

    def output_shape_for(self, shapes, check: Checker):
        query, key, value = self._split(shapes)
        rank = len(query)
        if rank < 2:
            raise ShapeError(f"expects inputs of rank at least 2 (positions..., features; "
                             f"without the batch axis). Received: query shape "
                             f"{format_shape(query)}")
        for what, shape in (("value", value), ("key", key)):
            if len(shape) != rank:
                raise ShapeError(f"query and {what} must have the same rank. Received: query "
                                 f"shape {format_shape(query)}, {what} shape "
                                 f"{format_shape(shape)}")
        axes = self.axes_for(rank)
        for i in range(rank - 1):
            check.equal(key[i], value[i], lambda: f"key and value must agree on every axis but "
                        f"the last; axis {i + 1} differs. Received: key shape "
                        f"{format_shape(key)}, value shape {format_shape(value)}")
            if i + 1 not in axes:
                check.equal(query[i], key[i], lambda: f"query and key must agree on the axes "
                            f"not attended over; axis {i + 1} differs. Received: query shape "
                            f"{format_shape(query)}, key shape {format_shape(key)}")
        return (*query[:-1], *self.out_dims(query))

    def params_for(self, shapes):
        query, key, value = self._split(shapes)
        total = attention_params(query[-1], key[-1], value[-1], self.num_heads, self.key_dim,
                                 self.head_value_dim, self.out_dims(query), self.use_bias,
                                 self.use_gate)
        return total, sympy.Integer(0)

    def derivation_for(self, b, input_shapes, output_shape):
        """The four projections' kernels and biases, in Keras' names."""
        query, key, value = self._split(input_shapes)
        dq, dk, dv, h, k, v, O = (sym(n) for n in ("d_q", "d_k", "d_v", "h", "k", "v", "O"))
        out = self.out_dims(query)
        b.add("O_out", O, {O: prod(out)}, prod(output_shape[len(query) - 1:]))
        terms = [Times(Plus(dq, dk), h, k), Times(dv, h, v), Times(h, v, O)]
        if self.use_gate:
            terms.append(Times(dq, h, v))
        if self.use_bias:
            terms += [Times(2, h, k), Times(h, v), O] + ([Times(h, v)] if self.use_gate else [])
        b.note("The query, key, value and output projections' kernels"
               + (" and biases, as Keras counts them." if self.use_bias else
                  ", as Keras counts them (no biases)."))
        return Plus(*terms), {dq: query[-1], dk: key[-1], dv: value[-1], h: self.num_heads,
                              k: self.key_dim, v: self.head_value_dim, O: prod(out)}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Projections plus ``Q K^T`` and the weighted sum (see :func:`attention_macs`)."""
        query, key, value = self._split(input_shapes)
        return attention_macs(query, key, value, self.num_heads, self.key_dim,
                              self.head_value_dim, self.out_dims(query),
                              self.axes_for(len(query)), self.use_gate)

    def saved_for_backward(self, input_shapes, output_shapes, call=None) -> tuple:
        """What ``nn.MultiheadAttention(batch_first=True)`` keeps with ``need_weights=True``
        (its math path, as ``to_torch`` calls it), given which inputs require a gradient and
        which are one tensor (``call``, :class:`~symcnn.layers.saved.Call`; by default every
        input requires one and none is another).

        For the weights' gradients only (``when="weights"``): a copy of each input (PyTorch
        makes them time-major) for the input projections, the heads' output for the output
        projection. Wherever a gradient flows: the attention weights (``h*N_q*N_k``). The
        product ``Q K^T`` keeps each factor for the other's gradient: the scaled queries
        where the key requires a gradient or the weights train, the projected keys where the
        query does (or the weights train); the projected values are kept for the attention
        weights' gradient. Self-attention (``mha(x, x)`` with ``d_v = h*k``) projects its
        input in one product, whose output PyTorch keeps whole (``3*N*d``, the queries
        included); cross-attention ``mha(q, v)`` projects key and value in one product from
        one copy and keeps it whole (``2*N_k*d``); otherwise query, key and value each have
        a copy and a projection of their own.

        With ``need_weights=False`` (how ``from_torch`` records a call that passes it)
        PyTorch attends with its fused CPU kernel (``scaled_dot_product_attention``), which
        keeps, wherever a gradient flows, the projected queries, keys and values
        (``N_q*d + 2*N_k*d``), its output (``N_q*d``, which the output projection keeps
        too) and the log-sum-exp of the scores (``h*N_q``, at the training dtype: float32
        for float32), and no attention weights; the copies of the inputs are as above.

        >>> import symcnn as sc
        >>> x = sc.Input(("N", 64))
        >>> def attend(trainable):
        ...     y = sc.MultiHeadAttention(num_heads=4, key_dim=16, trainable=trainable)
        ...     return sc.Model(x, y(*[sc.Dense(64)(x)] * 2)).training_memory(
        ...         batch="B", dtype="int8").layers[-1][2]
        >>> attend(True), attend(False)   # 6*N*d + h*N**2, and 4*N*d + h*N**2 frozen
        (4*B*N**2 + 384*B*N, 4*B*N**2 + 256*B*N)
        """
        query, key, value = self._split(input_shapes)
        self._check_torch_equivalent(query)
        call = call or Call.of(input_shapes)
        h, d = self.num_heads, query[-1]
        n_q, n_k = query[0], key[0]
        at_key = 2 if len(input_shapes) == 3 else 1  # which input is the key

        def unless(grad, elements):  # kept where ``grad``, else only where the weights train
            return kept_new(sympy.expand(elements), when=None if grad else "weights")

        packed = len(input_shapes) == 2 and value[-1] == d
        one = packed and call.one_tensor(0, 1)  # self-attention: one input, one projection
        copies = [query] if one else [query, value] + ([] if packed else [key])
        kept = [unless(False, prod(c)) for c in copies]
        if not self.need_weights:  # the fused kernel: projections, output, log-sum-exp
            return tuple(kept) + (kept_new(sympy.expand(n_q * d + 2 * n_k * d)),
                                  kept_new(sympy.expand(n_q * d)), kept_new(h * n_q))
        kept.append(unless(call.grads[at_key], n_q * d))  # for the key's gradient
        if packed:  # key and value (and, for self-attention, the query) in one tensor
            kept.append(kept_new(sympy.expand((3 if one else 2) * n_k * d)))
        else:  # keys for the query's gradient, values for the attention weights'
            kept += [unless(call.grads[0], n_k * d), unless(call.any_grad(0, at_key), n_k * d)]
        return tuple(kept) + (kept_new(sympy.expand(h * n_q * n_k)), unless(False, n_q * d))

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Time-major under its ``(tokens, features)`` shape: ``nn.MultiheadAttention``
        (``batch_first=True``) computes time-major and returns a transposed view."""
        first = time_major() if len(output_shapes[0]) == 2 else None
        return (first,) + (None,) * (len(output_shapes) - 1)

    def window_for(self, input_shapes):
        """Undefined along the attention axes: which positions an output reads depends on the
        masks given when the layer is called (a causal mask reads only earlier positions),
        which change no shape or count and are not recorded. Other axes pass through; the
        features mix.

        >>> MultiHeadAttention(2, 8).window_for([(10, 16), (10, 16)])
        (NotAWindow(defined=False), Whole(keeps_axis=True))
        """
        rank = len(input_shapes[0])
        attended = self.axes_for(rank)
        return tuple(Whole() if i == rank - 1 else NotAWindow() if i + 1 in attended else None
                     for i in range(rank))

    def _check_torch_equivalent(self, query) -> None:
        problems = []
        if len(query) != 2 or self.axes_for(len(query)) != (1,):
            problems.append(f"inputs of rank 2 (tokens, features), attending over the tokens "
                            f"(query shape {format_shape(query)})")
        if sympy.expand(self.num_heads * self.key_dim - query[-1]) != 0:
            problems.append(f"num_heads*key_dim equal to the query's width "
                            f"({self.num_heads}*{self.key_dim} vs {query[-1]})")
        if self.value_dim not in (None, self.key_dim) or self.output_shape not in (
                None, (query[-1],)):
            problems.append("value_dim equal to key_dim and the query's width as output")
        if self.dropout or self.use_gate or self.sliding_window is not None:
            problems.append("no dropout, gate or sliding window")
        if problems:
            raise CostError(
                f"{self.type_name}: what it keeps for backward is stated for the layers "
                f"PyTorch's nn.MultiheadAttention computes, which need {'; '.join(problems)}. "
                f"Received: num_heads={self.num_heads}, key_dim={self.key_dim}, "
                f"value_dim={self.value_dim}, output_shape={self.output_shape}, "
                f"dropout={self.dropout}, use_gate={self.use_gate}, "
                f"sliding_window={self.sliding_window}")

    # -- calling ------------------------------------------------------------------------------

    def __call__(self, query, value=None, key=None, *, attention_mask=None, query_mask=None,
                 value_mask=None, key_mask=None, use_causal_mask: bool = False, training=None,
                 return_attention_scores: bool = False):
        """``mha(query, value)``, ``mha(query, value, key)``, or a list ``[query, value(, key)]``
        (how Keras configs record the call). Masks change no shape, count or MAC: they are
        not recorded, and a layer called with one says so in :attr:`masked_call`, which the
        exports refuse (their layer would attend to every position)."""
        self._note_masks(attention_mask=attention_mask, query_mask=query_mask,
                         value_mask=value_mask, key_mask=key_mask,
                         use_causal_mask=use_causal_mask)
        if return_attention_scores:
            raise LayerArgumentError(
                f"{self.type_name}: return_attention_scores=True is not supported (the scores "
                f"are an extra output). Received: return_attention_scores=True")
        tensors = self._call_tensors(query, value, key, "mha", aside=(
            " (mha(query, value) attends with the value as key)"))
        return apply_layer(self, tensors).outputs[0]
