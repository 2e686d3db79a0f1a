"""Notation presets: a derivation in the names a lecture already uses.

symcnn's own names follow Keras' arguments (``H_in``, ``K_h``, ``S_h``, ``P_h``, ``F``).
A preset renames the formula's symbols (and step keys) and keeps everything else, so the
working and the value are unchanged and a formula in one notation equals the others:

- ``"keras"``: symcnn's names (the default);
- ``"cs231n"``: Stanford CS231n, ``W_2 = (W_1 - F + 2P)/S + 1``: ``F`` the filter size,
  ``S`` the stride, ``P`` the padding, ``K`` the number of filters, ``D_1`` the input depth;
  per axis ``H_1``/``W_1`` in and ``H_2``/``W_2`` out;
- ``"d2l"``: Dive into Deep Learning, ``floor((n_h - k_h + p_h + s_h)/s_h)``: ``n_h`` the
  input height, ``k_h`` the kernel, ``s_h`` the stride and ``p_h`` the *total* padding
  (both sides, so ``2*P_h`` becomes ``p_h`` and its value is doubled), ``c_i``/``c_o`` the
  channels;
- ``"dumoulin"``: Dumoulin & Visin's guide to convolution arithmetic, ``o = floor((i + 2p -
  k)/s) + 1`` with axis subscripts (``i_1``, ``k_1``, ``s_1``, ``p_1``, ``d_1``, ``o_1``).

A layer with one spatial axis (``Conv1D``, ``MaxPooling1D``: ``L_in``, ``K``, ``S``, ``P``,
``D``) is named as that axis alone: cs231n's ``W_1``, ``F``, ``S``, ``P``; d2l's width
(``n_w``, ``k_w``, ``s_w``, ``p_w``); Dumoulin & Visin's ``i``, ``k``, ``s``, ``p``, ``o``
without subscripts. The notes under a derivation name its symbols as its formulas do
(``C_in/G`` is ``D_1/G`` in cs231n, ``c_i/G`` in d2l).

>>> import symcnn as sc, sympy
>>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3, strides=2, padding=1)])
>>> step = notate(m.layers[0].derivation, "d2l")["h_o"]
>>> print(sympy.sstr(step.formula)), step.working.doit()
floor((n_h + p_h - k_h)/s_h) + 1
(None, 16)
>>> print(sympy.sstr(notate(m.layers[0].derivation, "cs231n")["H_2"].formula))
floor((H_1 + 2*P - F)/S) + 1
"""

from __future__ import annotations

import re

import sympy

from ..derivation.steps import Derivation, Step
from ..errors import SymcnnError
from ..working import Times
from .latex_long import NOTE_CODE

__all__ = ["NOTATIONS", "notate", "rename_table"]

_AXES = (("h", "H"), ("w", "W"), ("d", "D"))  # symcnn's axis subscript, input-size letter


def _cs231n() -> dict:
    out = {"F": "K", "C_in": "D_1", "C_out": "D_2", "N_in": "N_1", "N_out": "N_2", "U": "U"}
    for sub, big in _AXES:
        out.update({f"{big}_in": f"{big}_1", f"{big}_out": f"{big}_2", f"K_{sub}": "F",
                    f"S_{sub}": "S", f"P_{sub}": "P", f"D_{sub}": "D"})
    return out


def _d2l() -> dict:
    out = {"F": "c_o", "C_in": "c_i", "C_out": "c_o", "N_in": "n_i", "N_out": "n_o"}
    for sub, big in _AXES:
        out.update({f"{big}_in": f"n_{sub}", f"{big}_out": f"{sub}_o", f"K_{sub}": f"k_{sub}",
                    f"S_{sub}": f"s_{sub}", f"P_{sub}": f"p_{sub}", f"D_{sub}": f"d_{sub}"})
    return out


def _dumoulin() -> dict:
    out = {"C_in": "c_i", "C_out": "c_o", "N_in": "i", "N_out": "o"}
    for n, (sub, big) in enumerate(_AXES, 1):
        out.update({f"{big}_in": f"i_{n}", f"{big}_out": f"o_{n}", f"K_{sub}": f"k_{n}",
                    f"S_{sub}": f"s_{n}", f"P_{sub}": f"p_{n}", f"D_{sub}": f"d_{n}"})
    return out


#: Preset name -> (symbol renames, whether padding is the total of both sides).
NOTATIONS = {"keras": ({}, False), "cs231n": (_cs231n(), False), "d2l": (_d2l(), True),
             "dumoulin": (_dumoulin(), False)}

