"""Training memory as a closed form: weights, gradients, optimizer state and activations.

One training step of a model keeps, in bytes at ``dtype``:

* **weights**: every parameter, trainable or not (BatchNorm's moving statistics included);
* **gradients**: one value per trainable weight;
* **optimizer state**: per trainable weight, 0 values for plain SGD, 1 for SGD with momentum
  (the momentum buffer), 2 for Adam and AdamW (the first and second moments);
* **activations**: the tensors the forward pass keeps for the backward pass, as PyTorch's
  eager autograd keeps them in training mode: each layer states them through the layer
  protocol (:mod:`symcnn.layers.saved`), and a tensor kept by several layers (a ReLU's
  output, which the next convolution keeps as its input) counts once. The model's input
  counts when a layer keeps it (the first convolution does). As in PyTorch, a layer that no
  gradient flows through (none of its inputs requires one and it has no trainable weights: a
  pooling of the model's input, a frozen layer before any trainable one) keeps nothing;
  what a layer keeps only for its weights' gradient (a ``Dense``'s input), only where its
  input requires a gradient (the reflection pad before a PyTorch convolution keeps its
  input) or only in one mode (Keras' frozen batch normalization runs in inference mode) is
  decided per call (``Kept.when``), and a layer whose tensors depend on which of its inputs
  require a gradient (a product keeps each factor for the other's gradient) or are one
  tensor (self-attention) reads them from the call (:class:`~symcnn.layers.saved.Call`).
  Batch statistics of a batch normalization and the merged kernel of a LoRA layer
  (:mod:`symcnn.layers.lora`) do not grow with the batch; everything else is per example,
  times ``batch``.

A ``Repeat`` of a block with a numeric count is counted in a time independent of the count:
its repetitions are walked until one starts from a state an earlier one started from (its
input's layout and the part of it already kept), and the rest are counted from the walked ones
(:func:`_run_repeated`).

The batch size is a symbol like any other (``B`` unless given), so "the largest batch that
trains in 24 GiB" is :func:`symcnn.solve_budget` on :attr:`TrainingMemory.total`. What the
figure leaves out: the allocator's rounding and caching, workspace buffers (cuDNN, im2col),
the CUDA context, the loss and the data loader, and the per-tensor step counters of Adam (a
few bytes per parameter tensor); the gradients of activations exist only briefly during
backward and are not counted either.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.ReLU(), sc.Flatten(),
...                    sc.Dense(10)])
>>> mem = training_memory(m, batch="B", optimizer="adam")
>>> mem.weights, mem.gradients, mem.optimizer_state
(6248, 6248, 12496)
>>> mem.activations      # the input (192) and the ReLU's output (144) per example, float32
1344*B
>>> mem.total
1344*B + 24992
>>> sc.solve_budget(mem.total, 2**20, "B")
761
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .costs import dtype_bytes, elements, inner_model
from .errors import SUBS_HINT, CostError
from .layers.core import InputLayer
from .layers.layout import as_read_by, input_layout, is_stepped, output_layouts, stepped
from .layers.repeat import MAX_LAYER_CALLS, unrolled_calls
from .layers.saved import Call, resolve, takes_call
from .layers.views import both, either
from .safe import bounded_subs
from .substitution import conditions_after, substitution_table
from .symbols import as_size, size_symbol

__all__ = ["training_memory", "TrainingMemory", "OPTIMIZER_STATES"]

#: Values of optimizer state per trainable weight.
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


@dataclass(frozen=True)
class TrainingMemory:
    """The memory of one training step, each figure in bytes (a closed form).

    ``layers`` lists ``(name, type, bytes)`` per layer call: the activation bytes that call
    adds (a tensor kept by two layers is counted at the first). A ``Repeat`` whose
    repetitions recur adds one row of its own with the repetitions not walked one by one; a
    symbolic count, one row for all of them.
    """

    batch: sympy.Expr
    optimizer: str
    dtype: str
    weights: sympy.Expr
    gradients: sympy.Expr
    optimizer_state: sympy.Expr
    activations: sympy.Expr
    layers: tuple
    #: the model's constraints, which :meth:`subs` keeps (``H >= 3``)
    constraints: tuple = ()

    @property
    def total(self) -> sympy.Expr:
        """``weights + gradients + optimizer_state + activations``."""
        return sympy.expand(self.weights + self.gradients + self.optimizer_state
                            + self.activations)

    def subs(self, mapping=None, **values) -> "TrainingMemory":
        """Every figure with symbols replaced (``mem.subs(B=32)`` or ``mem.subs({B: 32})``),
        checked as :meth:`symcnn.Model.subs` checks (:mod:`symcnn.substitution`): a name
        that no figure has, a batch or size that is not a positive integer, and values that
        break one of the model's ``constraints`` are refused.

        >>> import symcnn as sc
        >>> m = sc.Sequential([sc.Input(("H", 8, 3)), sc.Conv2D(4, 3)])
        >>> mem = m.training_memory(optimizer="sgd")
        >>> mem.subs(B=2, H=10).activations   # the input: 10*8*3 values per example, 4 bytes
        1920
        >>> mem.subs(H=2)
        Traceback (most recent call last):
        ...
        symcnn.errors.ShapeError: TrainingMemory subs: its closed forms hold only where H >= 3, which these values break. Received: H=2
        """
        figures = (self.batch, self.weights, self.gradients, self.optimizer_state,
                   self.activations, *(b for _, _, b in self.layers), *self.constraints)
        symbols = set().union(*(sympy.sympify(f).free_symbols for f in figures))
        table = substitution_table("TrainingMemory", symbols, mapping, values)
        if not table:
            return self
        kept = tuple(conditions_after(self.constraints, table, "TrainingMemory subs"))

        def put(e):
            return sympy.expand(bounded_subs(sympy.sympify(e), table, "TrainingMemory subs"))

        return TrainingMemory(put(self.batch), self.optimizer, self.dtype, put(self.weights),
                              put(self.gradients), put(self.optimizer_state),
                              put(self.activations),
                              tuple((n, t, put(b)) for n, t, b in self.layers), kept)

    def __repr__(self) -> str:
        return (f"TrainingMemory(batch={self.batch}, optimizer={self.optimizer!r}, "
                f"dtype={self.dtype!r}, total={self.total})")


def _optimizer(optimizer) -> str:
    key = optimizer.lower() if isinstance(optimizer, str) else None  # a list is no name
    if key not in OPTIMIZER_STATES:
        raise CostError(f"training_memory: `optimizer` must be one of "
                        f"{', '.join(repr(k) for k in OPTIMIZER_STATES)}. "
                        f"Received: optimizer={optimizer!r}")
    return key


class _Tally:
    """The activation bytes kept, tensor by tensor, while the model is walked."""

    def __init__(self, batch, nbytes: int) -> None:
        self.batch, self.nbytes = batch, nbytes
        self.next_key = 0         # tensors are numbered in the order they are made
        self.size: dict = {}      # key -> elements per example
        self.kept: dict = {}      # key -> fraction counted so far (1, or Min(L, 1))
        self.rows: list = []
        self.layouts: dict = {}   # id(tensor) -> its Layout, or None (symcnn.layers.layout)
        self.grad: dict = {}      # key -> whether the tensor requires a gradient

    def requires_grad(self, key) -> bool:
        """Whether tensor ``key`` requires a gradient (a view or a copy of one: either)."""
        if isinstance(key, tuple):
            return any(self.requires_grad(k) for k, _ in key)
        return self.grad.get(key, True)

    def set_grad(self, key, grad: bool) -> None:
        if isinstance(key, tuple):
            for k, _ in key:
                self.set_grad(k, grad)
        else:
            self.grad[key] = grad

    def fresh(self, shape) -> int:
        key = self.next_key
        self.next_key += 1
        self.size[key] = elements(shape)
        return key

    def view_or_copy(self, key, copy, shape):
        """The output of a view layer of input ``key``: ``key`` itself where ``copy`` is 0, a
        new tensor where it is 1, else both, each where it is the one (``((key, 1 - copy),
        (new, copy))``: a copy from batch 2 on)."""
        copy = sympy.expand(copy)
        if copy == 0:
            return key
        new = self.fresh(shape)
        return new if copy == 1 else ((key, sympy.expand(1 - copy)), (new, copy))

    def keep(self, key, factor=sympy.Integer(1)) -> sympy.Expr:
        """Count tensor ``key`` (``factor`` of it: 1, or 1 at some sizes and 0 at the
        others); the bytes added."""
        if isinstance(key, tuple):  # a view or a copy, depending on the sizes
            return sympy.expand(sum((self.keep(k, both(factor, f)) for k, f in key),
                                    sympy.Integer(0)))
        before = self.kept.get(key, sympy.Integer(0))
        after = either(before, factor)
        if after == before:
            return sympy.Integer(0)
        self.kept[key] = after
        return sympy.expand((after - before) * self.batch * self.size[key] * self.nbytes)


def _applies(kept, trains: bool, off: bool, grads) -> bool:
    """Whether an entry (:class:`~symcnn.layers.saved.Kept`, its condition ``when``) is kept by
    a call whose weights train (``trains``), whose ``trainable`` flag, or that of a model or
    ``Repeat`` it runs in, is off (``off``), and whose inputs require a gradient or not
    (``grads``, per input)."""
    when = kept.when
    return when is None or (when == "weights" and trains) or (when == "frozen" and off) or \
        (when == "unfrozen" and not off) or (when == "grad" and grads[kept.index])


def _layer_kept(layer, node, where: str, tally: _Tally, layouts: list, grads: list,
                trains: bool, off: bool) -> tuple:
    """What a call keeps (the layer's ``saved_for_backward``, with its conditions decided,
    and the merged kernel of LoRA), resolved against the inputs' layouts."""
    method = getattr(layer, "saved_for_backward", None)
    if method is None:
        raise CostError(f"training_memory: {where} ({layer.type_name}) does not state what it "
                        f"keeps for backward; a layer states it with a "
                        f"saved_for_backward(input_shapes, output_shapes) method "
                        f"(symcnn.layers.saved). Received: a {layer.type_name} layer")
    outputs = [t.shape for t in node.outputs]
    if takes_call(method):  # what it keeps depends on the call's inputs (layers.saved.Call)
        same = tuple(next(j for j, u in enumerate(node.inputs) if u is t) for t in node.inputs)
        stated = method(node.input_shapes, outputs, call=Call(tuple(grads), same))
    else:
        stated = method(node.input_shapes, outputs)
    kept = tuple(k for k in stated if _applies(k, trains, off, grads))
    lora = getattr(layer, "lora_saved_for_backward", None)  # the merged kernel (layers.lora)
    if lora is not None:
        kept += tuple(lora(layouts, node.input_shapes, grads))
    return resolve(kept, layouts, node.input_shapes, tally.batch)


