"""``torch.nn.MultiheadAttention``: Keras' :class:`~symcnn.MultiHeadAttention` with PyTorch's
arguments and call.

PyTorch's module is Keras' layer with ``key_dim = value_dim = embed_dim/num_heads`` and the
query's width as output, so the formulas are that layer's: ``E*(E + kdim + vdim) + E**2``
weights (``in_proj_weight``, or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``
where ``kdim`` or ``vdim`` differs from ``E``, and ``out_proj.weight``) and ``4*E`` biases
with ``bias``; ``add_bias_kv`` adds ``bias_k`` and ``bias_v``, ``2*E``: exactly
``sum(p.numel() for p in m.parameters())``.

It is called as PyTorch calls it, ``mha(query, key, value)``, on ``(L, E)``, ``(S, kdim)`` and
``(S, vdim)`` (no batch axis: symcnn's shapes never have it, so ``batch_first`` changes no
shape, count or cost; it is kept for the PyTorch export, which feeds the module time-major
when it is False), and gives the attention output ``(L, E)`` only: a symcnn layer has one
output per call, so PyTorch's second output, the attention weights, is not modelled. What
training memory counts is the call PyTorch makes by default, ``need_weights=True``; a call
with ``need_weights=False`` (PyTorch's fused kernel, which keeps less) is refused: build
Keras' ``sc.MultiHeadAttention(..., need_weights=False)`` for that figure. Masks
(``key_padding_mask``, ``attn_mask``) change no shape, count or MAC: the call is counted and
noted as masked, which the exports refuse.

MACs, by the convention of ``docs/costs.md``: the four projections
``L*E**2 + S*E*(kdim + vdim) + L*E**2``, and the two attention products ``2*L*S'*E`` over
``S' = S`` keys (one more for ``add_bias_kv``, one more for ``add_zero_attn``): PyTorch's
``FlopCounterMode`` / 2 on a training call.

>>> import symcnn as sc
>>> L, E = sc.symbols("L E")
>>> x = sc.Input((L, E))
>>> mha = sc.nn.MultiheadAttention(E, 8)
>>> m = sc.Model(x, mha(x, x, x))
>>> m.output_shape, m.params, m.macs
((L, E), 4*E**2 + 4*E, 4*E**2*L + 2*E*L**2)
>>> m.constraints
[Eq(Mod(E, 8), 0)]
>>> sc.nn.MultiheadAttention(10, 3)
Traceback (most recent call last):
...
symcnn.errors.LayerArgumentError: MultiheadAttention: embed_dim must be divisible by num_heads. Received: embed_dim=10, num_heads=3
"""

from __future__ import annotations

import sympy

from ..derivation.blocks import sym, value_of
from ..errors import CostError, LayerArgumentError, ShapeError, describe_layer
from ..layers.attention import MultiHeadAttention as KerasMultiHeadAttention
from ..layers.attention_calls import dropout_rate
from ..layers.base import Checker, Layer, Tensor, apply_layer, format_shape
from ..layers.saved import Call
from ..working import Plus, Times
from ._base import TorchLayer, flag

__all__ = ["MultiheadAttention"]


