"""What the dot-product attention layers share: masked calls and their dropout argument.

Masks change which positions attend to which, never a shape, a count or a MAC; symcnn counts
a masked call and notes the masks in ``masked_call``, so the exports can refuse the layer
(their layer would attend to every position) and training memory can say it does not state
what the masks keep. ``return_attention_scores=True`` is refused: the scores would be a second
output of the call, which these layers do not model.

>>> import symcnn as sc
>>> q, v = sc.Input((5, 8)), sc.Input((7, 8))
>>> attend = sc.Attention()
>>> attend([q, v], use_causal_mask=True).shape, attend.masked_call
((5, 8), 'use_causal_mask=True')
"""

from __future__ import annotations

import re

from ..errors import LayerArgumentError, brief, describe_layer
from .base import Layer, Tensor

__all__ = ["MaskedCalls", "dropout_rate", "shown_masks", "refuse_scores", "MASKED_CALL",
           "TENSOR_STAND_IN"]


def dropout_rate(owner: str, value):
    """``value`` if it is a number in ``[0, 1)`` (the fraction of attention weights dropped
    in training), else a :class:`LayerArgumentError` naming ``owner``.

    >>> dropout_rate("Attention", 0.1)
    0.1
    >>> dropout_rate("Attention", 1.0)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Attention: `dropout` must be a number in [0, 1). Received: dropout=1.0
    """
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1
    if not ok:
        raise LayerArgumentError(f"{owner}: `dropout` must be a number in [0, 1). "
                                 f"Received: dropout={brief(value)}")
    return value


def _given(value) -> bool:
    """Whether a mask argument gives a mask (a list of masks gives one if any is not None)."""
    if isinstance(value, (list, tuple)):
        return any(_given(v) for v in value)
    return value is not None and value is not False


#: What a bridge gives for a mask tensor it does not model (``from_keras``).
TENSOR_STAND_IN = "<tensor>"
#: ``masked_call``'s text, as :func:`shown_masks` writes it and a model file keeps it.
MASKED_CALL = re.compile(r"\w+=(True|<tensor>)(, \w+=(True|<tensor>))*")


def _is_mask(value) -> bool:
    """Whether ``value`` can be a mask: a tensor (symcnn's, an array's, a bridge's
    stand-in), None, or a list of those (Attention's ``[query_mask, value_mask]``)."""
    if isinstance(value, (list, tuple)):
        return all(_is_mask(v) for v in value)
    return value is None or isinstance(value, Tensor) or value == TENSOR_STAND_IN or (
        not isinstance(value, (str, bytes, bool, int, float)) and hasattr(value, "shape"))


def shown_masks(**masks) -> list:
    """The masks a call gives, as ``masked_call`` names them: ``use_causal_mask=True`` as
    given, a tensor (or a bridge's stand-in for one) as ``<tensor>``.

    >>> shown_masks(mask=[None, None], use_causal_mask=True, value_mask="<tensor>")
    ['use_causal_mask=True', 'value_mask=<tensor>']
    """
    return [f"{key}={brief(value) if isinstance(value, bool) else TENSOR_STAND_IN}"
            for key, value in masks.items() if _given(value)]


def refuse_scores(layer: Layer, return_attention_scores) -> None:
    """A :class:`LayerArgumentError` for ``return_attention_scores=True`` (the scores would
    be a second output); one for anything but True or False too."""
    who = describe_layer(layer.type_name, layer.name)
    if not isinstance(return_attention_scores, bool):
        raise LayerArgumentError(f"{who}: `return_attention_scores` must be True or False. "
                                 f"Received: return_attention_scores="
                                 f"{brief(return_attention_scores)}")
    if return_attention_scores:
        raise LayerArgumentError(
            f"{who}: return_attention_scores=True is not supported (the scores would be a "
            f"second output of the call, which symcnn does not model; they change no other "
            f"shape or count). Received: return_attention_scores=True")


