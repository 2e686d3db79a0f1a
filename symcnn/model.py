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

import dataclasses
from typing import Any, Iterable, Sequence

import sympy

from . import arith, memory
from .errors import GraphError, ShapeError, SymbolError, describe_layer, unexpected_arguments
from .frameworks import import_framework
from .layers.base import (Checker, Computed, Graph, Layer, Tensor, apply_layer, format_shape,
                          snake_case)
from .layers.core import Input, InputLayer
from .records import LayerRecord, _CostViews
from .render.latex import model_to_latex
from .render.markdown import model_to_markdown
from .solving import model_solve_budget
from .render import keras_summary
from .render.html import model_to_html
from .render.latex import model_array
from .render.exprs import show
from .suggest import did_you_mean
from .feasible import unsatisfiable
from .safe import bounded_subs
from .shape import Shape
from .symbols import as_size
from .training_memory import training_memory as _training_memory
from .multipliers import exact_value

__all__ = ["Model", "Sequential", "LayerRecord"]


class _Namer:
    """Keras-style automatic names, unique within one model: conv2d, conv2d_1, ..."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = set(taken)
        self.counts: dict = {}

    def name(self, layer: Layer) -> str:
        if layer.name is not None:
            return layer.name
        base = snake_case(layer.type_name) if not isinstance(layer, Model) else layer._default_name
        while True:
            k = self.counts.get(base, 0)
            self.counts[base] = k + 1
            candidate = base if k == 0 else f"{base}_{k}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def _as_list(value, what: str) -> list:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise GraphError(
            f"Model: `{what}` must be a tensor or a list of tensors from sc.Input(...) and "
            f"layer calls. Received: {what}={value!r}"
        )
    return items


class Model(_CostViews, Graph):
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
    """

    type_name = "Functional"
    _default_name = "functional"
    #: Printers lay out a Sequential without input rows and "Connected to" (as Keras does).
    is_sequential = False

    def __init__(self, inputs, outputs, name: str | None = None) -> None:
        Layer.__init__(self, name=name)
        ins = _as_list(inputs, "inputs")
        outs = _as_list(outputs, "outputs")
        for t in ins:
            if not isinstance(t.node.layer, InputLayer):
                raise GraphError(
                    f"Model: every input must come straight from sc.Input(...); "
                    f"{t!r} is the output of a {t.node.layer.type_name} layer. Received: inputs={inputs!r}"
                )
        object.__setattr__(self, "inputs", tuple(ins))
        object.__setattr__(self, "outputs", tuple(outs))
        object.__setattr__(self, "_single_input", not isinstance(inputs, (list, tuple)))
        object.__setattr__(self, "_single_output", not isinstance(outputs, (list, tuple)))
        object.__setattr__(self, "_rebuilt", {})  # this model on other input shapes, by shapes
        self._build_graph()

    # -- graph ------------------------------------------------------------------------------

    def _build_graph(self) -> None:
        nodes: dict = {}
        stack = [t.node for t in self.outputs]
        while stack:
            node = stack.pop()
            if id(node) in nodes:
                continue
            nodes[id(node)] = node
            stack.extend(t.node for t in node.inputs)
        ordered = sorted(nodes.values(), key=lambda n: n.order)
        given = {id(t.node) for t in self.inputs}
        for node in ordered:
            if isinstance(node.layer, InputLayer) and id(node) not in given:
                raise GraphError(
                    f"Model: the outputs depend on an input of shape "
                    f"{format_shape(node.outputs[0].shape)} that is not among the model's "
                    f"inputs (disconnected graph). Pass it in `inputs`."
                )
        input_nodes = [t.node for t in self.inputs]
        if len({id(n) for n in input_nodes}) != len(input_nodes):
            raise GraphError("Model: the same input tensor is given twice in `inputs`.")
        layer_nodes = [n for n in ordered if not isinstance(n.layer, InputLayer)]

        explicit = {}
        for node in layer_nodes:
            layer = node.layer
            if layer.name is not None:
                other = explicit.setdefault(layer.name, layer)
                if other is not layer:
                    raise GraphError(
                        f"Model: two different layers are both named {layer.name!r}; layer "
                        f"names must be unique within a model. Received: a {other.type_name} "
                        f"and a {layer.type_name} named {layer.name!r}"
                    )
        namer = _Namer(explicit)
        by_layer: dict = {}
        for node in layer_nodes:
            by_layer.setdefault(id(node.layer), []).append(node)
        names: dict = {}
        records = []
        for node in layer_nodes:
            key = id(node.layer)
            if key in names:
                continue
            names[key] = namer.name(node.layer)
        input_namer = _Namer(names.values())
        input_names = {id(n): input_namer.name(n.layer) for n in input_nodes}
        tensor_owner = {}
        for node in ordered:
            label = input_names.get(id(node)) or names.get(id(node.layer))
            for t in node.outputs:
                tensor_owner[id(t)] = label
        recorded: set = set()
        shared_weights: list = []
        # Keras lists a functional model's InputLayers first (model.layers[1] is the first
        # real layer); a Sequential lists none.
        inputs = () if self.is_sequential else tuple(
            LayerRecord(i, input_names[id(n)], n.layer, (n,), (), self)
            for i, n in enumerate(input_nodes))
        offset = len(inputs)
        for node in layer_nodes:
            key = id(node.layer)
            if key in recorded:
                continue
            recorded.add(key)
            calls = tuple(by_layer[key])
            first = calls[0]
            for later in calls[1:]:
                pairs = ((first.computed.trainable, later.computed.trainable),
                         (first.computed.non_trainable, later.computed.non_trainable))
                verdicts = [arith.decide_equal(a, b) for a, b in pairs]
                # undecided (sizes equal only for some symbol values): a recorded constraint
                shared_weights.extend(sympy.Eq(a, b) for (a, b), v in zip(pairs, verdicts)
                                      if v is None)
                if False in verdicts:
                    raise GraphError(
                        f"{describe_layer(node.layer.type_name, names[key])}: a shared layer is "
                        f"reused with incompatible inputs (its weights would differ). Received: "
                        f"input shapes {format_shape(first.input_shapes[0])} and "
                        f"{format_shape(later.input_shapes[0])}"
                    )
            inbound = tuple(tensor_owner.get(id(t), "?") for t in first.inputs)
            records.append(LayerRecord(len(records) + offset, names[key], node.layer, calls,
                                       inbound, self))

        constraints = arith.ConstraintSet(shared_weights)
        for node in ordered:
            try:
                constraints.update(node.constraints)
            except arith.Infeasible:
                owner = names.get(id(node.layer), "input")
                raise ShapeError(
                    f"{describe_layer(node.layer.type_name, owner)}: its conditions on the "
                    f"symbols contradict earlier ones, so no input size is valid. Received: "
                    f"{', '.join(map(str, node.constraints))} with "
                    f"{', '.join(map(str, constraints.as_list()))}"
                ) from None
        problem = unsatisfiable(constraints.as_list())  # say so now, not at the first subs
        if problem is not None:
            raise ShapeError(f"Model: the model accepts no input size: {problem}. Received: "
                             f"input shape(s) {', '.join(format_shape(t.shape) for t in self.inputs)}")
        object.__setattr__(self, "_nodes", tuple(ordered))
        object.__setattr__(self, "_records", tuple(records))
        object.__setattr__(self, "_input_names", tuple(input_names[id(n)] for n in input_nodes))
        listed = tuple(dataclasses.replace(r, index=i)  # index = position in model.layers
                       for i, r in enumerate(_keras_order(ordered, inputs, records)))
        object.__setattr__(self, "_listed", listed)
        object.__setattr__(self, "_records", tuple(r for r in listed if r.node.layer
                                                   not in {i.layer for i in inputs}))
        object.__setattr__(self, "_input_records", tuple(r for r in listed if r not in
                                                         self._records))
        object.__setattr__(self, "_constraints", constraints)

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

    def get_layer(self, name: str) -> LayerRecord:
        """The record of the layer called ``name``."""
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
            totals[attr] = sympy.expand(sympy.Add(*(getattr(r, attr) for r in self._records)))
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
        """Every symbol in the model's shapes, counts and constraints (a new set each time;
        computed once per model, which never changes)."""
        known = self.__dict__.get("_free_symbols")
        if known is None:  # issue 16: sweeps and solves ask on every call
            out: set = set()
            for node in self._nodes:
                for t in node.outputs:
                    for d in t.shape:
                        out |= d.free_symbols
                out |= node.computed.params.free_symbols
            for c in self.constraints:
                out |= c.free_symbols
            known = frozenset(out)
            object.__setattr__(self, "_free_symbols", known)
        return set(known)

    # -- transformation ---------------------------------------------------------------------

    def subs(self, mapping: dict | None = None, **values: Any) -> "Model":
        """The model with symbols replaced, rebuilt (and so re-checked) layer by layer.

        Keys are symbols or their names; values are ints or expressions.
        """
        table = self._substitution(mapping, values)
        if not table:
            return self
        cache: dict = {}

        def new_layer(layer: Layer) -> Layer:
            if id(layer) not in cache:
                cache[id(layer)] = layer.subs(table)
            return cache[id(layer)]

        new_inputs = [Input(tuple(_subs_size(d, table) for d in t.shape), name=t.node.layer.name)
                      for t in self.inputs]
        return self._replay(new_inputs, new_layer, name=self.name)

    def _substitution(self, mapping: dict | None, values: dict) -> dict:
        items = dict(mapping or {})
        items.update(values)
        symbols = self.free_symbols
        by_name = {s.name: s for s in symbols}
        table = {}
        for key, value in items.items():
            if isinstance(key, str):
                if key not in by_name:
                    raise SymbolError(
                        f"Model {self.display_name!r}: no symbol named {key!r} to substitute. "
                        f"Free symbols: {', '.join(sorted(by_name)) or 'none'}. "
                        f"Received: {key}={value!r}"
                    )
                key = by_name[key]
            elif not isinstance(key, sympy.Symbol):
                raise SymbolError(f"subs: keys must be symbols or their names. Received: {key!r}")
            owner = f"Model {self.display_name!r} subs"
            exact = as_size if key.is_integer else exact_value  # a multiplier: 0.75 is 3/4
            table[key] = exact(value, str(key), owner)
        return table

    def _replay(self, new_inputs: Sequence[Tensor], new_layer, name=None) -> "Model":
        """Rebuild the graph on ``new_inputs`` with ``new_layer(layer)`` for each layer."""
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
                     outs[0] if self._single_output else outs, name=name)

    # -- solving (symcnn.solving) -----------------------------------------------------------

    def solve_budget(self, for_=None, **budgets: Any):
        """The largest value of the symbol ``for_`` keeping each named quantity in budget.

        Keywords naming a quantity (``params``, ``trainable_params``, ``macs``, ``flops``, ...)
        are budgets; keywords naming one of the model's symbols fix it (``H=224``). Without
        ``for_`` the one symbol left is solved for. The answer is an admissible value (the
        model's constraints hold); see :func:`symcnn.solve_budget` for the guarantees.

        >>> import symcnn as sc
        >>> sc.zoo.textbook.free_width().solve_budget(params=100_000)
        323
        """
        return model_solve_budget(self, for_, budgets)

    # -- a model is a layer too (nesting) -------------------------------------------------

    @property
    def n_inputs(self) -> int:  # type: ignore[override]
        return len(self.inputs)

    def rebuilt_on(self, input_shapes) -> "Model":
        """This model on ``input_shapes``: itself when they are its own, else rebuilt (and
        kept, so that every analysis of a nested model shares one rebuild)."""
        key = tuple(tuple(s) for s in input_shapes)
        if key not in self._rebuilt:
            same = all(len(old.shape) == len(new) and all(
                arith.decide_equal(a, b) is True for a, b in zip(old.shape, new))
                for old, new in zip(self.inputs, key))
            self._rebuilt[key] = self if same else self._replay(
                [Input(s) for s in key], lambda layer: layer)
        return self._rebuilt[key]

    def inner_graph(self, input_shapes):
        """A nested model runs itself once: ``(this model on these shapes, 1)``."""
        return self.rebuilt_on(input_shapes), 1

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        inner = self.rebuilt_on(input_shapes)
        check.constraints.extend(inner.constraints)
        return Computed(tuple(t.shape for t in inner.outputs), inner.trainable_params,
                        inner.non_trainable_params)

    def get_config(self) -> dict:
        return {"name": self.name}

    # -- rendering ----------------------------------------------------------------------------

    def summary(self, columns=None, line_length: int | None = None, positions=None,
                print_fn=None, expand_nested: bool = False, show_trainable: bool = False,
                layer_range=None, where: bool = False, **unknown: Any) -> None:
        """Print a table like Keras' ``model.summary()``, closed forms included; returns None.

        Keras' options: ``line_length``, ``positions``, ``print_fn`` (called once with the
        whole text; default ``print``), ``expand_nested``, ``show_trainable``,
        ``layer_range``; symcnn's: ``columns`` (e.g. ``["layer", "output_shape", "params",
        "working", "macs"]``) and ``where`` (name recurring rounding parts under the table).
        :meth:`summary_text` returns the text, :meth:`summary_data` the cells and totals
        (:mod:`symcnn.render.keras_summary`).
        """
        if unknown:
            raise unexpected_arguments("summary", unknown, ("print_fn", *_SUMMARY_OPTIONS))
        text = keras_summary.render_summary(
            self, columns=columns, line_length=line_length, positions=positions,
            expand_nested=expand_nested, show_trainable=show_trainable,
            layer_range=layer_range, where=where)
        (print_fn or print)(text)

    def summary_text(self, **options: Any) -> str:
        """The text :meth:`summary` prints, returned instead (same options but ``print_fn``).

        >>> import symcnn as sc
        >>> print(sc.zoo.textbook.free_width().summary_text().splitlines()[-3])
        Total params: 160*n + 48320
        """
        error = unexpected_arguments("summary_text", options, _SUMMARY_OPTIONS)
        if error is not None:
            raise error
        return keras_summary.render_summary(self, **options)

    def summary_data(self, **options: Any):
        """The rows, totals and notes of the summary, before layout
        (:class:`symcnn.render.keras_summary.SummaryData`)."""
        return keras_summary.summary_data(self, **options)

    def count_params(self):
        """Total parameters, as Keras' ``count_params()``: an ``int`` when it is a number,
        else the closed form.

        >>> import symcnn as sc
        >>> sc.zoo.textbook.free_width().subs(n=10).count_params()
        49920
        """
        total = self.params
        return int(total) if total.is_Integer else total

    def to_latex(self, style: str = "table", standalone: bool = False, **options: Any) -> str:
        """LaTeX for lecture notes and theses (:func:`symcnn.render.latex.model_to_latex`).

        ``style="table"``: a booktabs table (layer, type, output shape, parameters as
        working = value, totals); ``style="derivation"``: an ``align*`` block per layer with
        formula, working and value. ``standalone=True`` gives a complete pdflatex document.
        Options: ``assume_divisible={"H": 32}``, ``caption``, ``label``.
        """
        return model_to_latex(self, style=style, standalone=standalone, **options)

    def to_markdown(self, style: str = "table", **options: Any) -> str:
        """A GitHub Markdown table (or per-layer derivations) of the model
        (:func:`symcnn.render.markdown.model_to_markdown`); ``math=True`` writes ``$...$``."""
        return model_to_markdown(self, style=style, **options)

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

    def to_html(self, style: str = "table", standalone: bool = True, **options: Any) -> str:
        """HTML with MathML (:func:`symcnn.render.html.model_to_html`): ``style="table"`` or
        ``"derivation"``; ``standalone=True`` is one self-contained page (no script, nothing
        fetched), ``False`` a fragment. Options: ``assume_divisible``, ``columns``."""
        return model_to_html(self, style=style, standalone=standalone, **options)

    def _repr_html_(self) -> str:  # Jupyter: the table, MathML
        return model_to_html(self, standalone=False)

    def _repr_latex_(self) -> str:  # the same table as one MathJax-friendly array
        return model_array(self)

    def _repr_markdown_(self) -> str:
        return model_to_markdown(self, math=True)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.display_name!r}: {len(self._records)} layers, "
                f"params={show(self.params)}, output_shape={format_shape(self.output_shape)}>")