def _output_copy(layer, node, where: str, layouts: list, batch) -> sympy.Expr:
    """Where the output of a view layer is a copy of its input in PyTorch (1) and where it
    is its input's storage (0): the layer's ``output_copy_for`` (which sees a
    :class:`~symcnn.layers.layout.Cut` only where it reads them), with the layer named in
    its errors."""
    method = layer.output_copy_for
    try:
        return method(as_read_by(method, layouts), node.input_shapes,
                      [t.shape for t in node.outputs], batch)
    except CostError as err:
        raise CostError(f"training_memory: {where} ({layer.type_name}): {err}") from None


def _trains(node, frozen: bool) -> bool:
    """Whether a layer call's weights train: it has trainable weights, and it does not run
    inside a nested model or ``Repeat`` call without any (``frozen``)."""
    return not frozen and sympy.sympify(node.computed.trainable) != 0


def _flows(ins, tally: _Tally, trains: bool) -> bool:
    """Whether a gradient flows through a layer call: one of its inputs requires one, or its
    weights train (``trains``, :func:`_trains`)."""
    return trains or any(tally.requires_grad(k) for k in ins)


def _run(model, keys: dict, tally: _Tally, prefix: str, frozen: bool = False,
         off: bool = False) -> None:
    """Walk ``model``'s layer calls, ``keys`` mapping its input tensors to the tally's;
    ``frozen`` where the model runs inside a nested call without trainable weights, ``off``
    inside one whose ``trainable`` flag is off (Keras freezes every layer in it)."""
    names = {id(r.layer): r.name for r in model._records}
    for node in model.nodes:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        name = prefix + names.get(id(layer), layer.type_name)
        ins = [keys[id(t)] for t in node.inputs]
        nested = inner_model(node)
        if nested is not None:
            inner, times = nested
            # the inner layers' own weights are frozen where the call has none trainable
            inner_frozen = not _trains(node, frozen)
            inner_off = off or not layer.trainable
            if not sympy.sympify(times).is_Integer:  # a Repeat with a symbolic count
                _run_repeat(inner, times, node, ins, keys, tally, name, inner_frozen, inner_off)
                continue
            lays = [tally.layouts.get(id(t)) for t in node.inputs]
            ins, lays = _run_repeated(inner, int(times), ins, lays, tally, name, node.layer,
                                      inner_frozen, inner_off)
            for t, k in zip(node.outputs, ins):
                keys[id(t)] = k
            tally.layouts.update(zip(map(id, node.outputs), lays))
            continue
        layouts = [tally.layouts.get(id(t)) for t in node.inputs]
        trains = _trains(node, frozen)
        flows = _flows(ins, tally, trains)
        copy = None
        if getattr(layer, "output_is_view", False):
            copy = _output_copy(layer, node, repr(name), layouts, tally.batch)
            outs = [tally.view_or_copy(ins[0], copy, t.shape) for t in node.outputs]
        else:
            outs = [tally.fresh(t.shape) for t in node.outputs]
        for t, k in zip(node.outputs, outs):
            keys[id(t)] = k
            tally.set_grad(k, flows)
        added = sympy.Integer(0)
        # PyTorch records no backward, and keeps nothing, for an operation that no gradient
        # flows through (a pooling of the model's input, a frozen layer before any trainable
        # one): 0 exactly, whatever the layer would keep
        grads = [tally.requires_grad(k) for k in ins]
        off_here = off or not layer.trainable
        for kept in _layer_kept(layer, node, repr(name), tally, layouts, grads, trains,
                                off_here) if flows else ():
            if kept.source == "new":
                count = kept.elements * (tally.batch if kept.per_example else 1)
                nbytes = tally.nbytes if kept.dtype is None else dtype_bytes(kept.dtype)
                added += count * nbytes
            else:
                added += tally.keep((ins if kept.source == "input" else outs)[kept.index],
                                    kept.factor)
        tally.rows.append((name, layer.type_name, sympy.expand(added)))
        lays = output_layouts(layer, node, layouts)
        if copy is not None and is_stepped(layouts[0]):
            lays = tuple(_stepped_view(lay, copy) for lay in lays)
        tally.layouts.update(zip(map(id, node.outputs), lays))


