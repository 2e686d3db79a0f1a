"""Models: :class:`Sequential` and the functional :class:`Model`.

A model is data: its nodes (every layer call), one :class:`LayerRecord` per distinct layer,
totals, and the constraints its symbols must meet. Printers render it (``summary()``,
``to_latex()``); nothing here formats text beyond ``repr``.

>>> import symcnn as sc
>>> n = sc.symbols("n")
>>> model = sc.Sequential([
...     sc.Input((39, 31, 1)),
...     sc.Conv2D(20, 4, use_bias=False), sc.MaxPooling2D(2),
...     sc.Conv2D(40, 3, use_bias=False), sc.MaxPooling2D(2),
...     sc.Conv2D(60, 3, use_bias=False), sc.MaxPooling2D(2),
...     sc.Conv2D(80, 2, use_bias=False), sc.Flatten(),
...     sc.Dense(n, use_bias=False),
... ], name="example")
>>> model.params
160*n + 48320
>>> model.layers[0].output_shape, model.layers[0].params
((36, 28, 20), 320)
>>> model.subs(n=10).params
49920
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Sequence

import sympy

from . import arith, memory
from .derivation.blocks import block_shape_note, layers_sum
from .errors import GraphError, ShapeError, SymcnnError, brief, describe_layer
from .frameworks import import_framework
from .layers.base import (Checker, Computed, Graph, Layer, Tensor, apply_layer, called_on,
                          format_shape, subs_own)
from .layers.core import Input, InputLayer
from .model_graph import _Namer, wire
from .model_symbols import clash_error, free_symbols, reachable
from .model_printing import _Printing
from .records import LayerRecord, _CostViews
from .solving import model_solve_budget
from .render.exprs import show
from .suggest import did_you_mean
from .safe import bounded_subs
from .shape import Shape
from .structural import total
from .substitution import conditions_after, substitution_table
from .training_memory import training_memory as _training_memory

__all__ = ["Model", "Sequential", "LayerRecord"]


def _as_list(value, what: str) -> list:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise GraphError(
            f"Model: `{what}` must be a tensor or a list of tensors from sc.Input(...) and "
            f"layer calls. Received: {what}={brief(value)}"
        )
    return items


def _stated_conditions(constraints) -> tuple:
    """``Model(..., constraints=...)`` checked: relations (``>=``, ``<=``, ``>``, ``<``,
    ``==``) on symbols; one that is already true is dropped, one already false refused."""
    items = list(constraints) if isinstance(constraints, (list, tuple)) else None
    if items is None:
        raise GraphError(f"Model: `constraints` must be a list of relations such as "
                         f"alpha >= 1/4. Received: constraints={brief(constraints)}")
    out = []
    for c in items:
        if c is sympy.true or c is True:
            continue
        if c is sympy.false or c is False:
            raise ShapeError(f"Model: a stated constraint is false, so no input size is "
                             f"valid. Received: constraints={brief(items)}")
        if not isinstance(c, sympy.core.relational.Relational) or \
                isinstance(c, sympy.core.relational.Unequality):
            raise GraphError(f"Model: each of `constraints` must be a relation such as "
                             f"alpha >= 1/4 (>=, <=, >, <, Eq). Received: {brief(c)}")
        out.append(c)
    return tuple(out)


#: The values of ``Model(..., input_format=...)``: PyTorch's layout and Keras'.
INPUT_FORMATS = ("channels_first", "channels_last")


def _stated_input_format(value) -> str | None:
    """``Model(..., input_format=...)`` checked: None (not stated) or one of
    :data:`INPUT_FORMATS`."""
    if value is None or (isinstance(value, str) and value in INPUT_FORMATS):
        return value
    raise GraphError(f"Model: `input_format` must be None, 'channels_first' (PyTorch's "
                     f"layout) or 'channels_last' (Keras'). Received: input_format={brief(value)}")


class Model(_CostViews, _Printing, Graph):
    """A functional model from input tensors to output tensors (Keras functional style).

    >>> import symcnn as sc
    >>> H, W = sc.symbols("H W")
    >>> x = sc.Input((H, W, 64))
    >>> y = sc.Conv2D(64, 3, padding="same")(x)
    >>> y = sc.BatchNormalization()(y)
    >>> block = sc.Model(x, sc.Add()([x, y]), name="residual")
    >>> block.params, block.non_trainable_params
    (37184, 128)
    >>> [r.name for r in block.layers]  # as in Keras, the InputLayer first
    ['input_layer', 'conv2d', 'batch_normalization', 'add']

    ``input_format`` states where the model's input has its channels: ``"channels_first"``
    (PyTorch's layout, what ``sc.from_torch`` states) or ``"channels_last"`` (Keras').
    ``to_torch`` and receptive fields take it before asking the layers, which otherwise
    decide (channels last unless the layers that state a layout all state channels
    first); ``subs`` and model files keep it.

    >>> x = sc.Input((4, 16))  # 4 channels first, then 16 positions
    >>> m = sc.Model(x, sc.Activation("relu")(x), input_format="channels_first")
    >>> m.input_format, m.subs().input_format
    ('channels_first', 'channels_first')
    >>> sc.Model(x, x, input_format="NCHW")
    Traceback (most recent call last):
    ...
    symcnn.errors.GraphError: Model: `input_format` must be None, 'channels_first' (PyTorch's layout) or 'channels_last' (Keras'). Received: input_format='NCHW'
    """

    type_name = "Functional"
    _default_name = "functional"
    #: Printers lay out a Sequential without input rows and "Connected to" (as Keras does).
    is_sequential = False
    #: The layout of the model's input as its builder states it (None: the layers decide).
    input_format = None

    def __init__(self, inputs, outputs, name: str | None = None, *,
                 constraints: Sequence = (), input_format: str | None = None) -> None:
        """``constraints``: conditions the builder states on the symbols, beyond the ones
        the layers record (``alpha >= 1/4``, where a zoo model's closed form stops
        holding); kept by :meth:`subs` (substituted, so a value breaking one is refused).
        ``input_format``: ``"channels_first"``, ``"channels_last"`` or None (not stated),
        kept by :meth:`subs`."""
        Layer.__init__(self, name=name)
        object.__setattr__(self, "_stated", _stated_conditions(constraints))
        object.__setattr__(self, "input_format", _stated_input_format(input_format))
        ins = _as_list(inputs, "inputs")
        outs = _as_list(outputs, "outputs")
        for t in ins:
            if not isinstance(t.node.layer, InputLayer):
                raise GraphError(
                    f"Model: every input must come straight from sc.Input(...); "
                    f"{t!r} is the output of a {t.node.layer.type_name} layer. Received: inputs={brief(inputs)}"
                )
        object.__setattr__(self, "inputs", tuple(ins))
        object.__setattr__(self, "outputs", tuple(outs))
        object.__setattr__(self, "_single_input", not isinstance(inputs, (list, tuple)))
        object.__setattr__(self, "_single_output", not isinstance(outputs, (list, tuple)))
        object.__setattr__(self, "_rebuilt", {})  # this model on other input shapes, by shapes
        #: the model this one is a rebuild of (on other input shapes), sharing its layers
        object.__setattr__(self, "rebuilt_from", None)
        self._build_graph()
        known = self.free_symbols  # computed now, kept: sweeps and solves ask again
        if len({s.name for s in known}) != len(known):  # two symbols named H: say so now
            raise clash_error(f"Model {self.display_name!r}", self._nodes, self.constraints,
                              self._listed)

    # -- graph ------------------------------------------------------------------------------

    def _build_graph(self) -> None:
        try:
            wiring = wire(self)
        except SymcnnError:  # two symbols of one name (H and H) may be why: say so
            clash = clash_error(f"Model {self.display_name!r}", reachable(self.outputs),
                                self._stated)
            if clash is not None:
                raise clash from None
            raise
        object.__setattr__(self, "_nodes", wiring.nodes)
        object.__setattr__(self, "_records", wiring.records)
        object.__setattr__(self, "_input_names", wiring.input_names)
        object.__setattr__(self, "_listed", wiring.listed)
        object.__setattr__(self, "_input_records", wiring.input_records)
        object.__setattr__(self, "_constraints", wiring.constraints)

    # -- public data ------------------------------------------------------------------------

    @property
    def layers(self) -> list:
        """One :class:`LayerRecord` per distinct layer, in call order; as in Keras, a
        functional model lists its ``InputLayer`` records first (``model.layers[1]`` is the
        first real layer) and a :class:`Sequential` lists none."""
        return list(self._listed)

    @property
    def nodes(self) -> list:
        """Every layer call, inputs included, in a topological order."""
        return list(self._nodes)

    def get_layer(self, name: str | None = None, index: int | None = None) -> LayerRecord:
        """The record of the layer called ``name``, or at ``index`` in :attr:`layers` (as
        Keras: give one of them).

        >>> import symcnn as sc
        >>> m = sc.zoo.textbook.free_width()
        >>> m.get_layer("dense").params, m.get_layer(index=-1).name
        (160*n, 'dense')
        """
        if (name is None) == (index is None):
            raise GraphError(f"Model {self.display_name!r}: get_layer takes a name or an "
                             f"index, one of them. Received: name={brief(name)}, index={brief(index)}")
        if index is not None:
            if not isinstance(index, int) or isinstance(index, bool) or not (
                    -len(self.layers) <= index < len(self.layers)):
                raise GraphError(f"Model {self.display_name!r}: `index` must be an integer "
                                 f"from {-len(self.layers)} to {len(self.layers) - 1} (the "
                                 f"model has {len(self.layers)} layers). Received: index={brief(index)}")
            return self.layers[index]
        for record in self.layers:
            if record.name == name:
                return record
        names = [r.name for r in self.layers]
        raise GraphError(f"Model {self.display_name!r}: no layer named {name!r}."
                         f"{did_you_mean(name, names)} Layers: {', '.join(names)}")

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else self._default_name

    def _total(self, attr: str) -> sympy.Expr:
        # One n-ary Add (not a running sum, which rebuilds the sum per layer: quadratic),
        # kept on the model (which never changes): sweeps ask for it on every call (issue 16).
        totals = self.__dict__.get("_totals")
        if totals is None:
            totals = {}
            object.__setattr__(self, "_totals", totals)
        if attr not in totals:
            totals[attr] = total(getattr(r, attr) for r in self._records)
        return totals[attr]

    @property
    def params(self) -> sympy.Expr:
        """Total parameters, as Keras' "Total params" (shared layers counted once)."""
        return self._total("params")

    @property
    def trainable_params(self) -> sympy.Expr:
        """Keras' "Trainable params" (PyTorch's ``parameters()`` count)."""
        return self._total("trainable_params")

    @property
    def non_trainable_params(self) -> sympy.Expr:
        """Keras' "Non-trainable params" (BatchNorm moving mean and variance, frozen layers)."""
        return self._total("non_trainable_params")

    # -- memory (symcnn.memory); the other costs come from _CostViews -------------------

    @property
    def peak_activation_elements(self) -> sympy.Expr:
        """The most activation elements alive at once during inference (:mod:`symcnn.memory`)."""
        return memory.peak_activation_elements(self)

    def peak_activation_memory(self, dtype="float32") -> sympy.Expr:
        """Peak activation memory of one inference in bytes at ``dtype``."""
        return memory.peak_activation_memory(self, dtype)

    def training_memory(self, batch=None, optimizer: str = "adam", dtype="float32"):
        """Bytes of one training step: ``.weights .gradients .optimizer_state .activations
        .total`` as closed forms in the batch size (:mod:`symcnn.training_memory`)."""
        return _training_memory(self, batch=batch, optimizer=optimizer, dtype=dtype)

    @property
    def input_shape(self):
        shapes = [Shape(t.shape) for t in self.inputs]
        return shapes[0] if self._single_input else shapes

    @property
    def output_shape(self):
        shapes = [Shape(t.shape) for t in self.outputs]
        return shapes[0] if self._single_output else shapes

    @property
    def constraints(self) -> list:
        """Conditions on the symbols for every size to be valid, e.g. ``[H >= 4]``."""
        return self._constraints.as_list()

    @property
    def free_symbols(self) -> set:
        """Every symbol in the model's shapes, counts, layer arguments (a ``Repeat``'s count
        of parameter-free blocks shows in no shape or count) and constraints (a new set each
        time; computed once per model, which never changes). No two have one name: a model
        holding two different symbols named ``H`` is refused when it is built."""
        known = self.__dict__.get("_free_symbols")
        if known is None:  # issue 16: sweeps and solves ask on every call
            known = free_symbols(self._nodes, self._constraints.as_list())
            object.__setattr__(self, "_free_symbols", known)
        return set(known)

    @property
    def symbols_by_name(self):
        """The model's symbols by name, a read-only mapping (computed once per model).

        >>> import symcnn as sc
        >>> sorted(sc.zoo.textbook.free_width().symbols_by_name)
        ['n']
        """
        known = self.__dict__.get("_symbols_by_name")
        if known is None:
            known = MappingProxyType({s.name: s for s in self.free_symbols})
            object.__setattr__(self, "_symbols_by_name", known)
        return known

    # -- transformation ---------------------------------------------------------------------

    def subs(self, mapping: dict | None = None, **values: Any) -> "Model":
        """The model with symbols replaced, rebuilt (and so re-checked) layer by layer.

        Keys are symbols or their names; values are ints, SymPy expressions or text read
        safely as the command line reads ``--subs`` (``"224"``, ``"W"``, ``"2*w"``; a
        multiplier takes ``"0.75"`` or ``"3/4"``). Conditions the values break are a
        :class:`~symcnn.errors.ShapeError`.

        >>> import symcnn as sc
        >>> net = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D("w", 3)])
        >>> net.subs(H="32", W="H + 2", w="2*c").output_shape  # all at once
        (30, H, 2*c)
        """
        table = self._substitution(mapping, values)
        return self._substituted(table, template=False) if table else self

    def subs_nested(self, table: dict, calls=None) -> "Model":
        """This model as a layer of another one, with ``table`` (``{symbol: value}``, of the
        outer model's symbols) substituted where the symbols are the outer model's: in its
        layers' arguments and its stated constraints (a call carries them to the outer model
        as they are), not in its input shapes, a template that each call binds to the shapes
        it receives (:meth:`rebuilt_on`). An outer ``H=64`` so leaves ``Input(("H", "W",
        16))`` of a block called on ``(ceiling(H/2), ceiling(W/2), 16)`` as it is (rewritten
        to ``(64, 64, 16)`` it would refuse the call on ``(32, 32, 16)``), while a width
        ``w`` of its layers takes the outer value.

        ``calls``: the input shapes of each of its calls in the outer model, values
        substituted, when known. Where the input shapes substituted too are those of every
        call, they are substituted (as :meth:`subs` does: the block called on ``(64, 64,
        16)`` is built for it, as a framework export needs). Itself when nothing changes.

        >>> import symcnn as sc
        >>> x = sc.Input(("H", "W", 16))
        >>> block = sc.Model(x, sc.Conv2D("w", 3, padding="same")(x))
        >>> H, W, w = (block.symbols_by_name[n] for n in "HWw")
        >>> block.subs_nested({H: 64, w: 8}).input_shape
        (H, W, 16)
        >>> block.subs_nested({H: 64, w: 8}, calls=[[(64, W, 16)]]).input_shape
        (64, W, 16)
        >>> block.subs_nested({H: 64, w: 8}).params
        1160
        """
        own = self.free_symbols
        table = {k: v for k, v in table.items() if k in own}
        if not table:
            return self
        if calls:
            try:
                whole = self._substituted(table, template=False)
            except SymcnnError:  # the values break the template; the calls may be fine
                whole = None
            if whole is not None and all(_shapes_equal(whole.inputs, shapes)
                                         for shapes in calls):
                return whole
        return self._substituted(table, template=True)

    def _substituted(self, table: dict, template: bool) -> "Model":
        """The model with ``table`` substituted in its layers and stated constraints, and in
        its input shapes unless ``template`` (:meth:`subs_nested`)."""
        layers = self._layers_after(table, template)
        stated = self._stated_after(table)
        if template and self._unchanged(layers, stated):
            return self
        new_inputs = [self._input_after(t, {} if template else table) for t in self.inputs]
        return self._replay(new_inputs, lambda layer: layers[id(layer)], name=self.name,
                            constraints=stated)

    def _layers_after(self, table: dict, template: bool = False) -> dict:
        """``{id(layer): the layer with table substituted}`` for each distinct layer called
        (a shared layer substituted once, so that it stays shared). A nested model is told
        the input shapes of its calls (:meth:`subs_nested`) unless ``template``: then they
        are in this model's own input symbols, which ``table`` does not set."""
        calls: dict = {}
        for node in self._nodes:
            calls.setdefault(id(node.layer), []).append(node)
        out: dict = {}
        for node in self._nodes:
            layer = node.layer
            if isinstance(layer, InputLayer) or id(layer) in out:
                continue
            nested = getattr(layer, "subs_nested", None)  # a nested model
            if nested is not None:
                shapes = None if template else [
                    [tuple(_subs_size(d, table) for d in s) for s in n.input_shapes]
                    for n in calls[id(layer)]]
                out[id(layer)] = nested(table, calls=shapes)
            else:
                out[id(layer)] = subs_own(layer, table)
        return out

    def _unchanged(self, layers: dict, stated: list) -> bool:
        """Whether substituting left every layer (``_layers_after``) and stated constraint
        as it was."""
        return all(layers[id(n.layer)] is n.layer for n in self._nodes
                   if not isinstance(n.layer, InputLayer)) and stated == list(self._stated)

    @staticmethod
    def _input_after(tensor: Tensor, table: dict) -> Tensor:
        """A new input of the shape of ``tensor`` with ``table`` substituted, of its name and
        its ``batch_size`` (the batch ``training_memory`` takes by default)."""
        batch = getattr(tensor.node.layer, "batch_size", None)
        return Input(tuple(_subs_size(d, table) for d in tensor.shape),
                     name=tensor.node.layer.name,
                     **({} if batch is None else {"batch_size": batch}))

    def _stated_after(self, table: dict) -> list:
        """The stated constraints with ``table`` substituted; a ShapeError names one that
        the values break."""
        return conditions_after(self._stated, table, f"Model {self.display_name!r} subs")

    def _substitution(self, mapping: dict | None, values: dict) -> dict:
        return substitution_table(f"Model {self.display_name!r}", self.free_symbols, mapping,
                                  values)

    def _replay(self, new_inputs: Sequence[Tensor], new_layer, name=None,
                constraints=None) -> "Model":
        """Rebuild the graph on ``new_inputs`` with ``new_layer(layer)`` for each layer (and
        the stated ``constraints``, by default this model's)."""
        tensors = {id(old): new for old, new in zip(self.inputs, new_inputs)}
        index = {id(r.layer): r for r in self._records}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            record = index[id(node.layer)]
            inputs = [tensors[id(t)] for t in node.inputs]
            new = apply_layer(new_layer(node.layer), inputs, name=record.name, index=record.index)
            for old_t, new_t in zip(node.outputs, new.outputs):
                tensors[id(old_t)] = new_t
        outs = [tensors[id(t)] for t in self.outputs]
        return Model(new_inputs[0] if self._single_input else list(new_inputs),
                     outs[0] if self._single_output else outs, name=name,
                     constraints=self._stated if constraints is None else constraints,
                     input_format=self.input_format)

    # -- solving (symcnn.solving) -----------------------------------------------------------

    def solve_budget(self, for_=None, *, step=None, **budgets: Any):
        """The largest value of the symbol ``for_`` keeping each named quantity in budget.

        Keywords naming a quantity (``params``, ``trainable_params``, ``macs``, ``flops``, ...)
        are budgets; keywords naming one of the model's symbols fix it (``H=224``, also when
        the budgeted quantities do not depend on it). Without ``for_`` the one symbol left is
        solved for. The answer is an admissible value (the model's constraints hold); see
        :func:`symcnn.solve_budget` for the guarantees. ``step`` (a positive rational such as
        ``Fraction(1, 20)``) answers on the grid ``step, 2*step, ...``, for a multiplier.

        >>> import symcnn as sc
        >>> sc.zoo.textbook.free_width().solve_budget(params=100_000)
        323
        """
        return model_solve_budget(self, for_, budgets, step=step)

    # -- a model is a layer too (nesting) -------------------------------------------------

    @property
    def n_inputs(self) -> int:  # type: ignore[override]
        return len(self.inputs)

    def check_input_shapes(self, input_shapes, name: str | None = None,
                           index: int | None = None) -> None:
        """Refuse a call on ``input_shapes`` as Keras refuses it (``name`` and ``index``: as
        a model lists this one, for the message, as :func:`~symcnn.layers.base.called_on`): an axis whose size is a
        number in the model's input and in the tensor must agree, and so must the number of
        axes (``Sequential([Input((9,)), Dense(4)])`` on a tensor of shape ``(8,)``; it was
        rebuilt on ``(8,)`` and counted 36). A symbolic size is a template: the model is
        rebuilt on what it receives (:meth:`rebuilt_on`), as are the later repetitions of a
        ``Repeat`` of a block that changes the channels.

        >>> import symcnn as sc
        >>> inner = sc.Sequential([sc.Input((9,)), sc.Dense(4)], name="inner")
        >>> inner(sc.Input((8,)))
        Traceback (most recent call last):
        ...
        symcnn.errors.ShapeError: Sequential layer 'inner' on input shape (8,): the tensor has 8 on axis 0, where the model's input has 9 in (9,) (Keras refuses this call too). Give the model's input a symbol for a size that takes several values (sc.Input(('n',))). Received: inputs=(8,)
        """
        for i, (declared, shape) in enumerate(zip(self.inputs, input_shapes)):
            old, new = tuple(declared.shape), tuple(shape)
            if len(old) != len(new):
                why = f"{len(new)} axes, where"
            else:
                axis = next((k for k, (a, b) in enumerate(zip(old, new))
                             if getattr(a, "is_Integer", False) and getattr(b, "is_Integer", False)
                             and a != b), None)
                if axis is None:
                    continue
                why = f"{new[axis]} on axis {axis}, where"
            which = f"the model's input {i}" if len(self.inputs) > 1 else "the model's input"
            has = f"{len(old)} axes" if len(old) != len(new) else f"{old[axis]}"
            raise ShapeError(
                f"{called_on(self, input_shapes, name, index)}: the tensor has {why} {which} has {has} in "
                f"{format_shape(old)} (Keras refuses this call too). Give the model's input a "
                f"symbol for a size that takes several values (sc.Input(('n',))). "
                f"Received: inputs={', '.join(format_shape(s) for s in input_shapes)}")

    def rebuilt_on(self, input_shapes) -> "Model":
        """This model on ``input_shapes``: itself when they are its own, else rebuilt (and
        kept, so that every analysis of a nested model shares one rebuild)."""
        key = tuple(tuple(s) for s in input_shapes)
        if key not in self._rebuilt:
            same = all(len(old.shape) == len(new) and all(
                arith.decide_equal(a, b) is True for a, b in zip(old.shape, new))
                for old, new in zip(self.inputs, key))
            rebuilt = self if same else self._replay([Input(s) for s in key], lambda layer: layer)
            if rebuilt is not self:  # its layers are this model's (a Repeat written out)
                object.__setattr__(rebuilt, "rebuilt_from", self.rebuilt_from or self)
            self._rebuilt[key] = rebuilt
        return self._rebuilt[key]

    def inner_graph(self, input_shapes):
        """A nested model runs itself once: ``(this model on these shapes, 1)``."""
        return self.rebuilt_on(input_shapes), 1

    def derivation_for(self, b, input_shapes, output_shape):
        """A nested model's derivation: its parameters as the sum of its layers'
        (``P_1 + P_2 + ...``, each layer named in a note) and what sets its output shape."""
        inner = self.rebuilt_on(input_shapes)
        prefix = f"{self.name}_" if self.name else ""

        def short(name: str) -> str:  # "stage_0_block_0_layernorm" in its block: "layernorm"
            return name[len(prefix):] if prefix and name.startswith(prefix) and \
                len(name) > len(prefix) else name

        records = inner._records  # its InputLayer neither counts nor changes a shape
        outs = [tuple(t.shape) for t in inner.outputs]
        keeps = len(input_shapes) == 1 and outs == [tuple(input_shapes[0])]
        changing = [(short(r.name), r.type) for r in records if len(r.input_shapes) == 1
                    and [tuple(t.shape) for t in r.node.outputs] != [tuple(r.input_shapes[0])]]
        stated = layers_sum(b, [(short(r.name), r.type, r.params, r.non_trainable_params)
                                for r in records])
        block_shape_note(b, keeps, changing)
        return stated

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        inner = self.rebuilt_on(input_shapes)
        check.constraints.extend(inner.constraints)
        return Computed(tuple(t.shape for t in inner.outputs), inner.trainable_params,
                        inner.non_trainable_params)

    def get_config(self) -> dict:
        return {"name": self.name}

    # -- Keras' methods; the printed forms come from _Printing (symcnn.model_printing) ----

    def count_params(self):
        """Total parameters, as Keras' ``count_params()``: an ``int`` when it is a number,
        else the closed form.

        >>> import symcnn as sc
        >>> sc.zoo.textbook.free_width().subs(n=10).count_params()
        49920
        """
        total = self.params
        return int(total) if total.is_Integer else total

    def to_keras(self):
        """A real Keras 3 model with the same shapes and counts, ready to compile and train
        (:func:`symcnn.interop.keras_export.to_keras`); every size must be a number."""
        from .interop.keras_export import to_keras  # Keras is imported only when called

        return to_keras(self)

    def to_torch(self):
        """A real ``torch.nn.Module`` (channels first) with the same shapes and counts
        (:func:`symcnn.interop.torch_export.to_torch`); every size must be a number."""
        import_framework("torch")  # or say how to install it
        from .interop.torch_export import to_torch  # imports PyTorch at its top

        return to_torch(self)

    def __repr__(self) -> str:
        """The class, name, ``len(model.layers)`` (a functional model's inputs among them, as
        Keras counts), the parameters and the output shape.

        >>> import symcnn as sc
        >>> sc.Sequential([sc.Input((8,)), sc.Dense(3)])
        <Sequential 'sequential': 1 layer, params=27, output_shape=(3,)>
        """
        count = len(self._listed)
        return (f"<{type(self).__name__} {self.display_name!r}: {count} "
                f"layer{'' if count == 1 else 's'}, params={show(self.params)}, "
                f"output_shape={format_shape(self.output_shape)}>")


