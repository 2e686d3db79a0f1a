"""How a Keras config records layer calls: the ``[name, node, tensor]`` references of a
call's inputs (Keras 3's ``{"args": ..., "kwargs": ...}`` nodes and Keras 2's lists) and of a
model's inputs and outputs.

>>> _refs([["conv", 0, 0], ["pool", 1, 0]])
[('conv', 0, 0), ('pool', 1, 0)]
>>> _node_refs([["conv", 0, 0]])
([('conv', 0, 0)], False)
>>> tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}
>>> _node_refs({"args": [], "kwargs": {"inputs": [tensor]}})  # Concatenate()(inputs=[x])
([('x', 0, 0)], True)
"""

from __future__ import annotations

from ..errors import ConversionError, brief


def _ref(name, node, tensor) -> tuple:
    """``(name, node, tensor)`` with both indices checked: JSON integers, as Keras writes
    them (Keras indexes lists with them, so it refuses ``0.5``, ``"0"`` or ``Infinity``);
    a :class:`~symcnn.errors.ConversionError` naming the reference otherwise.

    >>> _ref("conv", 0, 1)
    ('conv', 0, 1)
    >>> _ref("conv", 0.9, 0)
    Traceback (most recent call last):
    ...
    symcnn.errors.ConversionError: from_keras: the reference to layer 'conv' has node index 0.9; a node and a tensor index are non-negative integers. Received: keras_history=['conv', 0.9, 0]
    """
    for what, value in (("node", node), ("tensor", tensor)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConversionError(
                f"from_keras: the reference to layer {brief(name)} has {what} index "
                f"{brief(value)}; a node and a tensor index are non-negative integers. "
                f"Received: keras_history={brief([name, node, tensor])}")
    return name, node, tensor


def _refs(value) -> list:
    """``[name, node, tensor]`` or a list of them (or a dict of them) as a list of triples."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [_ref(*value[:3])] if len(value) >= 3 else [_ref(value[0], None, None)]
    return [r for v in value for r in _refs(v)]


def _node_refs(node) -> tuple:
    """The tensors a layer call reads, and whether the layer gets them as a list."""
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        args = node.get("args") or []
        refs: list = []
        _collect(args, refs)
        kwargs = node.get("kwargs") or {}
        for key in _TENSOR_KWARGS:  # Dense(3)(inputs=x); mha(query=..., value=..., key=...)
            _collect(kwargs.get(key), refs)
        listed = args[0] if args else kwargs.get("inputs")
        many = len(refs) > 1 or isinstance(listed, (list, tuple))
        return refs, many
    refs = [_ref(*entry[:3]) for entry in node]  # Keras 2
    return refs, len(refs) > 1


#: Keyword arguments of a layer call that are inputs (``inputs=``, as in
#: ``Dense(3)(inputs=x)`` or ``Add()(inputs=[a, b])``, and MultiHeadAttention's), in call
#: order; masks and initial states are not (they change no shape or count).
_TENSOR_KWARGS = ("inputs", "query", "value", "key")
#: The attention layers' masks, which change values only (:func:`call_masks`):
#: MultiHeadAttention's and GroupQueryAttention's by name, Attention's and
#: AdditiveAttention's as one list ``mask=[query_mask, value_mask]``.
_MASK_KWARGS = ("attention_mask", "query_mask", "value_mask", "key_mask", "use_causal_mask",
                "mask")


def call_masks(node) -> dict:
    """The masks a Keras 3 call gave an attention layer (``use_causal_mask=True``, an
    ``attention_mask`` tensor or Attention's ``mask`` list, shown as ``"<tensor>"``), for
    the symcnn call to note.

    >>> call_masks({"args": [], "kwargs": {"use_causal_mask": True, "attention_mask": None}})
    {'use_causal_mask': True}
    >>> tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": ["m", 0, 0]}}
    >>> call_masks({"args": [], "kwargs": {"mask": [tensor, None]}})
    {'mask': '<tensor>'}
    """
    if not isinstance(node, dict):
        return {}
    kwargs = node.get("kwargs") or {}
    out = {}
    for key in _MASK_KWARGS:
        value = kwargs.get(key)
        if value is None or value is False:
            continue
        refs: list = []
        _collect(value, refs)
        out[key] = "<tensor>" if refs else value
    return out


def _collect(value, out: list) -> None:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            name, node, index = value["config"]["keras_history"]
            out.append(_ref(name, node, index))
            return
        for v in value.values():
            _collect(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, out)