def _stepped_view(stated, copy):
    """The layout of a view layer's output on a :class:`~symcnn.layers.layout.Stepped` input:
    stepped too where it is a view of it (``copy`` 0), what the layer states where it copies
    (1), not stated where that depends on the sizes."""
    copy = sympy.sympify(copy)
    if copy == 0:
        return stepped(stated)
    return stated if copy == 1 else None


#: Most repetitions of a block walked one by one while looking for the state that recurs
#: (see :func:`_run_repeated`); a block's state recurs after two in practice (three where a
#: layout alternates, as a transpose of a square map does).
MAX_WALKED_REPETITIONS = 64


def _entry_state(tally: _Tally, ins, lays, first_key: int) -> tuple:
    """What a repetition's walk depends on, with the tensors made inside the ``Repeat``
    (keys from ``first_key`` on) renamed in order of appearance: its inputs' layouts and, per
    input (a view of one tensor, or a copy of it at some sizes), each tensor's part kept so far,
    size and whether it requires a gradient. Two repetitions that start from equal states add
    the same bytes and end in equal states; tensors from before the ``Repeat`` keep their own
    keys."""
    names: dict = {}

    def canonical(key):
        if isinstance(key, tuple):  # ((view, part), (copy, part))
            return tuple((canonical(k), part) for k, part in key)
        label = ("before", key) if key < first_key else \
            ("inside", names.setdefault(key, len(names)))
        return label, tally.kept.get(key, sympy.Integer(0)), tally.size[key], \
            tally.requires_grad(key)

    return tuple(canonical(k) for k in ins), tuple(lays)


