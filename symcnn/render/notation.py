"""Notation presets: a derivation in the names a lecture already uses.

symcnn's own names follow Keras' arguments (``H_in``, ``K_h``, ``S_h``, ``P_h``, ``F``).
A preset renames the formula's symbols (and step keys) and keeps everything else, so the
working and the value are unchanged and a formula in one notation equals the others:

- ``"keras"``: symcnn's names (the default);
- ``"cs231n"``: Stanford CS231n, ``W_2 = (W_1 - F + 2P)/S + 1``: ``F`` the filter size,
  ``S`` the stride, ``P`` the padding, ``K`` the number of filters, ``D_1``/``D_2`` the input
  and output depth (the channels); per axis ``H_1``/``W_1`` in and ``H_2``/``W_2`` out, and a
  volume's third axis (``Conv3D``, ``MaxPooling3D``: symcnn's ``D_in``) ``T_1``/``T_2``, the
  ``T`` of the course's video lecture (clips ``C x T x H x W``), since CS231n's ``D`` is the
  channels; ``N_1``/``N_2`` the features in and out (``Dense``, ``Flatten``), ``D'`` a
  dilation (``D`` is the depth's letter, and an ``Embedding``'s width);
- ``"d2l"``: Dive into Deep Learning, ``floor((n_h - k_h + p_h + s_h)/s_h)``: ``n_h`` the
  input height, ``k_h`` the kernel, ``s_h`` the stride and ``p_h`` the *total* padding
  (both sides, so ``2*P_h`` becomes ``p_h`` and its value is doubled), ``c_i``/``c_o`` the
  channels;
- ``"dumoulin"``: Dumoulin & Visin's guide to convolution arithmetic, ``o = floor((i + 2p -
  k)/s) + 1`` with axis subscripts (``i_1``, ``k_1``, ``s_1``, ``p_1``, ``d_1``, ``o_1``);
  ``n_i``/``n_o`` the features in and out (``Dense``, ``Flatten``), which the guide does not
  name, apart from a ``Conv1D``'s ``i`` and ``o``.

A layer with one spatial axis (``Conv1D``, ``MaxPooling1D``: ``L_in``, ``K``, ``S``, ``P``,
``D``) is named as that axis alone: cs231n's ``W_1``, ``F``, ``S``, ``P``; d2l's width
(``n_w``, ``k_w``, ``s_w``, ``p_w``); Dumoulin & Visin's ``i``, ``k``, ``s``, ``p``, ``o``
without subscripts. Its dilation, a bare ``D`` in symcnn's names, reads ``D'`` in Keras' and
cs231n's: ``D`` is an ``Embedding``'s width (``V*D``) in every notation. The notes under a
derivation name its symbols as its formulas do (``C_in/G`` is ``D_1/G`` in cs231n,
``c_i/G`` in d2l).

No name stands for two things on one page. A symbol a preset leaves as symcnn names it,
whose name the preset gives to another symbol (or keeps for a window's: Keras' one-axis
stride ``S``), takes a prime: a slice's step ``S`` reads ``S'`` in Keras' names and
cs231n's, where a stride is ``S``; in cs231n a nested model's non-trainable terms ``N_1 +
N_2`` (its first and second layer's) read ``N'_1 + N'_2``, as ``N_1`` and ``N_2`` are a
``Dense`` layer's features in and out, and, as cs231n's subscripts 1 and 2 mean in and out,
its terms ``P_1 + P_2`` read ``P'_1 + P'_2`` beside the padding ``P``. A formula's symbol
named as one of the model's own symbols takes a prime too: on ``Input(("S", 3))`` (a length
``S``) a ``Conv1D``'s stride reads ``S'``. An ``Embedding``'s ``D_out`` is its
width: only a volume (a layer that names a height too) has a depth axis ``D_in``, ``D_out``
(cs231n's ``T_1``, ``T_2``). Layers name their letters apart: a sequence's time steps are
``T``, a ``Repeat``'s repetitions ``R`` (``params = R*P_block``) and the product of a
``Reshape``'s given sizes ``N_given`` (d2l's and Dumoulin & Visin's ``n_given``, beside
their ``n_i`` and ``n_o``).

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
from functools import lru_cache

import sympy

from ..derivation import primed
from ..derivation.steps import Derivation, Step
from ..errors import SymcnnError, brief
from ..working import Times
from .latex_long import NOTE_CODE

__all__ = ["NOTATIONS", "notate", "preset", "rename_table", "shown_names"]

_AXES = (("h", "H"), ("w", "W"), ("d", "D"))  # symcnn's axis subscript, input-size letter


def _cs231n() -> dict:
    out = {"F": "K", "C_in": "D_1", "C_out": "D_2", "N_in": "N_1", "N_out": "N_2", "U": "U"}
    for sub, big in _AXES:
        size = "T" if big == "D" else big  # D_1 is the depth (channels): a volume's T_1
        # the dilation D': D_1, D_2 are the depth in and out, D an Embedding's width
        out.update({f"{big}_in": f"{size}_1", f"{big}_out": f"{size}_2", f"K_{sub}": "F",
                    f"S_{sub}": "S", f"P_{sub}": "P", f"D_{sub}": "D'"})
    return out


def _d2l() -> dict:
    out = {"F": "c_o", "C_in": "c_i", "C_out": "c_o", "N_in": "n_i", "N_out": "n_o",
           "N_given": "n_given"}  # a Reshape's given sizes, as its n_i and n_o
    for sub, big in _AXES:
        out.update({f"{big}_in": f"n_{sub}", f"{big}_out": f"{sub}_o", f"K_{sub}": f"k_{sub}",
                    f"S_{sub}": f"s_{sub}", f"P_{sub}": f"p_{sub}", f"D_{sub}": f"d_{sub}"})
    return out


def _dumoulin() -> dict:
    # a Dense layer's features: n_i, n_o, not a one-axis window's i, o beside them
    out = {"C_in": "c_i", "C_out": "c_o", "N_in": "n_i", "N_out": "n_o", "N_given": "n_given"}
    for n, (sub, big) in enumerate(_AXES, 1):
        out.update({f"{big}_in": f"i_{n}", f"{big}_out": f"o_{n}", f"K_{sub}": f"k_{n}",
                    f"S_{sub}": f"s_{n}", f"P_{sub}": f"p_{n}", f"D_{sub}": f"d_{n}"})
    return out


#: Preset name -> (symbol renames, whether padding is the total of both sides).
NOTATIONS = {"keras": ({}, False), "cs231n": (_cs231n(), False), "d2l": (_d2l(), True),
             "dumoulin": (_dumoulin(), False)}

#: The renames of a layer with one spatial axis (its step ``L_out``), whose symbols have no
#: axis subscript (``K``, ``S``, ``P``, ``D``): only there, since other layers' ``D``
#: (Embedding's width) or ``S`` (a slice's step) are not a window's. A name kept as it is
#: (Keras' ``S``; cs231n's ``S``, ``P``) is the window's all the same: another layer's
#: symbol of that name is primed (a slice's step ``S'``). Keras' names keep ``K`` and ``P``
#: free: a layer of one's own may call its patch size ``P`` (docs/extending.md). The dilation is ``D'``
#: where it would be a bare ``D``, which is an ``Embedding``'s width (and, in cs231n, the
#: letter of the depth ``D_1``, ``D_2``).
_ONE_AXIS = {
    "keras": {"S": "S", "D": "D'"},
    "cs231n": {"L_in": "W_1", "L_out": "W_2", "K": "F", "S": "S", "P": "P", "D": "D'"},
    "d2l": {"L_in": "n_w", "L_out": "w_o", "K": "k_w", "S": "s_w", "P": "p_w", "D": "d_w"},
    "dumoulin": {"L_in": "i", "L_out": "o", "K": "k", "S": "s", "P": "p", "D": "d"},
}

#: Presets whose subscripts 1 and 2 mean in and out (cs231n's ``W_1``, ``W_2``): there a
#: numbered name reads as the bare letter's in or out, so a nested model's ``P_1 + P_2``
#: beside the padding ``P`` is primed (``P'_1 + P'_2``).
_NUMBERED_IN_OUT = frozenset({"cs231n"})

#: A volume's depth axis (``Conv3D``'s ``D_in``, ``D_out``), renamed only in a derivation
#: that names the volume's height too: an ``Embedding``'s ``D_out`` is its width, not a
#: third axis (never cs231n's ``T_2``).
_DEPTH_AXIS = ("D_in", "D_out")
_VOLUME = frozenset({"H_in", "H_out"})


def rename_table(notation: str, one_axis: bool = False) -> dict:
    """The symbol renames of a preset (symcnn name -> preset name); ``one_axis=True``: those
    of a layer with one spatial axis (``Conv1D``)."""
    names = dict(preset(notation)[0])
    return {**names, **_ONE_AXIS[notation]} if one_axis else names


def preset(notation: str):
    """The preset's ``(renames, total padding)``; an unknown one (or not a string) is
    refused, naming the presets."""
    if not isinstance(notation, str) or notation not in NOTATIONS:
        shown = brief(notation)
        raise SymcnnError(f"notation: unknown preset {shown}. Choose from: "
                          f"{', '.join(NOTATIONS)}. Received: notation={shown}")
    return NOTATIONS[notation]


@lru_cache(maxsize=None)
def _taken(notation: str) -> frozenset:
    """The names ``notation`` gives to symbols symcnn names otherwise (cs231n's ``N_1`` for
    ``N_in``, ``F`` for ``K_h``) or keeps for a window's (Keras' one-axis ``S``, ``P``): a
    symbol it leaves alone must not show one of them (a slice's step ``S`` reads ``S'``). A
    numbered name also takes its family (``N_#``): a nested model's ``N_1 + ... + N_4``
    is primed throughout, not only where it meets ``N_1`` and ``N_2``; in a preset whose
    subscripts 1 and 2 mean in and out, so does a bare letter (cs231n's padding ``P``
    takes ``P_#``: ``P'_1 + P'_2``). ``D`` is given to no window (the dilation is ``D'``)
    and stays an ``Embedding``'s width, in every notation."""
    table = rename_table(notation, one_axis=True)
    names = {new for old, new in table.items() if old != new}
    kept = {new for old, new in _ONE_AXIS[notation].items() if old == new}
    numbered = {n for n in names if n.partition("_")[2].isdigit()}
    if notation in _NUMBERED_IN_OUT:
        numbered |= {f"{n}_1" for n in names if re.fullmatch(r"[A-Za-z]", n)}
    return frozenset(names | kept | {n.partition("_")[0] + "_#" for n in numbered})


#: ``name`` with a prime, before its subscript: ``N'_2``, ``S'`` (the rule that a derivation
#: primes a formula's symbol named as one of the model's by: one rule for both)
_primed = primed


def _is_taken(name: str, taken: frozenset) -> bool:
    """Whether ``name`` (symcnn's, not renamed) is one a preset gives another symbol: in
    ``taken``, or numbered in a family there (``N_3`` with ``N_#``)."""
    head, _, sub = name.partition("_")
    return name in taken or (sub.isdigit() and f"{head}_#" in taken)


def _name(name: str, names: dict, taken: frozenset, used: dict) -> str:
    """The shown name of a symbol symcnn calls ``name``: the preset's, else its own, primed
    if the preset gives that name to another symbol (``used`` records the prime). A symbol
    that the derivation primed apart from a model's symbol of its name (``H'_in`` on
    ``Input(("H_in", ...))``) takes the preset's name of the unprimed one (cs231n's ``H_1``),
    itself primed if the model has that name too (:func:`_unlike`)."""
    if name in names:
        return names[name]
    if "'" in name and name.replace("'", "") in names:
        return names[name.replace("'", "")]
    if _is_taken(name, taken):
        used[name] = _primed(name)
        return used[name]
    return name


def _model_names(derivation: Derivation) -> frozenset:
    """The names of the model's own symbols (``D`` in ``Input(("D", "H", "W", 3))``) that
    ``derivation`` shows: in its shapes, its values and the values its symbols take."""
    found: set = set()

    def add(obj) -> None:
        if isinstance(obj, (tuple, list)):
            for item in obj:
                add(item)
        elif isinstance(obj, sympy.Basic):
            found.update(s.name for s in obj.free_symbols)

    add(derivation.input_shape)
    add(derivation.output_shape)
    for step in derivation.steps:
        add(step.value)
        add([v for _, v in step.bindings])
    return frozenset(found)


def _unlike(name: str, value, model: frozenset) -> bool:
    """Whether a formula symbol shown as ``name`` and taking ``value`` would read as another
    thing, the model's own symbol of that name: a dilation ``D`` beside a volume's depth
    ``D`` (not ``U`` bound to the model's ``U``, one thing)."""
    return name in model and getattr(value, "name", None) != name


def _step(step: Step, names: dict, total_padding: bool, used: dict,
          taken: frozenset = frozenset(), shown: set | None = None,
          model: frozenset = frozenset()) -> Step:
    """``step`` in the preset's ``names`` (in which :func:`_split` told apart symbols the
    preset names alike, ``F_h``, ``F_w`` for ``K_h``, ``K_w``); ``used`` gains each symbol's
    name that the preset gives to another symbol, or that a symbol of the ``model`` has
    (``N'_1``, ``D'``); ``shown`` (if given) gains the pairs ``(symcnn's name, shown name)``
    of the step's key and symbols."""
    shown = set() if shown is None else shown
    key = _name(step.key, names, taken, used)
    if _unlike(key, step.value, model):
        key = used[step.key] = _primed(key)
    shown.add((step.key, key))
    if step.formula is None:
        return Step(key, None, step.bindings, step.value)
    formula, bindings = step.formula, dict(step.bindings)
    origin = {}  # d2l's total padding T_P_h: symcnn's P_h
    if total_padding:  # 2*P_h (per side) is p_h (both sides), worth twice the per-side value
        for s in [s for s in bindings if s.name == "P" or s.name.startswith("P_")]:
            total = sympy.Symbol(f"T_{s.name}")
            formula = formula.xreplace({Times(2, s): total})
            if formula.has(s):  # P_h elsewhere (asymmetric forms): keep it per side
                continue
            bindings[total] = 2 * bindings.pop(s)
            names = {**names, total.name: names.get(s.name, s.name)}
            origin[total.name] = s.name
    table = {s: sympy.Symbol(_name(s.name, names, taken, used)) for s in formula.free_symbols}
    values = dict(bindings)
    for s, t in list(table.items()):
        if _unlike(t.name, values.get(s), model):
            table[s] = sympy.Symbol(_primed(t.name))
            used[origin.get(s.name, s.name)] = table[s].name
    shown.update((origin.get(s.name, s.name), t.name) for s, t in table.items())
    formula = formula.xreplace(table)
    bindings = tuple((table.get(s, s), v) for s, v in bindings.items())
    return Step(key, formula, bindings, step.value)


def notate(derivation: Derivation, notation: str = "keras") -> Derivation:
    """``derivation`` with its formulas written in ``notation`` (see the module)."""
    return _notate(derivation, notation, set())


def shown_names(derivation: Derivation, notation: str = "keras") -> set:
    """The pairs ``(symcnn's name, shown name)`` of the step keys and formula symbols of
    ``derivation`` in ``notation``, as :func:`notate` (and so every printer) shows them.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3)])
    >>> sorted(shown_names(m.layers[0].derivation, "cs231n"))[:4]
    [('C_in', 'D_1'), ('C_out', 'D_2'), ('F', 'K'), ('H_in', 'H_1')]
    """
    shown: set = set()
    _notate(derivation, notation, shown)
    return shown


def _notate(derivation: Derivation, notation: str, shown: set) -> Derivation:
    names, total = preset(notation)
    present = {n for step in derivation.steps for n in _names_of(step)}
    if any(step.key == "L_out" for step in derivation.steps):
        names = {**names, **_ONE_AXIS[notation]}
    elif "L_in" in present:  # a Flatten of (L, C)
        names = {**names, **{k: v for k, v in _ONE_AXIS[notation].items() if k == "L_in"}}
    if not present & _VOLUME:  # an Embedding's D_out: its width, not a volume's depth
        names = {k: v for k, v in names.items() if k not in _DEPTH_AXIS}
    model, taken = _model_names(derivation), _taken(notation)
    if not model & present and all(names.get(n, n) == n and not _is_taken(n, taken)
                                   for n in present):
        shown.update((n, n) for n in present)
        return derivation
    split = _split(derivation.steps, names)
    names = {**names, **split}
    used = dict(split)
    steps = tuple(_step(s, names, total, used, taken, shown, model)
                  for s in derivation.steps)
    notes = tuple(_note(note, {**names, **used}) for note in derivation.notes)
    return Derivation(derivation.name, derivation.type, derivation.input_shape,
                      derivation.output_shape, steps, notes, derivation.assumed)


def _split(steps, names: dict) -> dict:
    """Per-axis names for symbols a preset names alike but that differ in value anywhere in
    the layer (a 3x4 kernel: cs231n's ``F_h`` and ``F_w`` on the ``H_2`` and ``W_2`` lines
    too, as in the parameters, not an ``F`` worth 3 on one line and 4 on the next)."""
    values_of: dict = {}
    for step in steps:
        if step.formula is None:
            continue
        bound = dict(step.bindings)
        for s in step.formula.free_symbols:
            if s.name in names:
                values_of.setdefault(names[s.name], {})[s.name] = bound.get(s)
    return {source: f"{target}_{source.rsplit('_', 1)[-1]}"
            for target, sources in values_of.items() if len(set(sources.values())) > 1
            for source in sources}


def _names_of(step: Step) -> set:
    """The names of ``step``'s key and formula symbols, as symcnn gives them."""
    out = {step.key}
    if step.formula is not None:
        out.update(s.name for s in step.formula.free_symbols)
    return out


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
