"""The symbols of a model: found once, and no two different ones of one name.

SymPy keeps apart symbols that share a name but not their assumptions (``sc.symbols("H")``
and ``sympy.Symbol("H", integer=True)``, ``sc.multiplier("a")`` and ``sc.symbols("a")``, an
unknown input size ``T_1`` and a user's ``T_1``): a model holding both would print
``H*H``, record ``Eq(H, H)`` and substitute one ``H`` of the two. :func:`clash_error` says
so when the model is built, naming both symbols and where each first appears.

>>> import sympy, symcnn as sc
>>> m = sc.Sequential([sc.Input((sympy.Symbol("H", integer=True), 8)), sc.Dense(sc.symbols("H"))])
Traceback (most recent call last):
...
symcnn.errors.SymbolError: Model 'sequential': two different symbols are both named 'H': a symbol with integer=True in the input, and a positive integer (as sc.symbols makes) in Dense layer 'dense' (#0). SymPy keeps them apart, so formulas would hold both and substituting H would set only one; use one symbol for both, or give them different names. Received: Symbol('H', integer=True) and Symbol('H', integer=True, positive=True)
"""

from __future__ import annotations

import sympy

from .errors import SymbolError, describe_layer
from .layers.core import InputLayer
from .symbols import UnknownSize, describe_symbol, symbol_clash

__all__ = ["node_exprs", "free_symbols", "clash_error", "reachable"]


def node_exprs(nodes, out: set) -> set:
    """Add to ``out`` the expressions of ``nodes``: their output shapes, their parameters
    and their layers' arguments (sizes, counts; not a nested model's, nor an input's
    ``batch_size``, which names the batch, not a size)."""
    basic, sequence = sympy.Basic, (tuple, list)
    found = []  # numbers skipped before hashing: most sizes and counts are numbers
    for node in nodes:
        for t in node.outputs:
            found.extend(t.shape)
        found.append(node.computed.params)
        config = node.layer._config
        stack = [v for k, v in config.items() if k != "batch_size"] if "batch_size" in \
            config else list(config.values())
        while stack:
            item = stack.pop()
            if isinstance(item, basic):
                found.append(item)
            elif isinstance(item, sequence):
                stack.extend(item)
    out.update(e for e in found if not e.is_Number)
    return out


def _symbols_of(exprs) -> set:
    out: set = set()
    for e in exprs:
        out |= e.free_symbols
    return out


def free_symbols(nodes, constraints) -> frozenset:
    """Every symbol of ``nodes`` (:func:`node_exprs`) and ``constraints``, each distinct
    expression walked once (a ResNet-50 repeats a dozen shapes over 175 nodes)."""
    return frozenset(_symbols_of(node_exprs(nodes, set(constraints))))


def reachable(outputs) -> list:
    """The nodes ``outputs`` depend on, in the order they were made."""
    nodes, stack = {}, [t.node for t in outputs]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(t.node for t in node.inputs)
    return sorted(nodes.values(), key=lambda n: n.order)


def clash_error(owner: str, nodes, constraints, records=()) -> SymbolError | None:
    """The error for two different symbols of one name in ``nodes`` (in order) or
    ``constraints``, naming each and where it first appears (by its record among
    ``records`` when given), or None when there are none."""
    names = {id(r.layer): r for r in records}

    def where(node) -> str:
        record = names.get(id(node.layer))
        if isinstance(node.layer, InputLayer):
            label = record.name if record else node.layer.name
            return f"input {label!r}" if label else "the input"
        return describe_layer(node.layer.type_name, *(
            (record.name, record.index) if record else (node.layer.name, None)))

    groups = [(where(n), _symbols_of(node_exprs([n], set()))) for n in nodes]
    groups.append(("the constraints", _symbols_of(constraints)))
    found = symbol_clash(groups)
    if found is None:
        return None
    first, at_first, second, at_second = found
    unknown = " (None in an Input shape is a size of its own; for the same size pass the " \
        "symbol itself, x.shape[0])" if UnknownSize in (type(first), type(second)) else ""
    return SymbolError(
        f"{owner}: two different symbols are both named {first.name!r}: "
        f"{describe_symbol(first)} in {at_first}, and {describe_symbol(second)} in "
        f"{at_second}. SymPy keeps them apart, so formulas would hold both and substituting "
        f"{first.name} would set only one; use one symbol for both, or give them different "
        f"names{unknown}. Received: {sympy.srepr(first)} and {sympy.srepr(second)}")