def _run_repeated(inner, times: int, ins, lays, tally: _Tally, name: str, layer,
                  frozen: bool = False, off: bool = False) -> tuple:
    """``times`` repetitions of ``inner`` on inputs ``ins`` laid out as ``lays``, in time
    independent of ``times``: ``(output keys, output layouts)``.

    Each repetition's walk is a function of the state it starts from (:func:`_entry_state`),
    which need not be the same for all: the first sees the incoming layout (a transposed
    view, say) and the Repeat's input, the second the block's own output layout and the
    first one's output. So repetitions are walked one by one until a state recurs: if
    repetition ``k`` starts as repetition ``j < k`` did, repetitions ``j..k-1`` repeat to the
    end (period ``k - j``: 1 for a block that keeps its layout, where the third starts as
    the second did; 2 for one that transposes a square map). The whole periods left are
    counted from the walked ones (one row for the ``Repeat``, after the rows of the walked
    repetitions), and the rest of a period is walked, ending in the state the last repetition
    ends in. Tensors from before the ``Repeat`` that a period touches are kept alike at its
    start and end, hence throughout (what is kept only grows), so every period adds the same.
    """
    first_key, seen, added = tally.next_key, {}, []
    done = 0
    while done < times:
        if done < MAX_WALKED_REPETITIONS:
            state = _entry_state(tally, ins, lays, first_key)
            if state in seen:
                break
            seen[state] = done
        elif times * unrolled_calls(inner) > MAX_LAYER_CALLS:
            raise CostError(f"training_memory: {name!r} ({layer.type_name}) repeats a block "
                            f"whose tensors kept for backward settle into no cycle within "
                            f"{MAX_WALKED_REPETITIONS} repetitions, and its {times:,} "
                            f"repetitions are more than the {MAX_LAYER_CALLS:,} layer calls "
                            f"symcnn writes out one by one; give a smaller count. "
                            f"Received: times={times}")
        ins, lays, bytes_ = _walk_once(inner, ins, lays, tally, name, frozen, off)
        added.append(bytes_)
        done += 1
    else:
        return ins, lays
    start = seen[state]
    period = done - start
    cycles, rest = divmod(times - done, period)
    if cycles:
        tally.rows.append((name, layer.type_name,
                           sympy.expand(cycles * sympy.Add(*added[start:done]))))
    for _ in range(rest):  # the same state as after ``cycles`` more periods
        ins, lays, _ = _walk_once(inner, ins, lays, tally, name, frozen, off)
    return ins, lays