class MultiheadAttention(TorchLayer, KerasMultiHeadAttention):
    """``torch.nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False)``,
    called ``mha(query, key, value)``: ``E*(E + kdim + vdim) + E**2`` weights, ``4*E``
    biases with ``bias`` and ``2*E`` more with ``add_bias_kv`` (see the module's notes).

    >>> import symcnn as sc
    >>> q, kv = sc.Input((10, 32)), sc.Input(("S", 16))
    >>> mha = sc.nn.MultiheadAttention(32, 4, kdim=16, vdim=16, batch_first=True)
    >>> out = mha(q, kv, kv)
    >>> out.shape, sc.Model([q, kv], out).params
    ((10, 32), 3200)
    >>> mha(q, q, kv)
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: MultiheadAttention layer on input shape [(10, 32), (10, 32), (S, 16)]: `kdim` is 16 but the key has 32 features. Received: kdim=16
    """

    _optional = (("dropout", 0.0), ("bias", True), ("add_bias_kv", False),
                 ("add_zero_attn", False), ("kdim", None), ("vdim", None),
                 ("batch_first", False))

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None, name: str | None = None, trainable: bool = True) -> None:
        Layer.__init__(self, name=name, trainable=trainable)
        t = self.type_name
        embed = self._size(embed_dim, "embed_dim")
        heads = self._size(num_heads, "num_heads")
        if embed.is_Integer and heads.is_Integer and int(embed) % int(heads):
            # PyTorch: "embed_dim must be divisible by num_heads"
            raise LayerArgumentError(f"{t}: embed_dim must be divisible by num_heads. "
                                     f"Received: embed_dim={embed}, num_heads={heads}")
        dropout = dropout_rate(t, dropout)
        bias = flag(t, bias, "bias")
        # what Keras' layer reads (its formulas): head_dim = embed_dim/num_heads
        self._set(num_heads=heads, key_dim=embed / heads, value_dim=None, dropout=dropout,
                  use_bias=bias, output_shape=None, attention_axes=None, sliding_window=None,
                  flash_attention=None, use_gate=False)
        self._set(embed_dim=embed,
                  kdim=embed if kdim is None else self._size(kdim, "kdim"),
                  vdim=embed if vdim is None else self._size(vdim, "vdim"),
                  add_bias_kv=flag(t, add_bias_kv, "add_bias_kv"),
                  add_zero_attn=flag(t, add_zero_attn, "add_zero_attn"),
                  batch_first=flag(t, batch_first, "batch_first"))
        self._torch_config(embed_dim=embed, num_heads=heads, dropout=float(dropout), bias=bias,
                           add_bias_kv=self.add_bias_kv, add_zero_attn=self.add_zero_attn,
                           kdim=None if kdim is None else self.kdim,
                           vdim=None if vdim is None else self.vdim,
                           batch_first=self.batch_first)

    @property
    def extra_keys(self) -> int:
        """The key positions PyTorch appends: ``bias_k`` (``add_bias_kv``), then a zero
        (``add_zero_attn``)."""
        return int(self.add_bias_kv) + int(self.add_zero_attn)

    # -- shapes and counts: Keras' formulas on PyTorch's (query, key, value) --------------

    @staticmethod
    def _keras_order(shapes) -> list:
        """PyTorch's ``(query, key, value)`` as Keras' layer takes them, ``(query, value,
        key)``, for its formulas."""
        if len(shapes) != 3:
            raise ShapeError(f"expects query, key and value: 3 inputs. Received: "
                             f"{len(shapes)} inputs")
        return [tuple(shapes[0]), tuple(shapes[2]), tuple(shapes[1])]

    def output_shape_for(self, shapes, check: Checker):
        self._check_input(shapes, check)
        return KerasMultiHeadAttention.output_shape_for(self, self._keras_order(shapes), check)

    def _check_input(self, shapes, check: Checker) -> None:
        query, value, key = self._keras_order(shapes)
        for what, shape in (("query", query), ("key", key), ("value", value)):
            if len(shape) != 2:
                raise ShapeError(f"expects sequences of rank 2 (positions, features; without "
                                 f"the batch axis), as PyTorch's unbatched (L, E). Received: "
                                 f"{what} shape {format_shape(shape)}")
        for arg, what, shape in (("embed_dim", "query", query), ("kdim", "key", key),
                                 ("vdim", "value", value)):
            declared = getattr(self, arg)
            check.equal(shape[1], declared, lambda arg=arg, what=what, shape=shape, declared=(
                declared): f"`{arg}` is {declared} but the {what} has {shape[1]} features. "
                f"Received: {arg}={declared}")
        check.divisible(self.embed_dim, self.num_heads, lambda: (
            f"embed_dim must be divisible by num_heads. Received: embed_dim={self.embed_dim}, "
            f"num_heads={self.num_heads}"))

    def params_formula(self, shapes):
        """``E*(E + kdim + vdim) + E**2`` weights (the query, key, value and output
        projections), ``4*E`` biases with ``bias`` (``in_proj_bias``, ``out_proj.bias``) and
        ``2*E`` with ``add_bias_kv`` (``bias_k``, ``bias_v``): stated once, so the count and
        the derivation are the same formula. (Keras' :func:`~symcnn.layers.attention.
        attention_params` with ``key_dim = value_dim = E/num_heads`` counts the same.)"""
        query, value, key = self._keras_order(shapes)
        E, K, V = sym("E"), sym("kdim"), sym("vdim")
        terms = [Times(E, Plus(E, K, V)), Times(E, E)]
        if self.use_bias:
            terms.append(Times(4, E))
        if self.add_bias_kv:
            terms.append(Times(2, E))
        return Plus(*terms), {E: query[-1], K: key[-1], V: value[-1]}

    def params_for(self, shapes):
        return value_of(*self.params_formula(shapes)), sympy.Integer(0)

    def derivation_for(self, b, input_shapes, output_shape):
        """``E_out = E``; the parameters of :meth:`params_formula`."""
        E = sym("E")
        b.add("E_out", E, {E: self.embed_dim}, output_shape[-1])
        b.note(f"PyTorch's nn.MultiheadAttention: {self.num_heads} head(s) of embed_dim/"
               f"num_heads; the query, key, value and output projections"
               + (", their biases" if self.use_bias else "")
               + (", and bias_k and bias_v" if self.add_bias_kv else "") + ".")
        return self.params_formula(input_shapes)

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Keras' (projections, ``Q K^T``, the weighted sum), the products over
        ``extra_keys`` more keys: ``2*L*E`` each."""
        query = input_shapes[0]
        extra = 2 * query[0] * self.embed_dim * self.extra_keys
        keras = self._keras_order(input_shapes)
        return sympy.expand(super().macs_for(keras, output_shape) + extra)

    def saved_for_backward(self, input_shapes, output_shapes, call=None) -> tuple:
        """What ``nn.MultiheadAttention`` keeps when called ``(query, key, value)`` with
        ``need_weights=True``: Keras' layer's figure for its ``(query, value[, key])``
        (:meth:`symcnn.MultiHeadAttention.saved_for_backward`), which its export computes
        with this module; ``batch_first=False`` keeps the same (the export transposes each
        input once). Not stated for ``add_bias_kv`` or ``add_zero_attn``."""
        if self.extra_keys:
            raise CostError(f"{self.type_name}: what it keeps for backward is not stated with "
                            f"add_bias_kv or add_zero_attn (PyTorch concatenates keys and "
                            f"values). Received: add_bias_kv={self.add_bias_kv}, "
                            f"add_zero_attn={self.add_zero_attn}")
        call = call or Call.of(input_shapes)
        order = [0, 2] if call.one_tensor(1, 2) else [0, 2, 1]  # Keras': query, value, key
        same = tuple(next(j for j, other in enumerate(order) if call.one_tensor(i, other))
                     for i in order)
        keras_call = Call(tuple(call.grads[i] for i in order), same)
        return super().saved_for_backward([input_shapes[i] for i in order], output_shapes,
                                          keras_call)

    # -- calling ------------------------------------------------------------------------------

    def __call__(self, query, key=None, value=None, key_padding_mask=None,
                 need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                 is_causal: bool = False):
        """``mha(query, key, value)``, or a list ``[query, key, value]`` (how model files
        record the call): the attention output only."""
        who = describe_layer(self.type_name, self.name)
        for arg, given in (("need_weights", need_weights),
                           ("average_attn_weights", average_attn_weights),
                           ("is_causal", is_causal)):
            flag(who, given, arg)
        if not need_weights:
            raise LayerArgumentError(
                f"{who}: need_weights=False is not modelled (the output is the attention "
                f"output either way; training memory counts PyTorch's need_weights=True "
                f"call). For the fused kernel's figure use sc.MultiHeadAttention(num_heads, "
                f"embed_dim // num_heads, need_weights=False). Received: need_weights=False")
        self._note_masks(key_padding_mask=key_padding_mask, attn_mask=attn_mask)
        tensors = list(query) if isinstance(query, (list, tuple)) and key is None and \
            value is None else [query, key, value]
        if len(tensors) != 3 or not all(isinstance(t, Tensor) for t in tensors):
            given = ", ".join(type(t).__name__ for t in tensors)
            raise LayerArgumentError(f"{who}: call it on tensors as mha(query, key, value) "
                                     f"(self-attention: mha(x, x, x)). Received: "
                                     f"{len(tensors)} argument(s) ({given})")
        return apply_layer(self, tensors).outputs[0]