class MaskedCalls:
    """A mixin for layers whose calls may give masks: :attr:`masked_call` names them."""

    #: The masks a call gave (``"use_causal_mask=True"``), which symcnn does not record;
    #: None when no call gave one. A layer shared by a masked call is masked for every call.
    masked_call: str | None = None

    def _note_masks(self, use_causal_mask: bool = False, **masks) -> None:
        """Note the masks a call gives (:func:`shown_masks`); a value that cannot be a mask
        (text, a number) is a :class:`LayerArgumentError` naming the layer and argument.
        ``use_causal_mask`` must be True or False."""
        who = describe_layer(self.type_name, self.name)  # type: ignore[attr-defined]
        if not isinstance(use_causal_mask, bool):
            raise LayerArgumentError(f"{who}: `use_causal_mask` must be True or False. "
                                     f"Received: use_causal_mask={brief(use_causal_mask)}")
        for key, value in masks.items():
            if value is not False and not _is_mask(value):
                raise LayerArgumentError(f"{who}: `{key}` must be a mask tensor (or a list of "
                                         f"them, or None). Received: {key}={brief(value)}")
        self.note_masked_call(", ".join(shown_masks(**masks, use_causal_mask=use_causal_mask)))

    def _check_call(self, training, return_attention_scores) -> None:
        """A call's flags as Keras takes them: ``training`` True, False or None, and no
        ``return_attention_scores`` (:func:`refuse_scores`); else a
        :class:`LayerArgumentError` naming the layer."""
        if training is not None and not isinstance(training, bool):
            who = describe_layer(self.type_name, self.name)  # type: ignore[attr-defined]
            raise LayerArgumentError(f"{who}: `training` must be True, False or None. "
                                     f"Received: training={brief(training)}")
        refuse_scores(self, return_attention_scores)  # type: ignore[arg-type]

    def _call_tensors(self, query, value, key, call: str, aside: str = "") -> list:
        """The tensors of ``layer(query, value)``, ``layer(query, value, key)`` or a list
        ``[query, value(, key)]`` (how Keras configs record the call), ``[q, v, v]`` read as
        ``[q, v]``; a :class:`LayerArgumentError` naming the layer otherwise (``call`` is how
        its messages write the call, ``mha``; ``aside`` follows the missing-value one)."""
        who = describe_layer(self.type_name, self.name)  # type: ignore[attr-defined]
        if isinstance(query, (list, tuple)) and value is None and key is None:
            tensors = list(query)
        elif key is not None and value is None:  # Keras: "missing a required argument"
            raise LayerArgumentError(
                f"{who}: a `key` needs a `value`: call it as {call}(query, value, key){aside}. "
                f"Received: key={type(key).__name__}, value=None")
        else:
            tensors = [query] + ([value] if value is not None else []) + (
                [key] if key is not None else [])
        if len(tensors) == 3 and tensors[2] is tensors[1]:
            tensors = tensors[:2]  # (q, v, v) is (q, v), as Keras and PyTorch compute it
        if not 2 <= len(tensors) <= 3 or not all(isinstance(t, Tensor) for t in tensors):
            given = ", ".join(type(t).__name__ for t in tensors)
            raise LayerArgumentError(
                f"{who}: call it on tensors as {call}(query, value) or {call}(query, value, "
                f"key). Received: {len(tensors)} argument{'' if len(tensors) == 1 else 's'} "
                f"({given})")
        return tensors

    def note_masked_call(self, text: str) -> None:
        """Mark the layer as called with masks, ``text`` as :attr:`masked_call` names them
        (how a model file restores the mark); empty text marks nothing.

        >>> import symcnn as sc
        >>> layer = sc.Attention()
        >>> layer.note_masked_call("use_causal_mask=True")
        >>> layer.masked_call
        'use_causal_mask=True'
        """
        if text:  # kept by every call after (a layer shared by a masked call is masked)
            object.__setattr__(self, "masked_call", text)

    def subs(self, mapping: dict) -> "Layer":
        """The same layer with symbols replaced, still marked if a call was masked."""
        new = super().subs(mapping)  # type: ignore[misc]
        if new is not self and self.masked_call is not None:
            object.__setattr__(new, "masked_call", self.masked_call)
        return new