def _walk_once(inner, ins, lays, tally: _Tally, name: str, frozen: bool = False,
               off: bool = False) -> tuple:
    """One repetition: ``(output keys, output layouts, activation bytes it added)``."""
    rows_before = len(tally.rows)
    sub = {id(t): k for t, k in zip(inner.inputs, ins)}
    tally.layouts.update(zip(map(id, inner.inputs), lays))
    _run(inner, sub, tally, name + "/", frozen, off)
    return ([sub[id(t)] for t in inner.outputs],
            [tally.layouts.get(id(t)) for t in inner.outputs],
            sympy.Add(*(b for _, _, b in tally.rows[rows_before:])))


def _probe(inner, tally: _Tally, name: str, layout, grad: bool, frozen: bool,
           off: bool) -> tuple:
    """One repetition of ``inner`` on an input laid out as ``layout`` that requires a
    gradient or not (``grad``), on a tally of its own: ``(tally, input key, output key,
    output layout)``."""
    probe = _Tally(tally.batch, tally.nbytes)
    start = probe.fresh(inner.input_shape)
    probe.set_grad(start, grad)
    sub = {id(inner.inputs[0]): start}
    probe.layouts[id(inner.inputs[0])] = layout
    _run(inner, sub, probe, name + "/", frozen, off)
    return probe, start, sub[id(inner.outputs[0])], probe.layouts.get(id(inner.outputs[0]))


