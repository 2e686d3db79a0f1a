"""``symcnn zoo``: list the ready-made models, or summarise one.

A model is named as in the list (``resnet50``, ``textbook.free_width``): every function of
:mod:`symcnn.zoo` (and of its submodules ``textbook`` and ``scaling``) that needs no argument.
Summarising one imports only its own module of the zoo (issue 16: ``symcnn zoo resnet50``
starts in little more than SymPy's import time); the list and a misspelt name import them all.

>>> entry = zoo_entry("resnet50")
>>> entry.__name__, zoo_entry("textbook.free_width").__name__, zoo_entry("make_divisible")
('resnet50', 'free_width', None)
"""

from __future__ import annotations

import inspect
import re
import textwrap

from .. import zoo
from ..errors import LayerArgumentError
from ..layers import Input
from .arguments import UsageError, columns, parse_assignments, parse_shape, substitute
from .report import check_columns, render, zoo_document

__all__ = ["zoo_entries", "zoo_entry", "arguments", "run_zoo", "build_model"]


def _offered(name: str, obj) -> bool:
    """Whether ``obj`` (``name`` in an ``__all__``) is a model function the zoo offers: a
    public function, not a class, that needs no argument."""
    if not callable(obj) or isinstance(obj, type) or name.startswith("_"):
        return False
    return not [p for p in inspect.signature(obj).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]


def zoo_entries() -> dict:
    """Every model the zoo offers, by CLI name (``resnet50``, ``textbook.free_width``)."""
    entries = {}

    def add(prefix, module):
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.ismodule(obj) and prefix == "":
                add(f"{name}.", obj)
            elif not inspect.ismodule(obj) and _offered(name, obj):
                entries[prefix + name] = obj

    add("", zoo)
    return entries


def zoo_entry(name: str):
    """The model function that :func:`zoo_entries` lists as ``name``, or None; it imports
    only the zoo module that defines it."""
    prefix, dot, attr = name.rpartition(".")
    module = zoo
    if dot:
        if prefix not in zoo.__all__ or not inspect.ismodule(getattr(zoo, prefix)):
            return None
        module = getattr(zoo, prefix)
    if attr not in getattr(module, "__all__", ()):
        return None
    obj = getattr(module, attr, None)
    return obj if not inspect.ismodule(obj) and _offered(attr, obj) else None


#: Characters of a line of ``symcnn zoo``'s list.
LIST_WIDTH = 110


def summary_line(doc: str) -> str:
    r"""The first sentence of a docstring's first paragraph (which may span lines), as plain
    text: no reStructuredText double backticks or roles.

    >>> summary_line("A ResNet of ``depth`` 18 or of any\nother depth. Blocks: ...")
    'A ResNet of depth 18 or of any other depth.'
    """
    paragraph = " ".join(line.strip() for line in doc.strip().split("\n\n")[0].splitlines())
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", paragraph, maxsplit=1)[0]
    first = re.sub(r":\w+:`~?(?:[\w]+\.)*(\w+)`", r"\1", first)  # :class:`~a.b.Repeat`
    return first.replace("``", "")


def _list(fmt: str, out) -> int:
    rows = [(n, summary_line(inspect.getdoc(f) or "")) for n, f in zoo_entries().items()]
    if fmt == "json":
        import json  # only here, as in report.render

        print(json.dumps(zoo_document(rows), indent=2), file=out)
        return 0
    width = max(len(n) for n, _ in rows)
    for name, doc in rows:  # a long description wraps under itself
        lines = textwrap.wrap(doc, max(40, LIST_WIDTH - width - 2)) or [""]
        print(f"{name.ljust(width)}  {lines[0]}", file=out)
        for line in lines[1:]:
            print(" " * (width + 2) + line, file=out)
    return 0


def arguments(build) -> list:
    """The names of the arguments the zoo function ``build`` takes: its own, and where it
    passes ``**kwargs`` on (``vit_b_16(input_shape=None, **kwargs)`` calls ``vit(...,
    **kwargs)``) the keyword-only ones of the function it calls, which its positional
    arguments do not fix.

    >>> arguments(zoo_entry("vit_b_16")), arguments(zoo_entry("resnet50"))[:2]
    (['input_shape', 'classes', 'include_top', 'name'], ['input_shape', 'classes'])
    """
    params = inspect.signature(build).parameters.values()
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        for callee in inspect.getclosurevars(build).globals.values():
            if inspect.isfunction(callee) and callee.__module__.startswith(zoo.__name__):
                names += [p.name for p in inspect.signature(callee).parameters.values()
                          if p.kind is p.KEYWORD_ONLY and p.name not in names]
    return names


