"""``torch.nn.RNN``, ``LSTM`` and ``GRU``: PyTorch's recurrent modules and their counts.

PyTorch counts two bias vectors per gate (``b_ih`` and ``b_hh``), and Keras one (its GRU with
``reset_after=True`` two); so these are not the Keras-named :class:`~symcnn.LSTM` with other
names, but layers of their own. For ``g`` gates (1, 4, 3), ``H = hidden_size``, ``H_out``
(``proj_size`` when it is set, else ``H``), ``D`` directions (2 when ``bidirectional``) and
a layer input of width ``x`` (``input_size`` for the first layer, ``D*H_out`` for the
others), each layer and direction has ``g*H*(x + H_out) + 2*g*H + H_out*H`` parameters (no
``2*g*H`` without ``bias``, no ``H_out*H`` without ``proj_size``): exactly
``sum(p.numel() for p in m.parameters())``.

The input is ``(T, input_size)`` without the batch axis: symcnn's shapes never have it, so
``batch_first`` changes no shape, count or cost (it is kept for the PyTorch export). The
outputs are PyTorch's, flattened as every symcnn layer with several outputs: the sequence
``output`` ``(T, D*H_out)``, then ``h_n`` ``(D*num_layers, H_out)`` and, for ``LSTM``,
``c_n`` ``(D*num_layers, H)``: ``out, h_n, c_n = nn.LSTM(...)(x)`` for PyTorch's
``out, (h_n, c_n)``. (The states' batch axis is PyTorch's dim 1; here it is left out too.)

MACs: every step multiplies the layer input and the previous state by the kernels (and, with
``proj_size``, the new state by the projection): ``T*(g*H*x + g*H*H_out + H_out*H)`` per
layer and direction. This equals PyTorch's ``FlopCounterMode`` / 2 on the module with oneDNN
off (its fused CPU LSTM kernel is invisible to the counter; see docs/costs.md).

>>> from symcnn import nn, Input, symbols
>>> T = symbols("T")
>>> out, h, c = nn.LSTM(16, 32, num_layers=2, batch_first=True)(Input((T, 16)))
>>> out.shape, h.shape, c.shape
((T, 32), (2, 32), (2, 32))
>>> m = nn.Sequential(nn.GRU(16, 32, bidirectional=True), input_shape=(T, 16))
Traceback (most recent call last):
...
symcnn.errors.GraphError: GRU layer 'gru' (#0): a Sequential layer must have one output. Received: 2 outputs
"""

from __future__ import annotations

import numbers

import sympy

from ..errors import LayerArgumentError, brief
from ..derivation.blocks import sym
from ..layers.base import Checker, Computed, Layer
from ..layers.layout import time_major
from ..layers.saved import kept_new
from ..windows import NotAWindow, Whole
from ..working import Minus, Plus, Times
from ._base import TorchLayer, flag

__all__ = ["RNN", "LSTM", "GRU"]

ZERO = sympy.Integer(0)