def _walked(probed: tuple) -> tuple:
    """What a probe found that the count multiplies: the bytes of its rows, the parts kept
    of its input and output, and the output's layout; equal for two repetitions that add the
    same."""
    probe, start, end, laid_out = probed
    kept = [sympy.expand(probe.kept.get(k, 0)) for k in (start, end) if not isinstance(k, tuple)]
    return sympy.expand(sum(b for _, _, b in probe.rows)), tuple(kept), laid_out


def _run_repeat(inner, times, node, ins, keys, tally: _Tally, name: str,
                frozen: bool = False, off: bool = False) -> None:
    """``times`` (a symbol) repetitions of a shape-keeping block: one repetition is walked,
    its own tensors counted ``times`` times and the tensors between repetitions once each."""
    if len(inner.inputs) != 1 or inner.output_shape != inner.input_shape:
        raise CostError(f"training_memory: {name!r} repeats a block that changes the shape "
                        f"a symbolic number of times; substitute the count "
                        f"{SUBS_HINT}. "
                        f"Received: times={times}")
    arriving, grad = tally.layouts.get(id(node.inputs[0])), tally.requires_grad(ins[0])
    probe, start, end, laid_out = _probe(inner, tally, name, arriving, grad, frozen, off)
    out_grad = probe.requires_grad(end)
    if out_grad != grad and sympy.sympify(times).is_positive is not True:
        raise CostError(f"training_memory: {name!r} repeats a block with trainable weights on "
                        f"an input that requires no gradient (the model's input), and the "
                        f"count {times} may be 0, where the layers after it keep less; "
                        f"substitute the count {SUBS_HINT}, or make it a positive symbol. "
                        f"Received: times={times}")
    again = _probe(inner, tally, name, laid_out, out_grad, frozen, off)
    if _walked(again) != _walked((probe, start, end, laid_out)):
        raise CostError(f"training_memory: {name!r} repeats a block whose tensors kept for "
                        f"backward depend on how its input arrives (a transposed view, say, "
                        f"or the model's input, which requires no gradient), which changes "
                        f"from the first repetition to the next; substitute the count "
                        f"{SUBS_HINT}. Received: times={times}")
    if isinstance(end, tuple):  # a view of the input at some sizes, a copy at others
        raise CostError(f"training_memory: {name!r} repeats a block whose output is a copy "
                        f"of its input at some sizes and a view of it at others; substitute "
                        f"the count {SUBS_HINT}. Received: times={times}")
    rows_before = len(tally.rows)
    own = sympy.Add(*(b for _, _, b in probe.rows))
    ends = [probe.kept.get(k, 0) * tally.batch * probe.size[k] * tally.nbytes
            for k in {start, end}]
    own = own - sympy.Add(*ends)
    once = sympy.Min(times, 1)
    chain = probe.kept.get(start, 0) == 1 or probe.kept.get(end, 0) == 1
    added = sympy.expand(times * own)
    if chain:  # the tensors between repetitions 1..times
        added += (times - once) * tally.batch * probe.size[start] * tally.nbytes
    if probe.kept.get(start, 0) == 1:
        added += tally.keep(ins[0], once)
    out = tally.fresh(inner.output_shape) if start != end else ins[0]
    if start != end:
        tally.set_grad(out, out_grad)
    if start != end and probe.kept.get(end, 0) == 1:
        added += tally.keep(out, once)
    keys[id(node.outputs[0])] = out
    del tally.rows[rows_before:]
    tally.rows.append((name, node.layer.type_name, sympy.expand(added)))


