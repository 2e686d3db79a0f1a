"""TimeDistributed: one layer applied to every step of a sequence (Keras ``TimeDistributed``).

An input ``(T, *rest)`` becomes ``(T, *out)``, where ``out`` is what the wrapped layer makes
of ``rest``; the steps share the layer's weights, so the parameters are the layer's and the
multiply-accumulates ``T`` times its own.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("T", 16)), sc.TimeDistributed(sc.Dense(4))])
>>> m.output_shape, m.params, m.macs
((T, 4), 68, 64*T)

For training memory it keeps what ``T`` calls of the wrapped layer keep, as Keras 3 runs it
on the torch backend (:meth:`TimeDistributed.saved_for_backward`): the input's storage once,
the layer's own tensors once per step.

>>> m = sc.Sequential([sc.Input(("T", 6)), sc.Dense(6), sc.TimeDistributed(sc.ReLU())])
>>> m.training_memory(batch="B").activations   # Dense's input, ReLU's outputs: 4 bytes each
48*B*T
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import CostError, LayerArgumentError, ShapeError, brief
from ..formulas import prod
from .base import Checker, Computed, Graph, Layer, format_shape, rank_error, subs_own
from .layout import time_major
from .saved import Kept, kept_new, takes_call

__all__ = ["TimeDistributed"]

class TimeDistributed(Layer):
    """Apply ``layer`` to every step of axis 1 (Keras ``TimeDistributed``), weights shared.

    Keras 3 calls the layer on each step ``x[:, t]`` (a view of the input) and stacks the
    results into a new tensor; what that keeps for backward is the wrapped layer's statement
    carried over step by step (:meth:`saved_for_backward`).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((5, "H", "H", 3)),
    ...                    sc.TimeDistributed(sc.Conv2D(8, 3, strides=2, padding="same"))])
    >>> m.output_shape, m.params
    ((5, ceiling(H/2), ceiling(H/2), 8), 224)
    """

    wrapped_arguments = ("layer",)

    def __init__(self, layer, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(layer, Layer) or isinstance(layer, Graph) or layer.n_inputs != 1:
            raise LayerArgumentError(
                f"TimeDistributed: `layer` must be a layer of one input (not a model). "
                f"Received: layer={brief(layer)}")
        self._set(layer=layer)

    def _step_shape(self, shape) -> tuple:
        if len(shape) < 2:
            raise rank_error(
                f"expects an input of rank 2 or more (steps, then the layer's input, without "
                f"the batch axis). Received: input of rank {len(shape)}, "
                f"shape={format_shape(shape)}", (2,), or_more=True)
        return tuple(shape[1:])

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        (shape,) = input_shapes
        step = self._step_shape(shape)
        try:
            inner = self.layer.compute([step], check)
        except ShapeError as err:
            raise ShapeError(self._step_error(err, shape, step)) from None
        if len(inner.output_shapes) != 1:
            raise ShapeError(f"the wrapped layer must have one output. Received: "
                             f"{len(inner.output_shapes)} outputs from {self.layer.type_name}")
        trainable, non_trainable = inner.trainable, inner.non_trainable
        if not self.trainable:
            trainable, non_trainable = sympy.Integer(0), trainable + non_trainable
        return Computed(((shape[0], *inner.output_shapes[0]),), trainable, non_trainable)

    def macs_for(self, input_shapes, output_shape):
        """The layer's MACs on one step, times the steps."""
        steps = input_shapes[0][0]
        return sympy.expand(steps * self.layer.macs_for(
            [self._step_shape(input_shapes[0])], tuple(output_shape[1:])))

    def ptflops_ops_for(self, input_shapes, output_shape):
        steps = input_shapes[0][0]
        return sympy.expand(steps * self.layer.ptflops_ops_for(
            [self._step_shape(input_shapes[0])], tuple(output_shape[1:])))

    def window_for(self, input_shape):
        """Steps pass through; the other axes are the layer's windows."""
        inner = self.layer.window_for(self._step_shape(input_shape))
        return None if inner is None else (None, *inner)

    def derivation_for(self, b, input_shapes, output_shape):
        b.note("Every step runs the layer, with the same weights.")
        return self.layer.derivation_for(b, [self._step_shape(input_shapes[0])],
                                         tuple(output_shape[1:]))

    @property
    def free_symbols(self) -> set:
        return set(self.layer.free_symbols)

    def subs(self, mapping: dict) -> "Layer":
        inner = subs_own(self.layer, mapping)
        if inner is self.layer:
            return self
        return type(self)(**dict(self.get_config(), layer=inner))

    def _step_error(self, error: ShapeError, shape, step) -> str:
        """The wrapped layer's complaint about one step, said for TimeDistributed: the shape
        the layer sees, and for a rank, the rank TimeDistributed's input needs (one more)."""
        seen = f"the wrapped {self.layer.type_name} sees each step, of shape {format_shape(step)}"
        message, ranks = str(error), getattr(error, "expected_ranks", None)
        if ranks is None:
            return f"{seen}: {message}"
        needed = " or ".join(str(r + 1) for r in ranks) + (" or more" if error.or_more else "")
        return (f"{seen}, and {message.split('. Received:')[0]}; so TimeDistributed's input "
                f"needs rank {needed} (one more than the wrapped layer's: the steps first). "
                f"Received: input of rank {len(shape)}, shape={format_shape(shape)}")

    def saved_for_backward(self, input_shapes, output_shapes, call=None) -> tuple:
        """What ``T`` calls of the wrapped layer keep, as Keras 3 (torch backend) runs them:
        the layer's statement on one step (``call`` passed on), carried over.

        * its input: the step ``x[:, t]`` is a view of this layer's input, so every step
          keeps that one storage, counted once;
        * a tensor of its own (a mask, indices, the gates of an LSTM): one per step, ``T``
          times its elements (per example, or per call for the batch statistics);
        * its output: a new tensor per step (the stack copies the steps into this layer's
          output), ``T`` times the step's output;
        * its input folded to a matrix (``nn.Linear``, :func:`~symcnn.layers.saved.kept_matrix`):
          for a step of one axis (``Dense`` on ``(T, F)``), or whose other axes are 1, the
          input itself; for ``T = 1`` as this layer's input folds. Otherwise the fold of the
          step (its batch axis ``T`` steps apart in memory) copies from batch 2 on, and keeps
          the copy, where the input is contiguous, and not where it is time-major: the
          statement cannot see the batch nor the layout, and training memory says so
          (:class:`~symcnn.errors.CostError`).

        ``"frozen"`` and ``"unfrozen"`` entries follow the wrapped layer's own ``trainable``
        flag too (Keras runs a frozen batch normalization in inference mode). A wrapped
        layer without a statement, or one that runs a model (``Repeat``), is refused by name.

        >>> import symcnn as sc
        >>> T = sc.symbols("T")
        >>> sc.TimeDistributed(sc.Dropout(0.5)).saved_for_backward([(T, 6)], [(T, 6)])
        (Kept(source='new', index=0, elements=6*T, dtype=None, per_example=True, factor=1, when=None),)
        >>> sc.TimeDistributed(sc.Dense(3)).saved_for_backward([(T, 4, 6)], [(T, 4, 3)])
        Traceback (most recent call last):
        ...
        symcnn.errors.CostError: TimeDistributed layer: what it keeps for backward is not counted for the wrapped Dense on steps of shape (4, 6): it keeps its input folded to a matrix, and the fold of a step x[:, t] of two axes or more is a copy from batch 2 on where the input is contiguous (not where it is time-major), which the statement of one step cannot see; a Dense acts on the last axis, and computes the same without TimeDistributed. Received: layer=Dense(units=3, activation=None, use_bias=True), steps of shape (4, 6)
        """
        steps = input_shapes[0][0]
        step_in = [self._step_shape(input_shapes[0])]
        step_out = [tuple(s[1:]) for s in output_shapes]
        method = getattr(self.layer, "saved_for_backward", None)
        if method is None:
            raise self._uncounted(step_in, "it does not state what it keeps for backward")
        if self.layer.inner_graph(step_in) is not None:
            raise self._uncounted(step_in, "it runs a model, whose layers keep their own "
                                           "tensors (not one statement to carry over)")
        if call is not None and takes_call(method):
            stated = method(step_in, step_out, call=call)
        else:
            stated = method(step_in, step_out)
        return tuple(k for item in stated for k in self._carried(item, steps, step_in, step_out))

    def _carried(self, item: Kept, steps, step_in, step_out) -> tuple:
        """One entry of the wrapped layer's statement, for ``steps`` calls."""
        when = item.when
        if when in ("frozen", "unfrozen") and not self.layer.trainable:
            if when == "unfrozen":
                return ()
            when = None
        if item.source == "input":
            return (Kept("input", item.index, factor=item.factor, when=when),)
        if item.source == "new":
            return (kept_new(sympy.expand(steps * item.elements), item.dtype, item.per_example,
                             when),)
        if item.source == "output":
            if getattr(self.layer, "output_is_view", False):
                raise self._uncounted(step_in, "it keeps its output, a view of its input")
            return (kept_new(sympy.expand(steps * prod(step_out[item.index]) * item.factor),
                             when=when),)
        step = step_in[item.index]
        if all(sympy.sympify(size) == 1 for size in step[:-1]):
            return (Kept("input", item.index, when=when),)
        if sympy.sympify(steps) == 1:
            return (Kept("matrix", item.index, when=when),)
        raise self._uncounted(step_in, "it keeps its input folded to a matrix, and the fold "
                                       "of a step x[:, t] of two axes or more is a copy from "
                                       "batch 2 on where the input is contiguous (not where it "
                                       "is time-major), which the statement of one step cannot "
                                       "see; a Dense acts on the last axis, and computes the "
                                       "same without TimeDistributed")

    def lora_saved_for_backward(self, input_layouts, input_shapes, input_grads=None) -> tuple:
        """The wrapped layer's merged LoRA kernel, once per step (Keras merges it at every
        call); nothing without LoRA."""
        method = getattr(self.layer, "lora_saved_for_backward", None)
        if method is None:
            return ()
        steps = input_shapes[0][0]
        step_in = [self._step_shape(input_shapes[0])]
        return tuple(kept_new(sympy.expand(steps * k.elements), k.dtype, k.per_example, k.when)
                     for k in method(input_layouts, step_in, input_grads))

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Time-major: the steps are stacked on a new first axis, ``(T, B, ...)``, which
        is then moved behind the batch axis (a transposed view)."""
        return tuple(time_major(len(s) + 1) for s in output_shapes)

    def _uncounted(self, step_in, why: str) -> CostError:
        return CostError(f"{self._where()}: what it keeps for backward is not counted for the "
                         f"wrapped {self.layer.type_name} on steps of shape "
                         f"{format_shape(step_in[0])}: {why}. Received: "
                         f"layer={brief(self.layer)}, steps of shape {format_shape(step_in[0])}")