class _RNNBase(TorchLayer, Layer):
    """What ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` share: PyTorch's arguments and checks,
    the shapes of the output and the states, the counts and what training keeps."""

    #: Gates: weight blocks of ``hidden_size`` rows (RNN 1, LSTM 4, GRU 3).
    gates: int = 1
    #: PyTorch's state outputs: ``h_n`` (and ``c_n`` for LSTM).
    states: int = 1

    _optional = (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                 ("bidirectional", False))

    def _init(self, input_size, hidden_size, num_layers, bias, batch_first, dropout,
              bidirectional, name, trainable, extra: dict) -> None:
        Layer.__init__(self, name=name, trainable=trainable)
        t = self.type_name
        # PyTorch: "dropout should be a number in range [0, 1]"
        if not isinstance(dropout, numbers.Real) or isinstance(dropout, bool) or \
                not 0 <= dropout <= 1:
            raise LayerArgumentError(f"{t}: `dropout` must be a number in [0, 1] (the "
                                     f"probability of zeroing an element between layers). "
                                     f"Received: dropout={brief(dropout)}")
        self._set(input_size=self._size(input_size, "input_size"),
                  hidden_size=self._size(hidden_size, "hidden_size"),
                  num_layers=self._size(num_layers, "num_layers"))
        self._set(**extra)  # nn.RNN's nonlinearity, in PyTorch's order of arguments
        self._set(bias=flag(t, bias, "bias"), batch_first=flag(t, batch_first, "batch_first"),
                  dropout=float(dropout), bidirectional=flag(t, bidirectional, "bidirectional"))
        self._torch_config(**{key: getattr(self, key) for key in self._config})

    # -- sizes ------------------------------------------------------------------------------

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def projected(self) -> bool:
        """Whether ``h`` is projected to ``proj_size`` (LSTM only)."""
        return False

    @property
    def h_out(self) -> sympy.Expr:
        """``H_out``: ``proj_size`` when set, else ``hidden_size``."""
        return self.hidden_size

    def _layer_inputs(self, input_size) -> tuple:
        """The input widths: ``(first layer's, each later layer's)``."""
        return input_size, sympy.expand(self.directions * self.h_out)

    # -- shapes and counts ----------------------------------------------------------------

    def output_shape_for(self, shape, check: Checker):
        self._expect_rank(shape, 2, "steps, features")
        self._declared(check, shape[1], self.input_size, "input_size", "features")
        return (shape[0], sympy.expand(self.directions * self.h_out))

    def state_shapes(self) -> tuple:
        """``h_n`` ``(D*num_layers, H_out)`` and, for LSTM, ``c_n`` ``(D*num_layers, H)``."""
        rows = sympy.expand(self.directions * self.num_layers)
        return ((rows, self.h_out), (rows, self.hidden_size))[:self.states]

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        computed = super().compute(input_shapes, check)
        return Computed((*computed.output_shapes, *self.state_shapes()), computed.trainable,
                        computed.non_trainable)

    def _cell_formula(self, X, H, P):
        """One layer and direction's parameters, a working formula over ``X``, ``H``, ``P``."""
        g = self.gates
        weights = Times(g, H, Plus(X, P)) if g != 1 else Times(H, Plus(X, P))
        terms = [weights]
        if self.bias:
            terms.append(Times(2 * g, H))
        if self.projected:
            terms.append(Times(P, H))
        return Plus(*terms)

    def params_formula(self, input_shape):
        """``D*(g*H*(X + H_out) + 2*g*H + H_out*H)`` for the first layer, plus
        ``(L - 1)*D*(...)`` with ``X = D*H_out`` for the others (PyTorch's ``weight_ih``,
        ``weight_hh``, ``bias_ih``, ``bias_hh`` and ``weight_hr`` of each layer and
        direction)."""
        X, H, L = sym("X"), sym("H"), sym("L")
        P = sym("H_out") if self.projected else H
        D = self.directions
        first = self._cell_formula(X, H, P)
        total = Times(D, first) if D != 1 else first
        bind = {X: input_shape[-1], H: self.hidden_size, L: self.num_layers}
        if self.projected:
            bind[P] = self.h_out
        if self.num_layers != 1:
            width = Times(D, P) if D != 1 else P
            rest = self._cell_formula(width, H, P)
            total = Plus(total, Times(Plus(L, Minus(1)), *([D] if D != 1 else []), rest))
        return total, bind

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """``T*(g*H*x + g*H*H_out + H_out*H)`` per layer and direction (no ``H_out*H``
        without ``proj_size``), ``x`` being the layer's input width."""
        steps, width = input_shapes[0]
        first, later = self._layer_inputs(width)
        g, H, P = self.gates, self.hidden_size, self.h_out

        def cell(x):
            return g * H * x + g * H * P + (P * H if self.projected else 0)

        return sympy.expand(steps * self.directions
                            * (cell(first) + (self.num_layers - 1) * cell(later)))

    def derivation_for(self, b, input_shapes, output_shape):
        """``T_out = T``, ``W_out = D*H_out``; the parameters of :meth:`params_formula`."""
        T, P = sym("T"), sym("H_out")
        steps = input_shapes[0][0]
        b.add("T_out", T, {T: steps}, output_shape[0])
        width = Times(self.directions, P) if self.directions != 1 else P
        b.add("W_out", width, {P: self.h_out}, output_shape[-1])
        b.note(f"PyTorch's {self.type_name}: {self.gates} gate(s), two biases per gate "
               f"(b_ih and b_hh), {self.directions} direction(s), {self.num_layers} layer(s).")
        return self.params_formula(input_shapes[0])

    def window_for(self, input_shape):
        """The output at step ``t`` reads the steps up to ``t`` (from ``t`` on, backwards),
        which is not a window: undefined; every feature is read."""
        return (NotAWindow(), Whole())

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Time-major, every output: PyTorch computes the output ``(T, N, D*H_out)`` and the
        states ``(D*num_layers, N, H)``; batch first (``batch_first=True``, and the transposes
        :meth:`symcnn.Model.to_torch` writes) they are transposed views."""
        return (time_major(),) * len(output_shapes)

    def _per_direction_kept(self, steps) -> tuple:
        """``(kept wherever a gradient flows, kept only where the weights train)``: values
        per example of one layer and direction's step loop."""
        raise NotImplementedError  # pragma: no cover - every subclass states it

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What the module keeps (oneDNN off, measured with saved-tensor hooks): a copy of
        the batch-major input per direction (``T*x`` each: PyTorch multiplies the
        time-major view), each later layer's input ``T*D*H_out`` once, with ``dropout`` a
        mask of that size per layer boundary, and per layer and direction the step tensors:
        ``(T + 1)*H`` for RNN (every state), ``7*H*T`` for GRU, ``T*(6*H + H_out)`` for LSTM
        plus ``T*H`` with ``proj_size`` (the product the projection multiplies).

        The inputs (the copies, each later layer's input) and the previous states are kept
        for the weights' gradients only (``when="weights"``): frozen (``requires_grad_
        (False)``) on an input that requires a gradient, the module keeps per layer and
        direction ``T*H`` for RNN (what the nonlinearity keeps) and ``6*H*T`` for GRU and
        LSTM, and the dropout masks.

        As for the Keras-named layers, at batch 1 or a single step PyTorch needs no copy and
        keeps the input itself, once: the figure is the same for one direction unless
        another layer keeps that input too.

        >>> import symcnn as sc
        >>> def after_linear(rnn):
        ...     x = sc.Input(("T", 3))
        ...     m = sc.Model(x, rnn(sc.nn.Linear(3, 3)(x))[0])
        ...     return m.training_memory(batch=1, dtype="int8").layers[-1][2]
        >>> after_linear(sc.nn.GRU(3, 4)), after_linear(sc.nn.GRU(3, 4, trainable=False))
        (31*T, 24*T)
        """
        steps, width = input_shapes[0]
        D, L = self.directions, self.num_layers
        later = sympy.expand(steps * D * self.h_out)
        kept = [kept_new(sympy.expand(steps * width), when="weights") for _ in range(D)]
        if L != 1:
            kept.append(kept_new(sympy.expand((L - 1) * later), when="weights"))
            if self.dropout:  # the mask of each layer boundary
                kept.append(kept_new(sympy.expand((L - 1) * later)))
        always, weights = self._per_direction_kept(steps)
        kept += [kept_new(sympy.expand(L * D * always)),
                 kept_new(sympy.expand(L * D * weights), when="weights")]
        return tuple(kept)


class RNN(_RNNBase):
    """``torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``: ``H*(x + H) + 2*H`` parameters
    per layer and direction.

    >>> from symcnn import nn, Input
    >>> out, h = nn.RNN(8, 4, num_layers=2, bidirectional=True)(Input(("T", 8)))
    >>> out.shape, h.shape
    ((T, 8), (4, 4))
    """

    gates = 1
    _optional = _RNNBase._optional + (("nonlinearity", "tanh"),)

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None, name: str | None = None, trainable: bool = True) -> None:
        if nonlinearity not in ("tanh", "relu"):  # PyTorch: "Unknown nonlinearity"
            raise LayerArgumentError(f"RNN: `nonlinearity` must be 'tanh' or 'relu'. "
                                     f"Received: nonlinearity={brief(nonlinearity)}")
        self._init(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                   bidirectional, name, trainable, {"nonlinearity": nonlinearity})

    def _per_direction_kept(self, steps) -> tuple:
        """``(T + 1)*H``: every state ``h_0 .. h_T`` once (the product keeps ``h_{t-1}``
        for ``weight_hh``'s gradient, the nonlinearity its result ``h_t``): ``T*H`` always,
        ``h_0`` where the weights train."""
        return sympy.expand(steps * self.hidden_size), self.hidden_size


class GRU(_RNNBase):
    """``torch.nn.GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``: ``3*H*(x + H) + 6*H`` parameters per layer and
    direction (Keras' ``GRU(reset_after=True)`` counts the same for one layer).

    >>> from symcnn import nn, Input
    >>> [t.shape for t in nn.GRU(10, 20, num_layers=2)(Input((5, 10)))]
    [(5, 20), (2, 20)]
    """

    gates = 3

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None,
                 name: str | None = None, trainable: bool = True) -> None:
        self._init(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                   bidirectional, name, trainable, {})

    def _per_direction_kept(self, steps) -> tuple:
        """``7*H*T``: the gates and the states each step's backward reads; the previous
        states, ``H*T``, for ``weight_hh``'s gradient only."""
        return sympy.expand(6 * self.hidden_size * steps), sympy.expand(self.hidden_size * steps)


class LSTM(_RNNBase):
    """``torch.nn.LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0)``: ``4*H*(x + H_out) + 8*H`` parameters
    per layer and direction, plus ``H_out*H`` for the projection when ``proj_size`` is set
    (``0 < proj_size < hidden_size``); ``H_out`` is ``proj_size``, else ``hidden_size``.

    >>> from symcnn import nn, Input
    >>> out, h, c = nn.LSTM(10, 20, proj_size=5)(Input((7, 10)))
    >>> out.shape, h.shape, c.shape
    ((7, 5), (1, 5), (1, 20))
    """

    gates, states = 4, 2
    _optional = _RNNBase._optional + (("proj_size", 0),)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None,
                 name: str | None = None, trainable: bool = True) -> None:
        self._init(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                   bidirectional, name, trainable, {})
        if type(proj_size) is int and proj_size == 0:
            proj = sympy.Integer(0)
        else:  # PyTorch: "proj_size should be a positive integer or zero"
            try:
                proj = self._size(proj_size, "proj_size")
            except LayerArgumentError:
                raise LayerArgumentError(
                    f"LSTM: `proj_size` must be 0 (no projection) or a positive integer "
                    f"smaller than `hidden_size`, a symbol name or a positive-integer SymPy "
                    f"expression. Received: proj_size={brief(proj_size)}") from None
        if proj != 0 and self.hidden_size.is_Integer and proj.is_Integer and \
                proj >= self.hidden_size:  # PyTorch: "proj_size has to be smaller"
            raise LayerArgumentError(f"LSTM: `proj_size` must be smaller than `hidden_size` "
                                     f"({self.hidden_size}). Received: proj_size={proj}")
        self._set(proj_size=proj)
        self._torch_config(**{key: getattr(self, key) for key in self._config})

    @property
    def projected(self) -> bool:
        return self.proj_size != 0

    @property
    def h_out(self) -> sympy.Expr:
        return self.proj_size if self.projected else self.hidden_size

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        if self.projected:
            check.at_least(sympy.expand(self.hidden_size - self.proj_size), 1, lambda: (
                f"`proj_size` must be smaller than `hidden_size`. Received: "
                f"proj_size={self.proj_size}, hidden_size={self.hidden_size}"))
        return super().compute(input_shapes, check)

    def _per_direction_kept(self, steps) -> tuple:
        """``T*(6*H + H_out)``: the four gates, the previous cell, ``tanh(c)``, the previous
        state (``H_out`` wide) and, with ``proj_size``, the product the projection
        multiplies (``H`` more); the previous state and that product are kept for
        ``weight_hh``'s and ``weight_hr``'s gradients only."""
        extra = self.hidden_size if self.projected else 0
        return (sympy.expand(6 * steps * self.hidden_size),
                sympy.expand(steps * (self.h_out + extra)))
