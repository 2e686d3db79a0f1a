"""Keras 3's ``EinsumDense``: a dense layer written as an einsum of the input and a kernel.

The equation names every axis by a letter: ``"abc,cde->abde"`` multiplies an input
``(batch, T, C)`` by a kernel ``(C, D, E)`` into ``(batch, T, D, E)`` (Keras'
``MultiHeadAttention`` projects its query this way). As in Keras, the input's first letter is
the batch axis, unless the equation starts with ``...`` and ``output_shape`` gives every
output letter's size: then ``...`` holds the batch and any leading axes (``"...b,bc->...c"``).
``"ab...,bc->ac..."`` keeps trailing axes. ``output_shape`` gives the output's sizes without
the batch axis and the axes under ``...``, ``None`` where the input gives the size; the
kernel's axes take their sizes from the output or the input, and the bias has the sizes of
``bias_axes``. With ``N_x`` the size of axis ``x``:

- parameters: ``prod(N_x for x in the kernel's letters) + prod(N_x for x in bias_axes)``,
  and under ``lora_rank=r`` (kernel frozen) ``r*(F + N_y)``, Keras' two factors, with ``F``
  the product of the kernel's sizes but its last axis ``y``;
- MACs per example: the product of the sizes of the letters of the kernel and of the output
  but the batch's, and of the axes under ``...``: one multiply-accumulate per term of the
  einsum. An input letter that neither the kernel nor the output has is summed before the
  product (additions, which PyTorch's ``FlopCounterMode`` does not count either).

Shapes are what the layer computes (Keras' symbolic shape lists the axes under a leading
``...`` in reverse order). What Keras refuses is refused, naming the argument; so are the
configurations Keras builds but then computes otherwise than its shape says (more
``output_shape`` sizes than output letters, a batch letter summed over or moved).

>>> import symcnn as sc
>>> T = sc.symbols("T")
>>> proj = sc.EinsumDense("abc,cde->abde", output_shape=(None, 8, 16), bias_axes="de")
>>> m = sc.Sequential([sc.Input((T, 64)), proj])
>>> m.output_shape, m.params, m.macs
((T, 8, 16), 8320, 8192*T)
>>> print(m.layers[0].derivation)
einsum_dense (EinsumDense): input (T, 64), output (T, 8, 16)
  N_d = 8
  N_e = 16
  params = N_c*N_d*N_e + N_d*N_e = 64*8*16 + 8*16 = 8,320
  note: With equation='abc,cde->abde' the kernel has axes c, d, e and bias axes d, e; N_x is the
  size of axis x.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy

from ..derivation.blocks import sym
from ..errors import CostError, LayerArgumentError, ShapeError
from ..formulas import prod
from ..safe import brief
from ..windows import Whole
from ..working import Times
from .base import Checker, Layer, format_shape
from .layout import Layout
from .lora import LoRA
from .saved import kept_matrix, with_activation

__all__ = ["EinsumDense"]

#: Keras' three forms, with ``...`` written ``0`` (its ``_analyze_einsum_string``).
_FORMS = (("plain", re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)")),
          ("left", re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)")),
          ("right", re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0")))
_FORM_TEXT = "'[X],[Y]->[Z]', '...[X],[Y]->...[Z]' or '[X]...,[Y]->[Z]...'"


def parse_equation(equation: str):
    """``(form, input, kernel, output)`` of an ``EinsumDense`` equation in one of Keras' three
    forms (``"plain"``, ``"left"`` for a leading ``...``, ``"right"`` for a trailing one), or
    None.

    >>> parse_equation("...b,bc->...c"), parse_equation("ab,bc")
    (('left', 'b', 'bc', 'c'), None)
    """
    text = equation.replace("...", "0")
    for form, pattern in _FORMS:
        match = pattern.fullmatch(text)
        if match:
            return (form, *match.groups())
    return None


@dataclass(frozen=True)
class _Call:
    """The equation on one input shape (without the batch axis)."""

    sizes: dict        # letter -> size, for every letter but the batch's
    lead: tuple        # sizes under a leading ``...`` (the batch left out)
    trail: tuple       # sizes under a trailing ``...``
    output: tuple      # the output shape


def _times(symbols: list):
    return sympy.Integer(1) if not symbols else symbols[0] if len(symbols) == 1 else \
        Times(*symbols)


class EinsumDense(LoRA, Layer):
    """An einsum of the input and a kernel, plus a bias on ``bias_axes`` (Keras
    ``EinsumDense``); the module states the counts.

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((32, 128)),
    ...                sc.EinsumDense("abc,cd->abd", (32, 64), bias_axes="d")]).params
    8256
    >>> sc.EinsumDense("ab,bc->ad", 64)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: EinsumDense: output letter 'd' is neither in the input 'ab' nor in the kernel 'bc'. Received: equation='ab,bc->ad'
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 lora_rank=None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        form, x, w, z = self._parse(equation)
        if form != "left":
            self._check_batch(equation, form, x, w, z)
        sizes = self._output_shape_arg(output_shape, form, x, w, z)
        batch = None if form == "left" and len(sizes) == len(z) else x[0]
        if form == "left" and batch is not None:
            self._check_batch(equation, form, x, w, z)
        object.__setattr__(self, "_spec", (form, x, w, z, batch))
        self._set(equation=equation, output_shape=sizes, activation=activation,
                  bias_axes=self._bias_arg(bias_axes, z, batch, sizes))
        self._lora_arg(lora_rank)

    # -- arguments -------------------------------------------------------------------------

    def _refuse(self, arg: str, value, why: str) -> LayerArgumentError:
        who = self.type_name if self.name is None else f"{self.type_name} layer {self.name!r}"
        return LayerArgumentError(f"{who}: {why}. Received: {arg}={brief(value)}")

    def _check_batch(self, equation, form: str, x: str, w: str, z: str) -> None:
        """The input's first letter is the batch axis: once in the input, first in the
        output, not in the kernel (Keras would make a kernel of unknown size)."""
        batch = x[0]
        if x.count(batch) > 1 or batch in w or z[0] != batch:
            raise self._refuse("equation", equation, (
                f"the batch axis, the input's first letter {batch!r}"
                + (" (a leading ... holds it only when output_shape gives a size for every "
                   "output letter)" if form == "left" else "")
                + ", must be once in the input, first in the output and not in the kernel"))

    def _parse(self, equation) -> tuple:
        """The equation's form and letters, checked as Keras checks them when it builds."""
        parsed = parse_equation(equation) if isinstance(equation, str) else None
        if parsed is None:
            raise self._refuse("equation", equation, f"`equation` must be a string of the form "
                               f"{_FORM_TEXT}: letters, no spaces")
        form, x, w, z = parsed
        for letter in z:
            if z.count(letter) > 1:
                raise self._refuse("equation", equation,
                                   f"output letter {letter!r} appears twice in {z!r}")
            if letter not in x and letter not in w:
                raise self._refuse("equation", equation, f"output letter {letter!r} is neither "
                                   f"in the input {x!r} nor in the kernel {w!r}")
        for letter in w:
            if letter not in x and letter not in z:
                raise self._refuse("equation", equation, f"kernel letter {letter!r} is neither "
                                   f"in the input {x!r} nor in the output {z!r} (its size "
                                   f"would be unknown)")
        return parsed

    def _output_shape_arg(self, value, form: str, x: str, w: str, z: str) -> tuple:
        """One size (or None: the input's) per output letter but the batch's."""
        if value is None or isinstance(value, (bool, float)):
            raise self._refuse("output_shape", value, "`output_shape` must be a size or a "
                               "tuple of sizes and None (the output without the batch axis "
                               "and the axes under ...)")
        entries = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        sizes = tuple(None if v is None else self._size(v, "output_shape") for v in entries)
        counts = (len(z), len(z) - 1) if form == "left" else (len(z) - 1,)
        if len(sizes) not in counts:
            want = f"{len(z) - 1} size(s), one per letter of the output {z!r} but the batch " \
                   f"axis'"
            if form == "left":
                want = f"{len(z)} size(s), one per letter of the output {z!r} (... holds the " \
                       f"batch axis), or {want} (the input's first letter)"
            raise self._refuse("output_shape", value, f"`output_shape` must give {want}")
        for letter, size in zip(z[len(z) - len(sizes):], sizes):
            if size is None and letter in w:
                raise self._refuse("output_shape", value, f"the kernel needs the size of "
                                   f"output axis {letter!r}: it cannot be None")
        return sizes

    def _bias_arg(self, value, z: str, batch, sizes: tuple):
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self._refuse("bias_axes", value, "`bias_axes` must be None or a string of "
                               "output letters")
        given = dict(zip(z[len(z) - len(sizes):], sizes))
        for letter in value:
            if letter not in given:
                raise self._refuse("bias_axes", value, f"bias letter {letter!r} must be a "
                                   f"letter of the output {z!r}" + ("" if batch is None else
                                                                     f" other than the batch "
                                                                     f"axis {batch!r}"))
            if given[letter] is None:
                raise self._refuse("bias_axes", value, f"the bias needs the size of output "
                                   f"axis {letter!r}, which output_shape leaves None (as "
                                   f"Keras, which sizes the bias from output_shape)")
        return value

    # -- the equation on a shape -----------------------------------------------------------

    def _call(self, shape, check: Checker) -> _Call:
        form, x, w, z, batch = self._spec
        rank = len(shape)
        letters = x if batch is None else x[1:]
        if batch is None:                     # "...x": the ellipsis holds the batch
            if rank < len(x):
                raise self._rank_error(shape, f"at least {len(x)}")
            lead, body, trail = shape[:rank - len(x)], shape[rank - len(x):], ()
        elif form == "right":                 # "x...": trailing axes pass through
            if rank < len(letters):
                raise self._rank_error(shape, f"at least {len(letters)}")
            lead, body, trail = (), shape[:len(letters)], shape[len(letters):]
        else:
            if rank != len(letters):
                raise self._rank_error(shape, str(len(letters)))
            lead, body, trail = (), shape, ()
        sizes: dict = {}
        for letter, size in zip(letters, body):
            if letter in sizes:
                check.equal(sizes[letter], size, lambda letter=letter: (
                    f"the input's axes {letter!r} must have one size for equation "
                    f"{self.equation!r}. Received: input shape {format_shape(shape)}"))
            else:
                sizes[letter] = size
        out = []
        for letter, given in zip(z if batch is None else z[1:], self.output_shape):
            if given is not None and letter in sizes:
                check.equal(given, sizes[letter], lambda letter=letter, given=given: (
                    f"input and output do not match at shared axis {letter!r}: the input's is "
                    f"{sizes[letter]}, output_shape's {given}. Received: input shape "
                    f"{format_shape(shape)}, output_shape={self.output_shape!r}"))
            out.append(sizes[letter] if given is None else given)
        sizes.update(zip(z if batch is None else z[1:], out))
        output = (*lead, *out, *trail)
        if not output:
            raise ShapeError(f"the output would have the batch axis only; symcnn's shapes need "
                             f"one axis more. Received: equation={self.equation!r}")
        return _Call(sizes, tuple(lead), tuple(trail), output)

    def _rank_error(self, shape, rank: str) -> ShapeError:
        return ShapeError(f"equation {self.equation!r} with output_shape={self.output_shape!r} "
                          f"needs an input of rank {rank} (without the batch axis). Received: "
                          f"input of rank {len(shape)}, shape={format_shape(shape)}")

    def output_shape_for(self, shape, check: Checker):
        return self._call(shape, check).output

    def filled_output_shape(self, input_shape) -> tuple:
        """``output_shape`` with each None replaced by the size the input gives, for a Keras
        layer whose next layers need every size (Keras carries the None on).

        >>> EinsumDense("abc,cd->abd", (None, 7)).filled_output_shape((5, 3))
        (5, 7)
        """
        _, _, _, z, batch = self._spec
        sizes = self._call(tuple(input_shape), Checker()).sizes
        named = z if batch is None else z[1:]
        return tuple(sizes[c] if v is None else v for c, v in zip(named, self.output_shape))

    def _kernel_formula(self, input_shape) -> tuple:
        """``prod(N_x, x in the kernel) (+ prod(N_x, x in bias_axes))``, over the letters."""
        _, _, w, z, _ = self._spec
        sizes = self._call(input_shape, Checker()).sizes
        names = {letter: sym(f"N_{letter}") for letter in (*w, *z) if letter in sizes}
        kernel = _times([names[letter] for letter in w])
        bias = None if self.bias_axes is None else \
            _times([names[letter] for letter in z if letter in self.bias_axes])
        bind = {names[letter]: sizes[letter] for letter in w}
        if self.bias_axes is not None:
            bind.update({names[letter]: sizes[letter] for letter in self.bias_axes})
        return kernel, _times([names[letter] for letter in w[:-1]]), names[w[-1]], bias, bind

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """The product of the sizes of the kernel's and the output's letters (the batch's
        left out) and of the axes under ``...``: one MAC per term of the einsum."""
        _, _, w, z, batch = self._spec
        call = self._call(tuple(input_shapes[0]), Checker())
        letters = {letter for letter in (*w, *z) if letter != batch}
        return sympy.expand(prod([call.sizes[letter] for letter in sorted(letters)])
                            * prod(call.lead) * prod(call.trail))

    def derivation_for(self, b, input_shapes, output_shape):
        """The sizes ``output_shape`` gives, and the kernel's and bias' counts."""
        _, x, w, z, batch = self._spec
        for letter, given in zip(z if batch is None else z[1:], self.output_shape):
            if given is not None and letter not in x:
                b.add(f"N_{letter}", None, {}, given)
        bias = "no bias" if self.bias_axes is None else "bias axes " + ", ".join(
            letter for letter in z if letter in self.bias_axes)
        b.note(f"With equation={self.equation!r} the kernel has axes {', '.join(w)} and "
               f"{bias}; N_x is the size of axis x.")
        return self.params_formula(input_shapes[0])

    # -- positions and memory ----------------------------------------------------------------

    def _axes(self, call: _Call) -> tuple:
        """``(inputs, outputs)``: the letter of each axis (None under ``...``)."""
        _, x, _, z, batch = self._spec
        lead, trail = (None,) * len(call.lead), (None,) * len(call.trail)
        if batch is None:
            return (*lead, *x), (*lead, *z)
        return (*x[1:], *trail), (*z[1:], *trail)

    def window_for(self, input_shape):
        """A letter the output keeps at its place passes through (so do the axes under
        ``...``); a summed letter is read whole. None (not a window) when an axis moves."""
        _, x, _, z, _ = self._spec
        call = self._call(tuple(input_shape), Checker())
        ins, outs = self._axes(call)
        if any(x.count(letter) > 1 for letter in x) or (call.trail and len(x) != len(z)):
            return None   # a diagonal, or trailing axes that move
        maps = []
        for i, letter in enumerate(ins):
            if letter is None:
                maps.append(None)
            elif letter in z:
                if i >= len(outs) or outs[i] != letter:
                    return None
                maps.append(None)
            else:
                maps.append(Whole(keeps_axis=i < len(outs)))
        return tuple(maps)

    def _matrix_product(self, shape) -> tuple | None:
        """The output's memory order (axes, batch 0) when PyTorch's einsum computes this one
        as ``nn.Linear`` does: the input folded to ``(-1, K)`` over its trailing summed axes,
        the kernel folded without a copy. None for other equations."""
        _, x, w, z, batch = self._spec
        call = self._call(tuple(shape), Checker())
        if call.trail or any(s.count(c) > 1 for s in (x, w) for c in s):
            return None
        passing = [c for c in z if c in x and c not in w]
        summed = sorted(c for c in x if c in w and c not in z)  # PyTorch's label order
        made = [c for c in z if c in w and c not in x]
        if not summed or list(x) != passing + summed:
            return None
        if list(w) not in (summed + made, made + summed):
            return None
        offset = 1 + len(call.lead)
        axis = {c: offset + z.index(c) - (1 if batch else 0) for c in z}
        passed = [axis[c] for c in passing if c != batch]
        return (0, *range(1, offset), *passed, *(axis[c] for c in made))

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What PyTorch's einsum (Keras' on its PyTorch backend) keeps, for the equations it
        computes as a matrix product over the input's trailing axes (``"abc,cd->abd"``,
        ``"...b,bc->...c"``, ``"abc,cde->abde"``): the input folded to a matrix, as ``Dense``
        keeps it (:func:`~symcnn.layers.saved.kept_matrix`), and what the activation keeps.
        With several summed axes, whether the fold copies is decided as for a ``Dense`` over
        the last one: exact for the layouts symcnn's layers give, but for a ``Permute`` or a
        crop of the summed axes just before. Under ``lora_rank``, Keras merges the kernel at
        every call and the matrix product keeps that merged kernel where the input requires a
        gradient, as a LoRA ``Dense`` does (:meth:`~symcnn.layers.lora.LoRA.
        lora_saved_for_backward`, which training memory adds). Other equations are a
        :class:`~symcnn.errors.CostError`."""
        if self._matrix_product(input_shapes[0]) is None:
            raise CostError(
                f"{self._where()}: what PyTorch's einsum keeps for backward is stated for "
                f"equations it computes as one matrix product: the input's letters those the "
                f"output keeps (in the output's order), then the summed ones (in alphabetical "
                f"order, upper case first), each letter once, no trailing ...; the kernel's "
                f"summed and new letters in two groups in those orders. Received: "
                f"equation={self.equation!r}")
        return with_activation(self, output_shapes, kept_matrix())

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """PyTorch's matrix product writes the kept axes, then the kernel's new ones, and
        returns a view in the output's order (the bias add and the activation keep it);
        not stated for the other equations."""
        order = self._matrix_product(input_shapes[0])
        return (None if order is None else Layout(order),)
