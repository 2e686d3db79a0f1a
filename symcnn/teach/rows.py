"""Which layer of the model each row of a student's table is about (:func:`resolve`).

A row's layer is an int (a position), None (the layer after the previous row's) or text: the
layer of that name, or of that name but for case when exactly one layer has it
(``conv2D_1`` is ``conv2d_1``); text that names no layer is a position when it is one
(``3``, ``#3``), a name Keras cut short (``conv3_block1_1_con…``) otherwise. So a name comes
first: for a PyTorch model, whose layers are named ``0``, ``1``, ``0.0``, the text ``1`` is
the layer named ``1``. A row about no layer of the model is kept with the reason (it is
marked ``unknown_layer``, and the rest of the table is marked). A torchinfo printout's rows
(``├─Conv2d: 1-1``) are its leaf modules in order, by type; its top row (the module that
holds them all, ``Sequential``) is skipped.

>>> import symcnn as sc
>>> from symcnn.teach.claims import parse_claims
>>> model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.Conv2D(4, 3)])
>>> rows = resolve(model, parse_claims([{"layer": "Conv2D_1"}, {"layer": "conv9"}]))
>>> [(r.name if r else None, problem) for r, _, problem in rows]  # doctest: +NORMALIZE_WHITESPACE
[('conv2d_1', None),
 (None, "model 'sequential' has no layer named 'conv9'. Did you mean 'conv2d'?")]
"""

from __future__ import annotations

import re

from ..errors import brief, shorten
from ..suggest import did_you_mean

__all__ = ["resolve", "TORCHINFO_ROW"]

#: A row of a torchinfo printout: its tree (``├─``, ``│    └─``), the module's type, and
#: its depth and index (``: 1-1``) or nothing (``row_settings=("var_names",)`` gives the
#: name in brackets, which the claim's layer key has left out).
TORCHINFO_ROW = re.compile(r"(?P<tree>[│|\s]*[├└]─)(?P<type>[A-Za-z_]\w*)(?::\s*\d+-\d+)?")


def _is_cut(key) -> bool:
    return isinstance(key, str) and key.split(" (")[0].endswith(("\u2026", "..."))


def _cut_name(records, key: str, last: int) -> int | None:
    """The layer a name that Keras' summary cut (``conv3_block1_1_con… (Conv2D)``) stands
    for: the first after the previous row whose name starts so and whose type is the one
    given (or starts so, when Keras cut the type too); None when no layer fits."""
    name, _, kind = key.partition(" (")
    prefix, kind = name.rstrip(".\u2026"), kind.rstrip(")").strip()
    kind_cut = kind.endswith(("\u2026", "..."))
    kind = kind.rstrip(".\u2026")
    fits = [i for i, r in enumerate(records) if r.name.startswith(prefix) and (
        r.type.startswith(kind) if kind_cut else not kind or r.type == kind)]
    if not fits:
        return None
    return next((i for i in fits if i > last), fits[0])


def _torchinfo(claims: list) -> list | None:
    """For a torchinfo printout, each row's ``(type, depth, has_children)`` (None for its
    top row); None when the table is not one."""
    keys = [c.layer if isinstance(c.layer, str) else "" for c in claims]
    found = [TORCHINFO_ROW.fullmatch(k) for k in keys]
    if not any(found):
        return None
    depth = [len(m["tree"]) if m else 0 for m in found]
    out = []
    for i, m in enumerate(found):
        deeper = i + 1 < len(found) and depth[i + 1] > depth[i]
        out.append((m["type"], depth[i], deeper) if m else None)
    return out


def resolve(model, claims: list) -> list:
    """``[(record, claim, problem), ...]``: each claim with the layer record it is about, or
    with None and the reason it is about no layer of ``model``; an input's row (a
    functional model's summary lists it) and a torchinfo printout's containers are left
    out."""
    records = model._records  # real layers (a functional model lists its inputs too)
    inputs = set(model._input_names)
    names = [r.name for r in records]
    known = set(names)
    folded: dict = {}
    for i, name in enumerate(names):
        folded.setdefault(name.casefold(), []).append(i)
    tree = _torchinfo(claims)
    top = next((i for i, t in enumerate(tree) if t is not None), 0) - 1 if tree else None
    types = {r.type.casefold() for r in records}
    out, last = [], -1
    for n, claim in enumerate(claims):
        key, index, problem = claim.layer, None, None
        shown = shorten(brief(key), 62)
        if isinstance(key, str) and key in inputs and key not in known:
            continue  # an input's row: nothing to mark
        if tree is not None and isinstance(key, str) and key not in known and (
                n == top or tree[n] is not None):
            if n == top:
                continue  # torchinfo's top row: the module that holds every layer
            kind, _, children = tree[n]
            if kind.casefold() not in types and children:
                continue  # a container (a nested Sequential): its layers have rows
            index = next((i for i, r in enumerate(records) if i > last and
                          r.type.casefold() == kind.casefold()), None)
            if index is None:
                problem = (f"model {model.display_name!r} has no layer of type {kind} "
                           f"after the previous row's. Received: layer={shown}")
        elif key is None:
            index = last + 1
        elif isinstance(key, int):
            index = key
        elif key in known:
            index = names.index(key)
        elif len(folded.get(key.casefold(), ())) == 1:
            index = folded[key.casefold()][0]  # conv2D_1 for conv2d_1: one layer fits
        elif re.fullmatch(r"#?\d+", key):
            index = int(key.lstrip("#"))
        elif _is_cut(key):
            index = _cut_name(records, key, last)
            if index is None:
                name, _, kind = key.partition(" (")
                kind = kind.rstrip(")").strip()
                problem = (f"model {model.display_name!r} has no layer whose name starts "
                           f"with {shorten(name.rstrip('.…'), 60)!r}"
                           f"{f' of type {shorten(kind, 40)}' if kind else ''}. "
                           f"Received: layer={shown}")
        else:
            problem = (f"model {model.display_name!r} has no layer named {shown}."
                       f"{did_you_mean(key, names)}")
        if problem is None and not 0 <= index < len(records):
            problem = (f"model {model.display_name!r} has {len(records)} layers (indices 0 "
                       f"to {len(records) - 1}). Received: layer={shown}")
        if problem is not None:
            out.append((None, claim, problem))
            continue
        out.append((records[index], claim, None))
        last = index
    return out
