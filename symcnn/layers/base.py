"""The layer base class, the constraint checker and symbolic tensors.

A layer is a small immutable object holding its (validated, coerced) arguments. Applying it
to input shapes is a pure computation, :meth:`Layer.compute`, that returns output shapes and
parameter counts and records, through a :class:`Checker`, the conditions the symbols must
meet. Calling a layer on a :class:`Tensor` (the Keras functional style) does that and wraps
the result in a :class:`Node`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Sequence

import sympy

from .. import arith
from ..derivation.blocks import value_of
from ..errors import (LayerArgumentError, ShapeError, SymcnnError, brief, describe_layer,
                      shorten, with_context)
from ..render.exprs import show
from ..safe import bounded_subs, check_sizes
from ..structural import expanded
from ..suggest import check_activation, did_you_mean
from ..symbols import as_size, as_size_tuple
from .formula_values import integer_value
from .protocol import LayerProtocol

__all__ = ["Layer", "Graph", "Checker", "Computed", "Tensor", "Node", "Shape", "format_shape",
           "snake_case", "subs_own", "called_on"]

Shape = tuple  # tuple of sympy.Expr, without the batch axis

#: Keras arguments that change neither shapes nor parameter counts; accepted and kept.
_INERT_ARGS = {
    "dtype", "momentum", "epsilon", "noise_shape", "seed", "synchronized", "autocast",
    "input_dim", "lora_alpha", "interpolation", "fill_mode",
    "negative_slope", "max_value", "threshold", "alpha", "mask_value",
}
_INERT_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def real_number(value) -> bool:
    """A real number: not a bool, a string (Keras compares it and fails) or NaN (every
    output would be NaN)."""
    return isinstance(value, (int, float, sympy.Number)) and not isinstance(value, bool) \
        and value == value and value not in (sympy.nan, sympy.zoo)


def _at_least_zero(value) -> bool:
    return real_number(value) and value >= 0


#: What each inert argument must be, though it changes no count: a wrong type is a mistake
#: (``momentum="x"``), refused as Keras refuses it, never kept silently.
_INERT_KINDS = {
    **{k: ("a number", real_number) for k in ("momentum", "epsilon", "threshold", "alpha",
                                          "mask_value", "negative_slope")},
    **{k: ("a number or None", lambda v: v is None or real_number(v))
       for k in ("max_value", "lora_alpha")},
    **{k: ("True or False", lambda v: isinstance(v, bool))
       for k in ("synchronized", "autocast")},
    **{k: ("a name such as 'bilinear'", lambda v: isinstance(v, str))
       for k in ("interpolation", "fill_mode")},
    "seed": ("an int or None", lambda v: v is None or isinstance(v, int) and
             not isinstance(v, bool)),
    "input_dim": ("an int or None", lambda v: v is None or isinstance(v, int) and
                  not isinstance(v, bool)),
    "noise_shape": ("a tuple of sizes or None", lambda v: v is None or
                    isinstance(v, (tuple, list))),
    "dtype": ("a dtype name such as 'float32', a dtype or None", lambda v: v is None or
              isinstance(v, (str, dict)) or hasattr(v, "itemsize") or hasattr(v, "name")),
    # a negative epsilon makes the variance term negative: NaN (Keras and PyTorch take it)
    "epsilon": ("a non-negative number", _at_least_zero),
}


#: The inert arguments some layers take by name (``ReLU(threshold=...)``) rather than
#: through ``**kwargs``: checked by ``_set`` too.
_NUMBER_ARGS = frozenset({"threshold", "alpha", "negative_slope", "max_value", "epsilon"})


def snake_case(name: str) -> str:
    """Keras' automatic layer names: ``Conv2D`` -> ``conv2d``, ``ReLU`` -> ``re_lu``.

    >>> snake_case("BatchNormalization"), snake_case("Conv2DTranspose"), snake_case("ReLU")
    ('batch_normalization', 'conv2d_transpose', 're_lu')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def format_shape(shape) -> str:
    """``(H - 2, W - 2, 64)``; a one-element shape keeps its comma: ``(160,)``.

    >>> import symcnn as sc
    >>> H, W = sc.symbols("H W")
    >>> sc.format_shape((H - 2, W - 2, 64)), sc.format_shape((160,))
    ('(H - 2, W - 2, 64)', '(160,)')
    >>> sc.format_shape([(H, W, 3), (10,)])
    '[(H, W, 3), (10,)]'
    """
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    parts = [show(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


class Checker:
    """Collects the conditions a layer puts on the symbols while it is computed.

    Each method decides its condition when it can: true conditions vanish, false ones raise
    :class:`~symcnn.errors.ShapeError` with the given message, and undecided ones are kept
    as readable relations in :attr:`constraints`. A ``message`` may be a string or a
    zero-argument callable returning one, so that costly formatting happens only on failure.

    >>> import symcnn as sc
    >>> from symcnn.layers import Checker
    >>> H = sc.symbols("H")
    >>> check = Checker()
    >>> check.at_least(H - 4, 1, "the input is too small")
    >>> check.at_least(H + 1, 1, "never refused")
    >>> check.constraints
    [H >= 5]
    >>> check.at_least(2, 3, "the input is too small")
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: the input is too small
    """

    def __init__(self) -> None:
        self.constraints: list = []

    def at_least(self, expr, bound, message: str) -> None:
        """Require ``expr >= bound``."""
        try:
            relation = arith.require_at_least(expr, bound)
        except arith.Infeasible:
            raise ShapeError(_text(message)) from None
        if relation is not None:
            self.constraints.append(relation)

    def equal(self, a, b, message: str) -> None:
        """Require ``a == b``."""
        verdict = arith.decide_equal(a, b)
        if verdict is False:
            raise ShapeError(_text(message))
        if verdict is None:
            self.constraints.append(sympy.Eq(a, b))

    def divisible(self, expr, d, message: str) -> None:
        """Require ``d`` to divide ``expr``."""
        verdict = arith.divisible(expr, d)
        if verdict is False:
            raise ShapeError(_text(message))
        if verdict is not True:
            self.constraints.append(verdict)


def _text(message) -> str:
    return message() if callable(message) else message


@dataclass(frozen=True)
class Computed:
    """What applying a layer gives: output shapes and parameter counts.

    >>> import symcnn as sc
    >>> from symcnn.layers import Checker
    >>> out = sc.BatchNormalization().compute([(32, 32, 16)], Checker())
    >>> out.output_shapes, out.trainable, out.non_trainable, out.params
    (((32, 32, 16),), 32, 32, 64)
    """

    output_shapes: tuple
    trainable: sympy.Expr
    non_trainable: sympy.Expr

    @cached_property
    def params(self) -> sympy.Expr:
        # kept (results are shared by every call with the same signature); most layers have
        # no non-trainable weights, and SymPy's cache of sums thrashes in deep models
        if self.non_trainable == 0:
            return self.trainable
        return self.trainable + self.non_trainable


_counter = itertools.count()


class Tensor:
    """A symbolic tensor: the shape (without batch axis) produced by a node.

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 3))
    >>> sc.Conv2D(8, 3)(x).shape
    (H - 2, W - 2, 8)
    """

    __slots__ = ("shape", "node", "index")

    def __init__(self, shape: Shape, node: "Node", index: int = 0) -> None:
        self.shape = tuple(shape)
        self.node = node
        self.index = index

    def __repr__(self) -> str:
        return f"<Tensor shape={format_shape(self.shape)} from {self.node.layer.type_name}>"


class Node:
    """One application of a layer to input tensors.

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 3))
    >>> node = sc.Conv2D(8, 3)(x).node
    >>> node.layer.type_name, node.input_shapes, node.computed.params
    ('Conv2D', [(H, W, 3)], 224)
    """

    __slots__ = ("layer", "inputs", "outputs", "computed", "constraints", "order")

    def __init__(self, layer: "Layer", inputs: Sequence[Tensor], computed: Computed,
                 constraints: Iterable) -> None:
        self.layer = layer
        self.inputs = tuple(inputs)
        self.computed = computed
        self.constraints = tuple(constraints)
        self.order = next(_counter)  # creation order is a topological order
        self.outputs = tuple(Tensor(s, self, i) for i, s in enumerate(computed.output_shapes))

    @property
    def input_shapes(self) -> list:
        return [t.shape for t in self.inputs]


#: ``Layer.compute`` results by signature (layer class, arguments, input shapes): networks
#: repeat a layer on the same shapes (ResNet-50 repeats 10 of its 16 blocks exactly), and
#: the result is a pure function of the signature. Bounded; cleared when full.
_COMPUTED: dict = {}
_COMPUTED_MAX = 4096


def _frozen(value):
    """``value`` as a hashable key that tells apart values Python deems equal (``1``,
    ``1.0``, ``True``); SymPy integers become their Python value (hashed in C)."""
    kind = type(value)
    if kind is tuple or kind is list:
        return (kind.__name__, tuple(map(_frozen, value)))
    if kind is dict:
        return ("dict", tuple(sorted(map(_frozen_item, value.items()))))
    if isinstance(value, sympy.Integer):
        return ("Integer", value.p)
    return (kind.__name__, value)


def _frozen_item(item: tuple) -> tuple:
    return item[0], _frozen(item[1])


def _dims(shape) -> tuple:
    """A shape as a key: its integer sizes as Python ints, the others as they are."""
    return tuple(d.p if d.is_Integer else d for d in shape)


def _signature(layer: "Layer", shapes: list):
    """A hashable key for ``layer.compute(shapes)``; None for layers that override
    ``compute`` (models, inputs, containers), whose result depends on more than arguments."""
    if type(layer).compute is not Layer.compute:
        return None
    # the arguments but the name, which changes error messages only, never results; in
    # the order the layer set them (a different order only misses the cache)
    try:
        return (type(layer), tuple(map(_frozen_item, layer._config.items())), layer.trainable,
                tuple(map(_frozen_item, layer._extra.items())), tuple(map(_dims, shapes)))
    except AttributeError:  # a shape given as plain numbers: computed afresh
        return None


def _cached(key):
    """The cached ``(computed, constraints)`` under ``key``, or None (also for a key with
    an unhashable argument, which is then never stored)."""
    if key is None:
        return None
    try:
        return _COMPUTED.get(key)
    except TypeError:
        return None


def called_on(layer: "Layer", shapes: list, name: str | None = None,
              index: int | None = None) -> str:
    """How an error names a layer applied to ``shapes``: ``Conv2D layer 'conv2d' (#1) on
    input shape (192,)``. A model building or substituting itself passes the name and index
    it lists the layer under (``model.layers[1]``); a layer called on tensors, in no model yet,
    has its given name only, or none: then its type and input shapes say which call it is.

    >>> import symcnn as sc
    >>> print(called_on(sc.Add(), [("H", 3), (4, 3)]))
    Add layer on input shape [(H, 3), (4, 3)]
    >>> print(called_on(sc.Dense(2, name="head"), [(5,)], index=2))
    Dense layer 'head' (#2) on input shape (5,)
    """
    where = describe_layer(layer.type_name, name or layer.name, index)
    shown = shorten(format_shape(shapes[0] if len(shapes) == 1 else list(shapes)))
    return f"{where} on input shape {shown}"


def apply_layer(layer: "Layer", inputs: Sequence[Tensor], name: str | None = None,
                index: int | None = None) -> Node:
    """Apply ``layer`` to tensors, re-raising errors with the layer's context
    (:func:`called_on`)."""
    shapes = [t.shape for t in inputs]
    key = _signature(layer, shapes)
    hit = _cached(key)
    if hit is not None:
        return Node(layer, inputs, *hit)
    check = Checker()
    try:
        computed = layer.compute(shapes, check)
        check_sizes(shapes, computed.output_shapes,  # before any cost multiplies them out
                    [r[0] for r in getattr(layer, "_requirements", ())])
    except SymcnnError as err:
        raise with_context(err, called_on(layer, shapes, name, index), nested=True) from None
    if key is not None:
        if len(_COMPUTED) >= _COMPUTED_MAX:
            _COMPUTED.clear()
        try:
            _COMPUTED[key] = (computed, tuple(check.constraints))
        except TypeError:  # an unhashable argument: nothing to share
            pass
    return Node(layer, inputs, computed, check.constraints)


_PLAIN = frozenset({int, str, bool, float, type(None)})


def _has_numpy(value, depth: int = 0) -> bool:
    """Whether ``value`` is, or holds in its tuples and lists, a NumPy value."""
    kind = type(value)
    if kind in (int, str, bool, float) or value is None:
        return False
    if kind.__module__ == "numpy":
        return True
    return kind in (tuple, list) and depth < 16 and any(_has_numpy(v, depth + 1) for v in value)


def _plain(value, owner: str, arg: str, depth: int = 0):
    """``value`` with NumPy scalars as Python numbers (in tuples and lists too); a
    :class:`LayerArgumentError` for a NumPy array of one or more axes."""
    numpy = type(value).__module__ == "numpy"  # np.float64 is a float: checked first
    if not numpy and isinstance(value, (str, bool, int, float, sympy.Basic)) \
            or value is None or depth > 16:
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v, owner, arg, depth + 1) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return type(value)(items) if type(value) in (tuple, list) else value
    if not numpy:
        return value
    if getattr(value, "ndim", 0) != 0:
        raise LayerArgumentError(
            f"{owner}: `{arg}` cannot be a NumPy array (shape {tuple(value.shape)}): give "
            f"Python values, such as an int or a tuple of ints. Received: {arg}={brief(value)}")
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if kind == "b":
        return bool(value)
    if kind in ("i", "u"):
        return int(value)
    if kind == "f":
        return float(value)
    return value


class _Parameters:
    """What a constructor takes, read once from its signature: whether a call fits it
    (``fits``, the common case decided without ``Signature.bind``, which doubled the time
    to build ResNet-50) and, when it does not, why (:meth:`error`)."""

    def __init__(self, init) -> None:
        self.signature = inspect.signature(init)
        params = list(self.signature.parameters.values())[1:]  # self aside
        plain_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        free_kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        self.positional = [p.name for p in params if p.kind in plain_kinds]
        self.names = [p.name for p in params if p.kind not in free_kinds]
        self.name_set = frozenset(self.names)
        self.open_keywords = any(p.kind is p.VAR_KEYWORD for p in params)
        #: (position, name) of each argument without a default (position past the end for
        #: a keyword-only one)
        self.required = [(self.positional.index(p.name) if p.name in self.positional
                          else len(params), p.name)
                         for p in params if p.default is p.empty and p.kind not in free_kinds]
        more = any(p.kind is p.VAR_POSITIONAL for p in params)
        self.most = float("inf") if more else len(self.positional)  # positionals taken
        self.fits = self._fits()

    def _fits(self):
        """``fits(args, kwargs)``: whether the call binds and holds no NumPy value (a closure
        over the facts above: it runs for every layer built)."""
        most, positional, required = self.most, self.positional, self.required
        open_keywords, name_set = self.open_keywords, self.name_set

        def fits(args: tuple, kwargs: dict) -> bool:
            if len(args) > most:
                return False
            if kwargs:
                if not open_keywords and not name_set.issuperset(kwargs):
                    return False
                for name in positional[:len(args)]:
                    if name in kwargs:
                        return False
            for at, name in required:
                if at >= len(args) and name not in kwargs:
                    return False
            for value in args:
                if type(value) not in _PLAIN and _has_numpy(value):
                    return False
            for value in kwargs.values():
                if type(value) not in _PLAIN and _has_numpy(value):
                    return False
            return True

        return fits

    def error(self, owner: str, args: tuple, kwargs: dict) -> LayerArgumentError:
        """Why ``args`` and ``kwargs`` do not bind."""
        names, positional = self.names, self.positional
        takes = f"it takes {', '.join(names)}" if names else "it takes no arguments"
        for key, value in kwargs.items():
            if key not in self.name_set and not self.open_keywords:
                return LayerArgumentError(f"{owner}: unexpected argument `{key}`; {takes}."
                                          f"{did_you_mean(key, names)} "
                                          f"Received: {key}={brief(value)}")
        if len(args) > self.most:
            return LayerArgumentError(
                f"{owner}: takes at most {len(positional)} positional argument(s) "
                f"({', '.join(positional) or 'none'}). Received: {len(args)} positional "
                f"arguments")
        for name in positional[:len(args)]:
            if name in kwargs:
                return LayerArgumentError(f"{owner}: `{name}` is given twice, by position and "
                                          f"by keyword. Received: {name}={brief(kwargs[name])}")
        for at, name in self.required:
            if at >= len(args) and name not in kwargs:
                return LayerArgumentError(f"{owner}: missing argument `{name}`; {takes}. "
                                          f"Received: {len(args)} positional argument(s)"
                                          + (f", {', '.join(kwargs)}" if kwargs else ""))
        return LayerArgumentError(f"{owner}: the arguments do not fit {takes}. "
                                  f"Received: {brief(args)}, {brief(kwargs)}")


def _checked_init(init):
    """``init`` with its arguments checked first, for the class actually built (not the
    ``super().__init__`` calls it makes): a keyword it does not take, too many positional
    arguments or a missing one is a :class:`LayerArgumentError` naming the layer, as Keras'
    misspelled keywords are, never Python's ``TypeError``; a NumPy scalar counts as the
    Python number it holds (as ``as_size`` counts ``np.int64(3)`` as 3, and PyTorch and
    Keras take it), and a NumPy array is refused (except in :attr:`Layer._array_args`)."""
    if getattr(init, "_checked", False):
        return init
    takes = _Parameters(init)
    signature, fits = takes.signature, takes.fits

    @functools.wraps(init)
    def checked(self, *args, **kwargs):
        if type(self).__init__ is not checked or fits(args, kwargs):  # a super().__init__
            return init(self, *args, **kwargs)  # call (checked already), or nothing to do
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:
            raise takes.error(type(self).type_name, args, kwargs) from None
        changed, owner, data = False, type(self).type_name, type(self)._array_args
        for key, value in bound.arguments.items():
            if key == "self" or key in data:
                continue
            if signature.parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
                new = {k: v if k in data else _plain(v, owner, k) for k, v in value.items()}
                new = value if all(new[k] is value[k] for k in value) else new
            else:
                new = _plain(value, owner, key)
            if new is not value:
                bound.arguments[key] = new
                changed = True
        if changed:
            return init(*bound.args, **bound.kwargs)
        return init(self, *args, **kwargs)

    checked._checked = True  # type: ignore[attr-defined]
    return checked


class Layer(LayerProtocol):
    """Base class of all layers.

    Subclasses validate their arguments in ``__init__`` through :meth:`_set` and implement
    either :meth:`compute` or the single-input pair :meth:`output_shape_for` and
    :meth:`params_for`, and the rest of the protocol (:mod:`symcnn.layers.protocol`):
    ``macs_for``, ``window_for``, ``derivation_for``.

    >>> import symcnn as sc
    >>> class Gain(sc.Layer):
    ...     "One learned gain per channel: C trainable parameters, none frozen."
    ...     def output_shape_for(self, shape, check):
    ...         return shape
    ...     def params_for(self, shape):
    ...         return shape[-1], 0
    >>> m = sc.Sequential([sc.Input(("H", "W", 16)), Gain()])
    >>> m.output_shape, m.params, m.layers[0].name
    ((H, W, 16), 16, 'gain')
    """

    #: How many input tensors the layer takes: 1, or None for a list of two or more.
    n_inputs: int | None = 1
    #: Name used by Keras for the class (aliases such as MaxPool2D share their class's).
    type_name: str = "Layer"

    #: Arguments that hold data, where a NumPy array is a value (Keras' ``weights``).
    _array_args: tuple = ("weights",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = cls.__dict__.get("type_name", cls.__name__)
        if not getattr(cls.__init__, "_checked", False):  # its own, or a mixin's
            cls.__init__ = _checked_init(cls.__init__)

    def __init__(self, name: str | None = None, trainable: bool = True, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", {})
        object.__setattr__(self, "_requirements", [])
        if name is not None and (not isinstance(name, str) or not name):
            raise LayerArgumentError(
                f"{self.type_name}: `name` must be a non-empty string. Received: name={brief(name)}"
            )
        if name is not None and not name.isprintable():  # a name is printed in tables
            raise LayerArgumentError(
                f"{self.type_name}: `name` must be printable: no control characters, line "
                f"breaks or direction overrides (they would garble the tables and terminals "
                f"that print it). Received: name={brief(name)}")
        if not isinstance(trainable, bool):
            raise LayerArgumentError(
                f"{self.type_name}: `trainable` must be True or False. "
                f"Received: trainable={brief(trainable)}"
            )
        for key, value in kwargs.items():
            if key not in _INERT_ARGS and not key.endswith(_INERT_SUFFIXES):
                raise LayerArgumentError(
                    f"{self.type_name}: unexpected argument `{key}`. "
                    f"Received: {key}={brief(value)}"
                )
            self._check_kind(key, value)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "trainable", trainable)
        object.__setattr__(self, "_extra", dict(kwargs))

    # -- construction helpers -------------------------------------------------------------

    #: Stricter kinds than :data:`_INERT_KINDS` for this class's arguments (Keras' ReLU
    #: refuses a negative ``max_value``), checked by :meth:`_set` and ``**kwargs`` alike.
    _kinds: dict = {}

    def _check_kind(self, key: str, value: Any) -> None:
        """A :class:`LayerArgumentError` when ``value`` is not the kind ``key`` takes."""
        kind = type(self)._kinds.get(key) or _INERT_KINDS.get(key)
        if kind is not None and not kind[1](value):
            raise LayerArgumentError(f"{self.type_name}: `{key}` must be {kind[0]}. "
                                     f"Received: {key}={brief(value)}")

    def _set(self, **values: Any) -> None:
        """Store validated arguments as attributes and in the config; an argument of a
        known kind (:data:`_INERT_KINDS`, :attr:`_kinds`) is checked first."""
        for key, value in values.items():
            if key in type(self)._kinds or key in _NUMBER_ARGS:
                self._check_kind(key, value)
            if key in ("activation", "recurrent_activation"):  # a mistyped name is refused
                if not (value is None or isinstance(value, str) or callable(value)):
                    raise LayerArgumentError(
                        f"{self.type_name}: `{key}` must be an activation name (such as "
                        f"'relu') or a function. Received: {key}={brief(value)}")
                value = check_activation(value, self.type_name, key)  # with the closest one
            object.__setattr__(self, key, value)
            self._config[key] = value

    def _size(self, value: Any, arg: str, minimum: int = 1):
        size = as_size(value, arg, self.type_name, minimum)
        self._note_requirement(size, arg, minimum, value)
        return size

    def _sizes(self, value: Any, n: int, arg: str, minimum: int = 1) -> tuple:
        sizes = as_size_tuple(value, n, arg, self.type_name, minimum)
        for size in sizes:
            self._note_requirement(size, arg, minimum, value)
        return sizes

    def _note_requirement(self, size, arg: str, minimum: int, given: Any) -> None:
        if not size.is_Integer:
            self._requirements.append((size, minimum, arg, given))

    def _axes(self, axis: Any):
        """``axis``: an int or a list of distinct ints (Keras counts the batch axis as 0)."""
        axes = axis if isinstance(axis, (list, tuple)) else (axis,)
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise LayerArgumentError(
                f"{self.type_name}: `axis` must be an int or a list of ints. Received: axis={brief(axis)}"
            )
        if len(set(axes)) != len(axes):
            raise LayerArgumentError(
                f"{self.type_name}: `axis` names an axis twice. Received: axis={brief(axis)}")
        return axis if isinstance(axis, int) else tuple(axes)

    def _axis_positions(self, shape, batch: bool = False) -> list:
        """The positions in ``shape`` (no batch axis) of ``self.axis``; a
        :class:`~symcnn.errors.ShapeError` for an axis out of range or, unless ``batch``,
        the batch axis (which has no position)."""
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        rank = len(shape) + 1  # with the batch axis
        out = []
        for a in axes:
            index = a if a >= 0 else rank + a
            if batch and index == 0:
                continue
            if index <= 0 or index >= rank:
                raise ShapeError(
                    f"`axis` {brief(a)} is out of range for an input of rank {len(shape)} "
                    f"(shape {format_shape(shape)}, axes counted with the batch axis as 0). "
                    f"Received: axis={brief(self.axis)}"
                )
            out.append(index - 1)
        return out

    def _choice(self, value: Any, arg: str, options: Sequence[str]) -> str:
        if not isinstance(value, str) or value.lower() not in options:
            raise LayerArgumentError(
                f"{self.type_name}: `{arg}` must be one of "
                f"{', '.join(repr(o) for o in options)}.{did_you_mean(value, options)} "
                f"Received: {arg}={brief(value)}"
            )
        return value.lower()

    def _flag(self, value: Any, arg: str) -> bool:
        if not isinstance(value, bool):
            raise LayerArgumentError(
                f"{self.type_name}: `{arg}` must be True or False. Received: {arg}={brief(value)}"
            )
        return value

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{self.type_name} layers are immutable; build a new one")

    # -- configuration --------------------------------------------------------------------

    def get_config(self) -> dict:
        """The arguments that rebuild this layer: ``type(layer)(**layer.get_config())``."""
        config = dict(self._config)
        if self.name is not None:
            config["name"] = self.name
        if not self.trainable:
            config["trainable"] = False
        config.update(self._extra)
        return config

    def subs(self, mapping: dict) -> "Layer":
        """The same layer with symbols in its arguments replaced."""
        if not any(_has_symbols(v) for v in self._config.values()):
            return self
        who = f"{self.type_name} layer {self.name!r}" if self.name else self.type_name
        config = {k: _subs_value(v, mapping, f"{who}: `{k}`") for k, v in self.get_config().items()}
        try:
            return type(self)(**config)
        except SymcnnError as err:  # a value its arguments refuse: say which layer and values
            message = str(err).removeprefix(f"{self.type_name}: ")
            given = ", ".join(f"{k}={brief(v)}" for k, v in mapping.items())
            raise with_context(type(err)(message), f"{who} subs({given})") from None

    @property
    def free_symbols(self) -> set:
        out: set = set()
        for value in self._config.values():
            out |= _symbols_of(value)
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    # -- application ----------------------------------------------------------------------

    def _check_call(self, training, mask, kwargs: dict) -> None:
        who = describe_layer(self.type_name, self.name)
        # layer(x, y) (and layer(x, y, z)): the second tensor went to `training`; a tensor
        # given as `mask=` is a Keras mask, refused below
        if isinstance(training, Tensor):
            how = ("takes one tensor, layer(x)" if self.n_inputs == 1 else
                   f"takes a list of tensors: {self.type_name}()([x, y])")
            raise LayerArgumentError(
                f"{who}: {how}, not tensors as separate arguments (a tensor went to "
                f"`training`). Received: training={brief(training)}")
        for key, value in kwargs.items():
            raise LayerArgumentError(f"{who}: unexpected call argument `{key}`; a layer call "
                                     f"takes inputs, training and mask. "
                                     f"Received: {key}={brief(value)}")
        if training is not None and not isinstance(training, bool):
            raise LayerArgumentError(f"{who}: `training` must be True, False or None. "
                                     f"Received: training={brief(training)}")
        if mask is not None:
            raise LayerArgumentError(f"{who}: symcnn does not model masks in a layer call "
                                     f"(they change values, not shapes or counts); call it "
                                     f"without one. Received: mask={brief(mask)}")

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        """Apply the layer to a tensor (or a list of tensors), Keras functional style.

        Keras' ``training`` (True, False or None) changes no shape or count and is ignored;
        a ``mask`` is refused (only MultiHeadAttention's masks are noted, see
        :attr:`~symcnn.layers.attention.MultiHeadAttention.masked_call`)."""
        if kwargs or mask is not None or training is not None:
            self._check_call(training, mask, kwargs)
        tensors = self._input_tensors(inputs)
        node = apply_layer(self, tensors)
        return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)

    def check_input_shapes(self, input_shapes, name: str | None = None,
                           index: int | None = None) -> None:
        """Refuse a call on ``input_shapes`` before it runs (``name``, ``index``: as the
        model builds it, for the message), where the layer itself declares
        what it takes (a model its inputs' sizes: :meth:`symcnn.Model.check_input_shapes`);
        nothing for a layer, whose formulas say what fits."""

    def _input_tensors(self, inputs) -> list:
        """The tensors of a call, checked: errors name the layer as :func:`apply_layer`'s
        do, with the shapes it was called on."""
        many = isinstance(inputs, (list, tuple))
        tensors = list(inputs) if many else [inputs]
        if not all(isinstance(t, Tensor) for t in tensors) or not tensors:
            raise LayerArgumentError(
                f"{describe_layer(self.type_name, self.name)}: must be called on a tensor "
                f"from sc.Input(...) or another layer. Received: inputs={brief(inputs)}"
            )
        shapes = [t.shape for t in tensors]
        if self.n_inputs is None and len(tensors) < 2:
            raise ShapeError(
                f"{called_on(self, shapes)}: expects a list of at least 2 tensors. "
                f"Received: inputs={_tensors_given(inputs)}"
            )
        if self.n_inputs is not None and len(tensors) != self.n_inputs:
            expected = f"{self.n_inputs} input tensor{'' if self.n_inputs == 1 else 's'}"
            raise ShapeError(
                f"{called_on(self, shapes)}: expects {expected}. "
                f"Received: inputs={_tensors_given(inputs)}"
            )
        self.check_input_shapes(shapes)
        return tensors

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        """Output shapes and parameter counts for these input shapes."""
        for size, minimum, arg, given in self._requirements:
            check.at_least(size, minimum,
                           lambda: f"`{arg}` must be at least {minimum}. Received: {arg}={brief(given)}")
        if self.n_inputs == 1:
            (shape,) = input_shapes
            out = self.output_shape_for(tuple(shape), check)
            counts = self.params_for(tuple(shape))
        else:
            out = self.output_shape_for([tuple(s) for s in input_shapes], check)
            counts = self.params_for([tuple(s) for s in input_shapes])
        if type(counts) is not tuple or len(counts) != 2:  # a user's layer returned one count
            raise LayerArgumentError(
                f"{self.type_name}: params_for must return a pair (trainable, non_trainable), "
                f"e.g. (C, 0). Received: {brief(counts)}")
        trainable, non_trainable = counts
        trainable, non_trainable = expanded(sympy.sympify(trainable)), \
            expanded(sympy.sympify(non_trainable))
        if not self.trainable:
            trainable, non_trainable = sympy.Integer(0), trainable + non_trainable
        return Computed((tuple(out),), sympy.sympify(trainable), sympy.sympify(non_trainable))

    def output_shape_for(self, shape, check: Checker) -> Shape:
        raise LayerArgumentError(  # a bare sc.Layer() or a subclass that forgot the protocol
            f"{self.type_name}: a layer must implement output_shape_for (or compute); "
            f"sc.Layer itself is the base class to subclass (see docs/extending.md). "
            f"Received: {type(self).__name__}")

    def params_for(self, shape):
        """``(trainable, non_trainable)`` parameter counts: the value of ``params_formula``
        when the layer states one, else none."""
        stated = self.params_formula(shape)
        if stated is None:
            return sympy.Integer(0), sympy.Integer(0)
        total = _stated_value(stated)
        frozen = self.frozen_formula(shape)
        if frozen is None:
            return total, sympy.Integer(0)
        fixed = _stated_value(frozen)
        return sympy.expand(total - fixed), fixed

    def _params_of(self, input_shapes) -> sympy.Expr:
        """Total parameters of a call on ``input_shapes`` (the computation is cached)."""
        shapes = [tuple(s) for s in input_shapes]
        key = _signature(self, shapes)
        hit = _cached(key)
        if hit is not None:
            return hit[0].params
        return self.compute(shapes, Checker()).params

    # -- helpers for subclasses -------------------------------------------------------------

    def _expect_rank(self, shape, rank: int | tuple, meaning: str) -> None:
        ranks = rank if isinstance(rank, tuple) else (rank,)
        if len(shape) not in ranks:
            raise rank_error(
                f"expects an input of rank {' or '.join(map(str, ranks))} ({meaning}, without "
                f"the batch axis). Received: input of rank {len(shape)}, "
                f"shape={format_shape(shape)}", ranks)


def rank_error(message: str, ranks: tuple, or_more: bool = False) -> ShapeError:
    """A :class:`ShapeError` for an input of the wrong rank, saying which ranks the layer
    takes (``expected_ranks``, and ``or_more`` for a least rank), so a wrapper
    (``TimeDistributed``) can say the rank its own input needs without reading the text.

    >>> rank_error("expects an input of rank 2", (2,)).expected_ranks
    (2,)
    """
    error = ShapeError(message)
    error.expected_ranks, error.or_more = tuple(ranks), or_more
    return error


class Graph(Layer):
    """A layer made of layers: a model (``symcnn.Model``) used as a layer, or what contains
    one. It has ``inputs``, ``outputs`` and ``nodes``; analyses look inside it through
    :meth:`inner_graph`. :class:`symcnn.model.Model` is the one implementation; layers that
    take a model (``Repeat``) check for this class, so they need not import the model module.
    """


def _tensors_given(inputs) -> str:
    """``a list of 3 tensors``, ``one tensor``: what a call received, for messages."""
    if not isinstance(inputs, (list, tuple)):
        return "one tensor"
    n = len(inputs)
    return f"a {type(inputs).__name__} of {n} tensor{'' if n == 1 else 's'}"


def _stated_value(stated: tuple) -> sympy.Expr:
    """The value of a stated ``(formula, bindings)``."""
    count = integer_value(*stated)  # Python ints when every bound value is an integer
    return value_of(*stated) if count is None else sympy.Integer(count)


def _has_symbols(value) -> bool:
    return bool(_symbols_of(value))


def _symbols_of(value) -> set:
    if isinstance(value, sympy.Basic):
        return set(value.free_symbols)
    if isinstance(value, (tuple, list)):
        out: set = set()
        for v in value:
            out |= _symbols_of(v)
        return out
    return set()


def subs_own(layer: "Layer", mapping: dict) -> "Layer":
    """``layer.subs`` with only the symbols of ``mapping`` that ``layer`` has (itself when it
    has none): a nested model refuses a symbol it lacks, as ``model.subs`` does when a user
    names one, so a model or a ``Repeat`` hands each of its parts its own symbols. A nested
    model (a :class:`Graph`) keeps its input shapes, a template bound to the shapes of each
    call: only its layers and stated constraints take the values
    (:meth:`symcnn.Model.subs_nested`)."""
    own = layer.free_symbols
    relevant = {k: v for k, v in mapping.items() if k in own}
    if not relevant:
        return layer
    nested = getattr(layer, "subs_nested", None)  # a nested model, as Model.subs asks it
    return nested(relevant) if nested is not None else layer.subs(relevant)


def _subs_value(value, mapping: dict, where: str = "subs"):
    if isinstance(value, sympy.Basic):
        result = sympy.sympify(bounded_subs(value, mapping, where))  # a symbol may map to an int
        return sympy.expand(result) if result.is_number else result
    if isinstance(value, tuple):
        return tuple(_subs_value(v, mapping, where) for v in value)
    if isinstance(value, list):
        return [_subs_value(v, mapping, where) for v in value]
    return value


def _show(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    try:
        return str(value) if isinstance(value, sympy.Basic) else repr(value)
    except ValueError:  # an integer over Python's 4,300 digits: its size instead
        return brief(value)