def _subs_size(size, table):
    value = bounded_subs(size, table)  # no power too large to build (issue 15)
    return value


def _shapes_equal(inputs, shapes) -> bool:
    """Whether the model inputs ``inputs`` have the shapes ``shapes``, for every value."""
    return len(inputs) == len(shapes) and all(
        len(t.shape) == len(s) and all(arith.decide_equal(a, b) is True
                                       for a, b in zip(t.shape, s))
        for t, s in zip(inputs, shapes))


class Sequential(Model):
    """A stack of layers, each applied to the previous one's output (Keras ``Sequential``).

    The first element is ``sc.Input(shape)``. A model can be an element too (nesting).
    ``constraints`` and ``input_format`` are :class:`Model`'s.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 3), sc.ReLU()])
    >>> m.output_shape, m.params, m.constraints
    ((H - 2, W - 2, 8), 224, [H >= 3, W >= 3])
    """

    type_name = "Sequential"
    _default_name = "sequential"
    is_sequential = True

    def __init__(self, layers: Sequence, name: str | None = None, *,
                 constraints: Sequence = (), input_format: str | None = None) -> None:
        items = list(layers) if isinstance(layers, (list, tuple)) else None
        if isinstance(layers, (Tensor, Layer)):  # Sequential(sc.Input(...), sc.Conv2D(...))
            given = [layers] if name is None else [layers, name]
            raise GraphError(
                "Sequential: the layers go in one list, the first one sc.Input(shape): "
                "Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3), ...]) (PyTorch's "
                "sc.nn.Sequential takes them one by one). Received: "
                f"{', '.join(brief(g) for g in given)}"
            )
        if not items or not isinstance(items[0], Tensor):
            raise GraphError(
                "Sequential: the first element must be sc.Input(shape) (the shape without the "
                f"batch axis). Received: first element {brief(items[0] if items else layers)}"
            )
        x = items[0]
        namer = _Namer(l.name for l in items[1:] if isinstance(l, Layer) and l.name is not None)
        seen: dict = {}
        for index, layer in enumerate(items[1:]):
            if not isinstance(layer, Layer) or isinstance(layer, InputLayer):
                raise GraphError(
                    f"Sequential: element {index + 1} is not a layer. Received: {brief(layer)}"
                )
            if id(layer) not in seen:
                seen[id(layer)] = (namer.name(layer), len(seen))
            layer_name, layer_index = seen[id(layer)]
            layer.check_input_shapes([x.shape], layer_name, layer_index)
            node = apply_layer(layer, [x], name=layer_name, index=layer_index)
            if len(node.outputs) != 1:
                raise GraphError(
                    f"{describe_layer(layer.type_name, layer_name, layer_index)}: a Sequential layer "
                    f"must have one output. Received: {len(node.outputs)} outputs"
                )
            x = node.outputs[0]
        object.__setattr__(self, "_stack", tuple(items[1:]))
        Model.__init__(self, items[0], x, name=name, constraints=constraints,
                       input_format=input_format)

    def subs(self, mapping: dict | None = None, **values: Any) -> "Sequential":
        table = self._substitution(mapping, values)
        return self._substituted(table, template=False) if table else self

    def _substituted(self, table: dict, template: bool) -> "Sequential":
        """As :meth:`Model._substituted`, kept a ``Sequential`` of the same stack."""
        layers = self._layers_after(table, template)
        stated = self._stated_after(table)
        if template and self._unchanged(layers, stated):
            return self
        new_input = self._input_after(self.inputs[0], {} if template else table)
        return Sequential([new_input, *(layers[id(layer)] for layer in self._stack)],
                          name=self.name, constraints=stated, input_format=self.input_format)