def training_memory(model, batch=None, optimizer: str = "adam",
                    dtype="float32") -> TrainingMemory:
    """The memory of one training step of ``model`` (see the module's docstring).

    ``batch`` is an int, a symbol or a symbol name, not one of the model's (default: the
    ``batch_size`` of the model's inputs, ``sc.Input(shape, batch_size=...)``, else ``B``,
    or ``batch`` where ``B`` is a size of the model); ``optimizer`` is
    ``"sgd"``, ``"momentum"``, ``"adam"`` or ``"adamw"``; ``dtype`` a name such as
    ``"float32"`` or ``"bfloat16"`` (weights, gradients, state and activations alike; the
    indices a max pooling keeps are int64 whatever the dtype).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 3, padding="same"),
    ...                    sc.BatchNormalization(), sc.ReLU(), sc.MaxPooling2D(2)])
    >>> mem = training_memory(m, batch="B", optimizer="sgd")
    >>> mem.activations   # input, conv output, ReLU output, int64 indices; BN statistics
    76*B*H*W + 64*B*floor(H/2)*floor(W/2) + 64
    >>> [(name, bytes_) for name, _, bytes_ in mem.layers][1]
    ('batch_normalization', 32*B*H*W + 64)
    """
    key = _optimizer(optimizer)
    nbytes = dtype_bytes(dtype)
    taken = model.symbols_by_name  # the model's symbols, which the batch must not reuse
    if batch is None:  # the inputs' batch_size (sc.Input(..., batch_size=...)), else B
        given = {t.node.layer.get_config().get("batch_size") for t in model.inputs} - {None}
        if len(given) > 1:
            raise CostError(f"training_memory: the inputs give different batch sizes; pass "
                            f"batch=. Received: batch_size={sorted(map(str, given))}")
        # B, or "batch" where B is a size of the model
        batch = given.pop() if given else size_symbol("B" if "B" not in taken else "batch")
    batch = as_size(batch, "batch", "training_memory")
    clash = sorted(s.name for s in batch.free_symbols if s.name in taken)
    if clash:  # batch="B" on a model with B bins would read 32*B**2, one symbol for two sizes
        raise CostError(f"training_memory: the batch symbol {clash[0]!r} is also a size of "
                        f"the model, so the two would be one symbol; name the batch another "
                        f"way (batch='N'). Received: batch={batch}")
    tally = _Tally(batch, nbytes)
    keys = {id(t): tally.fresh(t.shape) for t in model.inputs}
    for k in keys.values():  # a model's input requires no gradient
        tally.set_grad(k, False)
    tally.layouts.update({id(t): input_layout(t.shape) for t in model.inputs})
    _run(model, keys, tally, "")
    trainable = model.trainable_params
    return TrainingMemory(
        batch=batch, optimizer=key, dtype=str(dtype),
        weights=sympy.expand(model.params * nbytes),
        gradients=sympy.expand(trainable * nbytes),
        optimizer_state=sympy.expand(OPTIMIZER_STATES[key] * trainable * nbytes),
        activations=sympy.expand(sympy.Add(*(b for _, _, b in tally.rows))),
        layers=tuple(tally.rows), constraints=tuple(model.constraints))
