"""Which steps a layer derives: the layer says so itself (``derivation_for``).

Kept for the names it has always offered: :class:`Builder` collects a layer's steps and
:func:`rule_for` gives the function that fills it, which is the layer's own
``derivation_for`` (:mod:`symcnn.layers.protocol`). No class is looked at here.

>>> import symcnn as sc
>>> layer = sc.Conv2D(8, 3)
>>> builder = Builder()
>>> formula, bindings = rule_for(layer)(builder, layer, [(32, 32, 3)], (30, 30, 8))
>>> print(formula), [s.key for s in builder.steps]
C_in*K_h*K_w*F + F
(None, ['H_out', 'W_out', 'C_out'])
"""

from __future__ import annotations

from .blocks import Builder

__all__ = ["Builder", "rule_for"]


def _ask_layer(builder, layer, input_shapes, output_shape):
    return layer.derivation_for(builder, input_shapes, output_shape)


def rule_for(layer):
    """The function ``rule(builder, layer, input_shapes, output_shape)`` that derives
    ``layer``: it asks the layer (every layer answers, if only with a note that it states no
    formula)."""
    return _ask_layer
