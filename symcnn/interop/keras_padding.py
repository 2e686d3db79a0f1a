"""When Keras' ``padding="same"`` is exactly an explicit padding: :func:`same_is_exact`,
which :mod:`symcnn.interop.keras_export` asks before it writes a ``ZeroPadding`` layer.

>>> same_is_exact((7, 8), (3, 3), (1, 1), (1, 1), [(1, 1), (1, 1)], (7, 8))
True
"""

from __future__ import annotations

import sympy

from ..arith import Infeasible, ceil_div, decide_equal, require_at_least
from ..formulas import same_padding

__all__ = ["same_is_exact"]


def same_is_exact(sizes, kernel, strides, dilation, pairs, out, pool=None,
                  count_include_pad=True) -> bool:
    """Is Keras' ``padding="same"`` exactly the explicit ``(before, after)`` ``pairs``?

    Keras splits ``same`` padding as TensorFlow does (:func:`~symcnn.formulas.same_padding`:
    the total that makes ``ceiling(i/s)`` windows fit, the smaller half before). Explicit
    padding with ``out`` outputs per axis is the same when every axis has ``ceiling(i/s)``
    outputs and Keras' padding before: the windows then read the same input elements, and
    convolutions pad with zeros in both. With stride 1 that is Keras' split of ``k_eff - 1``
    (``(k_eff - 1)/2`` on both sides for an odd ``k_eff = d*(k - 1) + 1``) whatever the
    size; with a stride ``s > 1`` it depends on the size (``k=3, s=2, p=1``: odd sizes only;
    Keras puts the extra element after), so a symbolic size decides it only where it holds
    for every value. Max pooling (``pool="Max"``) ignores the padding in both. Average
    pooling (``pool="Average"``) must also divide by the same counts: Keras counts the
    elements inside the input, so with ``count_include_pad`` no window may reach the
    explicit padding; and where Keras' split is asymmetric on some axis, its torch backend
    pads every axis by repeating the edge, which averages the same only where each window
    reaching Keras' padding has one element inside along that axis
    (``AvgPool2d(2, ceil_mode=True)`` of an odd size).

    >>> same_is_exact((7, 8), (3, 3), (1, 1), (1, 1), [(1, 1), (1, 1)], (7, 8))
    True
    >>> [same_is_exact((i,), (3,), (2,), (1,), [(1, 1)], ((i + 1)//2,)) for i in (9, 8)]
    [True, False]
    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> same_is_exact((H,), (5,), (1,), (2,), [(4, 4)], (H,))
    True
    >>> same_is_exact((H,), (3,), (2,), (1,), [(1, 1)], (ceil_div(H, 2),))
    False
    """
    keras_pairs = [same_padding(i, k, s, d)
                   for i, k, s, d in zip(sizes, kernel, strides, dilation)]
    for i, s, (a, _), (left, _), o in zip(sizes, strides, pairs, keras_pairs, out):
        if decide_equal(a, left) is not True or decide_equal(o, ceil_div(i, s)) is not True:
            return False
    if pool != "Average":
        return True
    if count_include_pad and not all(
            a == 0 and (c == 0 or _never_negative(i - (o - 1) * s - k))
            for i, k, s, (a, c), o in zip(sizes, kernel, strides, pairs, out)):
        return False
    if all(decide_equal(left, right) is True for left, right in keras_pairs):
        return True
    return all(_one_inside_where_padded(i, k, s, left, o)
               for i, k, s, (left, _), o in zip(sizes, kernel, strides, keras_pairs, out))


def _one_inside_where_padded(size, kernel, stride, before, out) -> bool:
    """Does every window that reaches the padding have one input element along this axis?"""
    if not all(sympy.sympify(v).is_Integer for v in (size, kernel, stride, before, out)):
        return False
    size, kernel, stride, before, out = map(int, (size, kernel, stride, before, out))
    for j in range(out):
        start = j * stride - before
        end = start + kernel
        if (start < 0 or end > size) and min(end, size) - max(start, 0) != 1:
            return False
    return True


def _never_negative(expr) -> bool:
    try:
        return require_at_least(expr, 0) is None
    except Infeasible:
        return False