#: The options of ``summary`` and ``summary_text`` (besides ``print_fn``).
_SUMMARY_OPTIONS = ("columns", "line_length", "positions", "expand_nested", "show_trainable",
                    "layer_range", "where")


def _keras_order(nodes, inputs, records) -> tuple:
    """Records in Keras' order: each InputLayer just before the first layer that lies
    nearer the outputs than it does (Keras lists operations by depth from the outputs)."""
    if not inputs:
        return tuple(records)
    depth: dict = {}
    for node in reversed(nodes):  # consumers come after their producers
        depth.setdefault(id(node), 0)
        for t in node.inputs:
            depth[id(t.node)] = max(depth.get(id(t.node), 0), depth[id(node)] + 1)
    listed, pending = [], sorted(inputs, key=lambda r: -depth.get(id(r.node), 0))
    for record in records:
        level = max(depth.get(id(n), 0) for n in record.nodes)
        while pending and depth.get(id(pending[0].node), 0) > level:
            listed.append(pending.pop(0))
        listed.append(record)
    return tuple(listed + pending)


def _subs_size(size, table):
    value = bounded_subs(size, table)  # no power too large to build (issue 15)
    return value


class Sequential(Model):
    """A stack of layers, each applied to the previous one's output (Keras ``Sequential``).

    The first element is ``sc.Input(shape)``. A model can be an element too (nesting).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 3), sc.ReLU()])
    >>> m.output_shape, m.params, m.constraints
    ((H - 2, W - 2, 8), 224, [H >= 3, W >= 3])
    """

    type_name = "Sequential"
    _default_name = "sequential"
    is_sequential = True

    def __init__(self, layers: Sequence, name: str | None = None) -> None:
        items = list(layers) if isinstance(layers, (list, tuple)) else None
        if not items or not isinstance(items[0], Tensor):
            raise GraphError(
                "Sequential: the first element must be sc.Input(shape) (the shape without the "
                f"batch axis). Received: first element {items[0] if items else layers!r}"
            )
        x = items[0]
        namer = _Namer(l.name for l in items[1:] if isinstance(l, Layer) and l.name is not None)
        seen: dict = {}
        for index, layer in enumerate(items[1:]):
            if not isinstance(layer, Layer) or isinstance(layer, InputLayer):
                raise GraphError(
                    f"Sequential: element {index + 1} is not a layer. Received: {layer!r}"
                )
            if id(layer) not in seen:
                seen[id(layer)] = (namer.name(layer), len(seen))
            layer_name, layer_index = seen[id(layer)]
            node = apply_layer(layer, [x], name=layer_name, index=layer_index)
            if len(node.outputs) != 1:
                raise GraphError(
                    f"{describe_layer(layer.type_name, layer_name, layer_index)}: a Sequential layer "
                    f"must have one output. Received: {len(node.outputs)} outputs"
                )
            x = node.outputs[0]
        object.__setattr__(self, "_stack", tuple(items[1:]))
        Model.__init__(self, items[0], x, name=name)

    def subs(self, mapping: dict | None = None, **values: Any) -> "Sequential":
        table = self._substitution(mapping, values)
        if not table:
            return self
        cache: dict = {}
        layers = []
        for layer in self._stack:
            if id(layer) not in cache:
                cache[id(layer)] = layer.subs(table)
            layers.append(cache[id(layer)])
        x = self.inputs[0]
        new_input = Input(tuple(_subs_size(d, table) for d in x.shape), name=x.node.layer.name)
        return Sequential([new_input, *layers], name=self.name)