#: The renames of a layer with one spatial axis (its step ``L_out``), whose symbols have no
#: axis subscript (``K``, ``S``, ``P``, ``D``): only there, since other layers' ``D``
#: (Embedding's width) or ``S`` (a slice's step) are not a window's.
_ONE_AXIS = {
    "keras": {},
    "cs231n": {"L_in": "W_1", "L_out": "W_2", "K": "F", "S": "S", "P": "P", "D": "D"},
    "d2l": {"L_in": "n_w", "L_out": "w_o", "K": "k_w", "S": "s_w", "P": "p_w", "D": "d_w"},
    "dumoulin": {"L_in": "i", "L_out": "o", "K": "k", "S": "s", "P": "p", "D": "d"},
}


def rename_table(notation: str, one_axis: bool = False) -> dict:
    """The symbol renames of a preset (symcnn name -> preset name); ``one_axis=True``: those
    of a layer with one spatial axis (``Conv1D``)."""
    names = dict(_preset(notation)[0])
    return {**names, **_ONE_AXIS[notation]} if one_axis else names


def _preset(notation: str):
    if notation not in NOTATIONS:
        raise SymcnnError(f"notation: unknown preset {notation!r}. Choose from: "
                          f"{', '.join(NOTATIONS)}. Received: notation={notation!r}")
    return NOTATIONS[notation]


def _step(step: Step, names: dict, total_padding: bool, used: dict) -> Step:
    """``step`` in the preset's ``names``; ``used`` gains each symbol's name that had to
    tell apart symbols the preset names alike (``F_h``, ``F_w`` for ``K_h``, ``K_w``)."""
    key = names.get(step.key, step.key)
    if step.formula is None:
        return Step(key, None, step.bindings, step.value)
    formula, bindings = step.formula, dict(step.bindings)
    if total_padding:  # 2*P_h (per side) is p_h (both sides), worth twice the per-side value
        for s in [s for s in bindings if s.name == "P" or s.name.startswith("P_")]:
            total = sympy.Symbol(f"T_{s.name}")
            formula = formula.xreplace({Times(2, s): total})
            if formula.has(s):  # P_h elsewhere (asymmetric forms): keep it per side
                continue
            bindings[total] = 2 * bindings.pop(s)
            names = {**names, total.name: names.get(s.name, s.name)}
    table = {s: sympy.Symbol(names[s.name]) for s in formula.free_symbols if s.name in names}
    values = dict(bindings)
    for target in {t for t in table.values()}:  # F for K_h and K_w: only if they agree
        sources = [s for s, t in table.items() if t == target]
        if len({values.get(s) for s in sources}) > 1:
            for s in sources:
                table[s] = sympy.Symbol(f"{target.name}_{s.name.rsplit('_', 1)[-1]}")
                used[s.name] = table[s].name
    formula = formula.xreplace(table)
    bindings = tuple((table.get(s, s), v) for s, v in bindings.items())
    return Step(key, formula, bindings, step.value)


def notate(derivation: Derivation, notation: str = "keras") -> Derivation:
    """``derivation`` with its formulas written in ``notation`` (see the module)."""
    names, total = _preset(notation)
    if not names:
        return derivation
    if any(step.key == "L_out" for step in derivation.steps):
        names = {**names, **_ONE_AXIS[notation]}
    used = {}
    steps = tuple(_step(s, names, total, used) for s in derivation.steps)
    notes = tuple(_note(note, {**names, **used}) for note in derivation.notes)
    return Derivation(derivation.name, derivation.type, derivation.input_shape,
                      derivation.output_shape, steps, notes, derivation.assumed)


def _note(note: str, names: dict) -> str:
    """A note with the formula symbols it names (``C_in/G``, ``C_in*K_h*K_w*M``) written in
    the preset's names, each a whole word (``F`` in ``C_in*M*F``, never in ``Flatten``), code
    (``padding='same'``, a layer's name in backticks) as written.

    >>> _note("each filter sees C_in/G of the input channels", _cs231n())
    'each filter sees D_1/G of the input channels'
    >>> _note("`F`, a Conv2D (P_1): C_in*M*F", _cs231n())
    '`F`, a Conv2D (P_1): D_1*M*K'
    """
    words = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    pattern = re.compile(NOTE_CODE + r"|(?<![\w'])(?P<word>" + words + r")(?![\w'])")
    return pattern.sub(lambda m: names[m.group("word")] if m.group("word") else m.group(), note)
