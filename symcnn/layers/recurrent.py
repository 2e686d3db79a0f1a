"""Recurrent layers: ``SimpleRNN``, ``LSTM``, ``GRU`` and the ``Bidirectional`` wrapper.

Counted as Keras 3 counts them: a kernel ``(x, g*u)``, a recurrent kernel ``(u, g*u)`` and a
bias ``g*u`` for ``g`` gates (1, 4, 3), so ``g*(u*(u + x) + u)``; Keras' GRU with
``reset_after=True`` (the default, and PyTorch's form) has two biases, ``3*(u*(u + x) + 2*u)``.
The input is ``(T, x)`` without the batch axis; ``T`` may be a symbol.

MACs: every step multiplies the input and the previous state by the kernels,
``T*g*u*(x + u)`` in all (``h_0`` counts, as the frameworks multiply it too); gate products
and activations are element-wise, not multiply-accumulates. This equals PyTorch's
``FlopCounterMode`` / 2 on ``nn.RNN``, ``nn.GRU`` and ``nn.LSTM`` (the last with oneDNN off: its
fused CPU kernel is invisible to the counter).

>>> import symcnn as sc
>>> T = sc.symbols("T")
>>> m = sc.Sequential([sc.Input((T, 16)), sc.LSTM(32)])
>>> m.output_shape, m.params, m.macs
((32,), 6272, 6144*T)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import CostError, LayerArgumentError, brief
from ..suggest import did_you_mean
from ..derivation.blocks import sym
from ..windows import NotAWindow, Whole
from ..working import Plus, Times
from .base import Checker, Computed, Layer, _symbols_of, format_shape
from .layout import time_major
from .saved import kept_new

__all__ = ["SimpleRNN", "LSTM", "GRU", "Bidirectional", "rnn_params", "rnn_macs"]

ZERO = sympy.Integer(0)


def rnn_params(inputs, units, gates: int = 1, use_bias: bool = True,
               biases: int = 1) -> sympy.Expr:
    """``gates*(units*(units + inputs) + biases*units)`` (no bias term without ``use_bias``).

    >>> x, u = sympy.symbols("x u")
    >>> rnn_params(x, u, gates=4)
    4*u**2 + 4*u*x + 4*u
    """
    return sympy.expand(gates * (units * (units + inputs) + (biases * units if use_bias else 0)))


def rnn_macs(steps, inputs, units, gates: int = 1) -> sympy.Expr:
    """``steps*gates*units*(inputs + units)``: input and state products at every step.

    >>> rnn_macs(10, 8, 4, gates=3)
    1440
    """
    return sympy.expand(steps * gates * units * (inputs + units))


def _rate(layer: Layer, value, arg: str):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1
    if not ok:
        raise LayerArgumentError(f"{layer.type_name}: `{arg}` must be a number in [0, 1). "
                                 f"Received: {arg}={brief(value)}")
    return value


class _RNN(Layer):
    """What the recurrent layers share: arguments, the shape rule, the state outputs."""

    #: Gates (kernel blocks of ``units`` columns) and states (LSTM: h and c).
    gates: int = 1
    states: int = 1

    def __init__(self, units, activation="tanh", use_bias: bool = True, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, zero_output_for_mask: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(name=name, **kwargs)
        self._set(units=self._size(units, "units"), activation=activation,
                  use_bias=self._flag(use_bias, "use_bias"),
                  dropout=_rate(self, dropout, "dropout"),
                  recurrent_dropout=_rate(self, recurrent_dropout, "recurrent_dropout"),
                  return_sequences=self._flag(return_sequences, "return_sequences"),
                  return_state=self._flag(return_state, "return_state"),
                  go_backwards=self._flag(go_backwards, "go_backwards"),
                  stateful=self._flag(stateful, "stateful"), unroll=self._flag(unroll, "unroll"),
                  zero_output_for_mask=self._flag(zero_output_for_mask, "zero_output_for_mask"))

    def get_config(self) -> dict:
        defaults = {"activation": "tanh", "use_bias": True, "dropout": 0.0,
                    "recurrent_dropout": 0.0, "return_sequences": False, "return_state": False,
                    "go_backwards": False, "stateful": False, "unroll": False,
                    "zero_output_for_mask": False, "recurrent_activation": "sigmoid",
                    "unit_forget_bias": True, "use_cudnn": "auto", "reset_after": True}
        return {k: v for k, v in super().get_config().items()
                if k not in defaults or defaults[k] != v or type(defaults[k]) is not type(v)}

    def output_shape_for(self, shape, check: Checker):
        self._expect_rank(shape, 2, "steps, features")
        return (shape[0], self.units) if self.return_sequences else (self.units,)

    def params_for(self, shape):
        return rnn_params(shape[-1], self.units, self.gates, self.use_bias, self.biases), ZERO

    #: Bias vectors per gate (GRU with ``reset_after``: 2).
    biases: int = 1

    def state_shapes(self) -> tuple:
        """Shapes of the states ``return_state=True`` adds after the output."""
        return ((self.units,),) * self.states

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        computed = super().compute(input_shapes, check)
        if not self.return_state:
            return computed
        return Computed((*computed.output_shapes, *self.state_shapes()), computed.trainable,
                        computed.non_trainable)

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """``T*g*u*(x + u)`` (see :func:`rnn_macs`)."""
        steps, inputs = input_shapes[0]
        return rnn_macs(steps, inputs, self.units, self.gates)

    def derivation_for(self, b, input_shapes, output_shape):
        """``U_out = U`` (and ``T_out = T``); ``g*(U*(U + X) + U)`` parameters."""
        T, X, U = sym("T"), sym("X"), sym("U")
        steps, width = input_shapes[0]
        if self.return_sequences:
            b.add("T_out", T, {T: steps}, output_shape[0])
        b.add("U_out", U, {U: self.units}, output_shape[-1])
        weights = Times(U, Plus(U, X))
        if self.use_bias:
            weights = Plus(weights, Times(self.biases, U) if self.biases != 1 else U)
        bias = ("" if not self.use_bias else " and a bias" if self.biases == 1 else
                f" and {self.biases} biases (U each: input and recurrent)")
        b.note(f"{self.gates} gate(s): a kernel (X, U), a recurrent kernel (U, U){bias} "
               f"per gate, as Keras counts them.")
        return (Times(self.gates, weights) if self.gates != 1 else weights), {X: width,
                                                                               U: self.units}

    def window_for(self, input_shape):
        """The last state reads every step; a sequence output at ``t`` reads the steps up to
        ``t`` (from ``t`` with ``go_backwards``), which is not a window: undefined."""
        if self.return_sequences:
            return (NotAWindow(), Whole())
        return (Whole(keeps_axis=False), Whole())

    def steps_kept(self, steps) -> tuple:
        """What PyTorch's step loop keeps over ``steps`` steps, per example (see
        :meth:`saved_for_backward`): ``6*u*T`` (the 4 gates, the previous cell state and
        ``tanh(c)``; GRU its gates and workspace) wherever a gradient flows, and each previous
        state, ``u*T``, only for the recurrent kernel's gradient (``when="weights"``)."""
        return (kept_new(sympy.expand(6 * self.units * steps)),
                kept_new(sympy.expand(self.units * steps), when="weights"))

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """The sequence output is time-major under its ``(steps, units)`` shape: PyTorch's
        recurrent modules (``batch_first=True``) stack the steps' states and return a
        transposed view. The last state and the states: not stated."""
        first = time_major() if self.return_sequences and not self.go_backwards else None
        return (first,) + (None,) * (len(output_shapes) - 1)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (``batch_first=True``, oneDNN off) keep: a
        time-major copy of the input (``T*x``) and, step by step, the state and gate tensors:
        ``(T + 1)*u`` for SimpleRNN (each state once), ``7*u*T`` for LSTM (4 gates, the
        previous cell and hidden state, ``tanh(c)``) and GRU.

        The copy of the input and the previous states are kept for the kernels' gradients
        only (``when="weights"``): a frozen layer on an input that requires a gradient keeps
        ``u*T`` (SimpleRNN: the states ``tanh`` keeps) or ``6*u*T`` (GRU, LSTM). A SimpleRNN
        with ``activation="relu"`` (``nn.RNN(nonlinearity="relu")``) keeps the same: ReLU
        keeps its result, as tanh does.

        >>> import symcnn as sc
        >>> def after_dense(rnn):
        ...     return sc.Sequential([sc.Input(("T", 3)), sc.Dense(3), rnn]).training_memory(
        ...         batch=1, dtype="int8").layers[-1][2]
        >>> after_dense(sc.LSTM(4)), after_dense(sc.LSTM(4, trainable=False))
        (31*T, 24*T)
        """
        steps, width = input_shapes[0]
        problems = []
        counted = ("tanh", "relu") if self.gates == 1 else ("tanh",)  # nn.RNN's nonlinearity
        if self.activation not in counted or getattr(self, "recurrent_activation",
                                                     "sigmoid") != "sigmoid":
            problems.append("activation='tanh' (or 'relu' for SimpleRNN; and "
                            "recurrent_activation='sigmoid')")
        if self.dropout or self.recurrent_dropout:
            problems.append("no dropout or recurrent_dropout")
        if not getattr(self, "reset_after", True):
            problems.append("reset_after=True")
        if problems:
            raise CostError(
                f"{self.type_name}: what it keeps for backward is stated for the layer "
                f"PyTorch computes, which needs {', '.join(problems)}. Received: "
                f"activation={brief(self.activation)}, dropout={self.dropout}, "
                f"recurrent_dropout={self.recurrent_dropout}"
                + (f", reset_after={self.reset_after}" if hasattr(self, "reset_after") else ""))
        return (kept_new(sympy.expand(steps * width), when="weights"),
                *self.steps_kept(steps))


class SimpleRNN(_RNN):
    """Fully connected recurrence (Keras ``SimpleRNN``): ``u*(u + x) + u`` parameters.

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 8)), sc.SimpleRNN(4, return_sequences=True)]).output_shape
    (T, 4)
    """

    def steps_kept(self, steps) -> tuple:
        """``(T + 1)*u``: every state ``h_0 .. h_T`` once (the product keeps ``h_{t-1}``,
        for the recurrent kernel's gradient, ``tanh`` its result ``h_t``); frozen, ``h_1 ..
        h_T``, what ``tanh`` keeps."""
        return (kept_new(sympy.expand(steps * self.units)),
                kept_new(self.units, when="weights"))


class _Gated(_RNN):
    def _gated(self, recurrent_activation, use_cudnn) -> None:
        if use_cudnn != "auto" and not isinstance(use_cudnn, bool):
            raise LayerArgumentError(f"{self.type_name}: `use_cudnn` must be 'auto', True or "
                                     f"False. Received: use_cudnn={brief(use_cudnn)}")
        self._set(recurrent_activation=recurrent_activation, use_cudnn=use_cudnn)


class LSTM(_Gated):
    """Long short-term memory (Keras ``LSTM``): ``4*(u*(u + x) + u)`` parameters; with
    ``return_state=True`` the outputs are ``[output, h, c]``.

    >>> import symcnn as sc
    >>> out, h, c = sc.LSTM(5, return_state=True)(sc.Input((7, 3)))
    >>> out.shape, h.shape, c.shape
    ((5,), (5,), (5,))
    """

    gates, states = 4, 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, unit_forget_bias: bool = True, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, use_cudnn="auto", zero_output_for_mask: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(units, activation, use_bias, dropout, recurrent_dropout,
                         return_sequences, return_state, go_backwards, stateful, unroll,
                         zero_output_for_mask, name=name, **kwargs)
        self._gated(recurrent_activation, use_cudnn)
        self._set(unit_forget_bias=self._flag(unit_forget_bias, "unit_forget_bias"))


class GRU(_Gated):
    """Gated recurrent unit (Keras ``GRU``): ``3*(u*(u + x) + 2*u)`` parameters with
    ``reset_after=True`` (Keras 3's default, PyTorch's ``nn.GRU``), ``3*(u*(u + x) + u)``
    without.

    >>> import symcnn as sc
    >>> [sc.Sequential([sc.Input((7, 3)), sc.GRU(4, reset_after=r)]).params for r in (True, False)]
    [108, 96]
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 reset_after: bool = True, use_cudnn="auto", zero_output_for_mask: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(units, activation, use_bias, dropout, recurrent_dropout,
                         return_sequences, return_state, go_backwards, stateful, unroll,
                         zero_output_for_mask, name=name, **kwargs)
        self._gated(recurrent_activation, use_cudnn)
        self._set(reset_after=self._flag(reset_after, "reset_after"))

    @property
    def biases(self) -> int:  # type: ignore[override]
        return 2 if self.reset_after else 1


_MERGE_MODES = ("concat", "sum", "mul", "ave")


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and backwards (Keras ``Bidirectional``).

    ``merge_mode`` joins the two outputs: ``"concat"`` (widths add), ``"sum"``, ``"mul"``,
    ``"ave"`` (equal widths), or ``None`` (two outputs). Parameters and MACs are the forward
    layer's plus the backward layer's (a copy of ``layer`` unless ``backward_layer`` is
    given). With ``return_state=True`` the states of both directions follow the output(s).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("T", 8)), sc.Bidirectional(sc.GRU(4, return_sequences=True))])
    >>> m.output_shape, m.params, m.macs
    ((T, 8), 336, 288*T)
    """

    wrapped_arguments = ("layer", "backward_layer")

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        for arg, value in (("layer", layer), ("backward_layer", backward_layer)):
            if not (value is None and arg == "backward_layer") and not isinstance(value, _RNN):
                raise LayerArgumentError(
                    f"Bidirectional: `{arg}` must be a recurrent layer (SimpleRNN, LSTM, GRU). "
                    f"Received: {arg}={brief(value)}")
        # None: the two outputs as a list, as in Keras; the names as Keras spells them, in
        # lower case ("CONCAT" is refused there, so it is here: a model must port both ways)
        if merge_mode is not None and merge_mode not in _MERGE_MODES:
            hint = did_you_mean(merge_mode, _MERGE_MODES)
            raise LayerArgumentError(
                f"{self.type_name}: `merge_mode` must be one of "
                f"{', '.join(map(repr, _MERGE_MODES))} or None.{hint} "
                f"Received: merge_mode={brief(merge_mode)}")
        if backward_layer is None and layer.go_backwards:
            raise LayerArgumentError(
                "Bidirectional: the backward copy of `layer` runs with go_backwards=True, so "
                "`layer` must run forwards (as in Keras). Received: layer.go_backwards=True")
        if backward_layer is not None:
            if backward_layer.go_backwards == layer.go_backwards:
                raise LayerArgumentError(
                    f"Bidirectional: the forward and backward layers must differ in "
                    f"`go_backwards`. Received: backward_layer.go_backwards="
                    f"{backward_layer.go_backwards}")
            for attr in ("return_sequences", "return_state", "stateful"):
                if getattr(layer, attr) != getattr(backward_layer, attr):
                    raise LayerArgumentError(
                        f"Bidirectional: the forward and backward layers must agree on "
                        f"`{attr}`. Received: backward_layer.{attr}="
                        f"{getattr(backward_layer, attr)}")
        self._set(layer=layer, merge_mode=merge_mode, backward_layer=backward_layer)

    @property
    def backward(self) -> _RNN:
        """The backward layer: ``backward_layer``, or ``layer`` run backwards."""
        if self.backward_layer is not None:
            return self.backward_layer
        config = dict(self.layer.get_config(), go_backwards=True)
        config.pop("name", None)
        return type(self.layer)(**config)

    @property
    def n_outputs_merged(self) -> int:
        return 2 if self.merge_mode is None else 1

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        forward = self.layer.compute(input_shapes, check)
        backward = self.backward.compute(input_shapes, check)
        f_out, b_out = forward.output_shapes[0], backward.output_shapes[0]
        if self.merge_mode is None:
            outs = [f_out, b_out]
        elif self.merge_mode == "concat":
            outs = [(*f_out[:-1], sympy.expand(f_out[-1] + b_out[-1]))]
        else:
            check.equal(f_out[-1], b_out[-1], lambda: (
                f"merge_mode={brief(self.merge_mode)} needs equal widths forwards and backwards. "
                f"Received: outputs {format_shape(f_out)} and {format_shape(b_out)}"))
            outs = [f_out]
        outs += [*forward.output_shapes[1:], *backward.output_shapes[1:]]
        trainable = forward.trainable + backward.trainable
        non_trainable = forward.non_trainable + backward.non_trainable
        if not self.trainable:
            trainable, non_trainable = ZERO, trainable + non_trainable
        return Computed(tuple(tuple(o) for o in outs), sympy.expand(trainable),
                        sympy.expand(non_trainable))

    def derivation_for(self, b, input_shapes, output_shape):
        """The forward layer's parameters plus the backward layer's."""
        F, B = sym("P_forward"), sym("P_backward")
        check = _NoChecks()
        forward = self.layer.compute(input_shapes, check).params
        backward = self.backward.compute(input_shapes, check).params
        b.note(f"`merge_mode={self.merge_mode!r}`; the backward layer is "
               f"{'its own' if self.backward_layer is not None else 'a copy of the layer'}.")
        return Plus(F, B), {F: forward, B: backward}

    def window_for(self, input_shape):
        """Both directions together read every step, at every output step."""
        return (Whole(keeps_axis=not self.layer.return_sequences), Whole())

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Time-major, as the recurrent layer's sequence output (``nn.LSTM(bidirectional=True)``
        concatenates the directions time-major; ``sum``, ``ave`` and ``mul`` join its two
        halves element-wise), for those four; otherwise (no merge) not stated."""
        layer = self.layer
        merged = self.merge_mode in ("concat", "sum", "ave", "mul")
        first = time_major() if merged and layer.return_sequences and \
            not layer.go_backwards else None
        return (first,) + (None,) * (len(output_shapes) - 1)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Both directions' tensors, each with its own copy of the input (as
        ``nn.LSTM(bidirectional=True)``); joining the outputs by ``concat``, ``sum`` or
        ``ave`` (or not at all) keeps nothing more. ``mul``, the product of the two halves
        of PyTorch's output (the sequence, or the last states ``h_n``) as
        :meth:`symcnn.Model.to_torch` writes it, keeps each half for the other's gradient:
        two views of one tensor that holds both directions, twice the merged output's
        size (``2*u*T``, or ``2*u`` for the last states).

        >>> import symcnn as sc
        >>> rnn = sc.Bidirectional(sc.GRU(4, return_sequences=True), merge_mode="mul")
        >>> T = sc.symbols("T")
        >>> rnn.saved_for_backward([(T, 3)], [(T, 4)])[-1].elements
        8*T
        """
        both = (self.layer.saved_for_backward(input_shapes, output_shapes)
                + self.backward.saved_for_backward(input_shapes, output_shapes))
        if self.merge_mode == "mul":
            return both + (kept_new(sympy.expand(2 * sympy.Mul(*output_shapes[0]))),)
        return both

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """The forward layer's MACs plus the backward layer's."""
        return sympy.expand(self.layer.macs_for(input_shapes, None)
                            + self.backward.macs_for(input_shapes, None))

    @property
    def free_symbols(self) -> set:
        out = _symbols_of(self.layer.get_config().get("units"))
        if self.backward_layer is not None:
            out |= _symbols_of(self.backward_layer.get_config().get("units"))
        return out

    def subs(self, mapping: dict) -> "Bidirectional":
        backward = None if self.backward_layer is None else self.backward_layer.subs(mapping)
        config = dict(self.get_config(), layer=self.layer.subs(mapping), backward_layer=backward)
        return Bidirectional(**config)



class _NoChecks(Checker):
    """A checker for recomputing counts already checked when the layer was applied."""