def _as_given(value):
    """A bare name as text (``width=w`` is ``width="w"``), in a tuple too."""
    if isinstance(value, tuple):
        return tuple(map(_as_given, value))
    return value.name if getattr(value, "is_Symbol", False) else value


def run_zoo(args, out) -> int:
    if not args.name:
        return _list(args.format, out)
    build = zoo_entry(args.name)
    if build is None:
        import difflib

        close = difflib.get_close_matches(args.name, zoo_entries(), n=3)
        raise UsageError(f"the zoo has no model {args.name!r}"
                         f"{'; did you mean ' + ' or '.join(close) + '?' if close else ''} "
                         f"(`symcnn zoo` lists them)")
    # a bare name goes in as text, as in Python: the builder makes it a size symbol or a
    # multiplier; True/False (or true/false) are flags (include_top=False)
    options = {key: _as_given(value) for key, value in
               parse_assignments(args.arg, "--arg", tuples=True, flags=True).items()}
    given = dict.fromkeys(options, "--arg")
    if args.input:
        if "input_shape" in options:
            item = next(i for i in args.arg if i.partition("=")[0].strip() == "input_shape")
            raise UsageError(f"the input shape is given twice, by --input and by --arg "
                             f"input_shape; give one of them. Received: --input {args.input} "
                             f"--arg {item}")
        options["input_shape"] = parse_shape(args.input)
        given["input_shape"] = "--input"
    accepted = arguments(build)
    for key in options:
        if key not in accepted:
            raise UsageError(f"{args.name} has no argument {key!r}; it takes "
                             f"{', '.join(accepted) or 'none'}")
    names = check_columns(args.format, columns(args.columns))
    model = build_model(build, options, given)
    if not hasattr(model, "summary"):
        raise UsageError(f"{args.name} returns {type(model).__name__}, not one model")
    model = substitute(model, args.subs)
    print(render(model, args.format, names, args.notation), file=out)
    return 0


def build_model(build, options: dict, given: dict | None = None):
    """``build(**options)`` for the command line's ``--arg``/``--input``: an argument the
    zoo function refuses (``width=0``, ``alpha=-1``, an input shape that is not ``H,W,C``)
    is a usage error naming the option that gave it, as a malformed value is; a valid one
    that does not fit the model (an input too small for it) stays the model's error (exit
    code 1). ``given`` names the option of each argument (default: ``--input`` for
    ``input_shape``, ``--arg`` for the others).

    >>> build_model(zoo_entry("resnet18"), {"input_shape": (3, 64, 64)}, {"input_shape": "--arg"})
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --arg: resnet18: `input_shape` (3, 64, 64) looks channels first (3 channels): symcnn's zoo is channels last, as Keras, input_shape=(64, 64, 3); a PyTorch model is read channels first by sc.from_torch. For an image 3 pixels high give the height as a symbol and substitute it: resnet18(('h', 64, 64)).subs(h=3). Received: input_shape=(3, 64, 64)
    """
    given = {key: (given or {}).get(key, "--input" if key == "input_shape" else "--arg")
             for key in options}
    shape = options.get("input_shape")
    if isinstance(shape, tuple):  # its sizes first: InputLayer's message names no argument
        try:
            Input(shape)
        except LayerArgumentError as err:
            raise UsageError(f"{given['input_shape']}: {err}") from None
    try:
        return build(**options)
    except LayerArgumentError as err:
        raise UsageError(f"{_option_of(err, given)}: {err}") from None


def _option_of(err, given: dict) -> str:
    """The option that gave the argument ``err`` names (``resnet18: `width` must be ...``),
    else the one option that gave any, else ``--arg``."""
    named = re.match(r"[\w.]+: `(\w+)`", str(err))
    if named and named.group(1) in given:
        return given[named.group(1)]
    options = set(given.values())
    return options.pop() if len(options) == 1 else "--arg"
