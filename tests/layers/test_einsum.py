"""EinsumDense: Keras 3's shapes and counts, and one MAC per term of the einsum.

Random equations of Keras' three forms (``ab,bc->ac``, ``...b,bc->...c``, ``ab...,bc->ac...``)
mixing every kind of letter (kept by the output, summed with the kernel, new from the kernel,
in all three, summed over the input alone), random ``output_shape`` (``None`` where the input
gives the size), ``bias_axes`` and ``lora_rank`` are built in real Keras 3 (torch backend)
and in symcnn: output shape (Keras' run, not its symbolic shape, which reverses the axes under
a leading ``...``), trainable and frozen counts and MACs (PyTorch's ``FlopCounterMode`` on the
Keras layer, and the product of the letters' sizes read off the real kernel and output) must
agree. The same layers on symbolic sizes substitute to the numeric ones.
"""

from __future__ import annotations

import math
import os
import string
import warnings

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.windows import Whole

from ..conftest import require
from ..support.flops import torch_macs

T, d, h, r = sc.symbols("T d h r")


# ------------------------------------------------------------------------------- the counts


def test_a_dense_written_as_an_einsum_counts_as_dense():
    dense = sc.Sequential([sc.Input((T, 64)), sc.Dense(32)])
    einsum = sc.Sequential([sc.Input((T, 64)), sc.EinsumDense("abc,cd->abd", (None, 32),
                                                              bias_axes="d")])
    assert einsum.output_shape == dense.output_shape == (T, 32)
    assert einsum.params == dense.params == 64 * 32 + 32
    assert einsum.macs == dense.macs == 2048 * T


def test_kernel_is_the_product_of_its_letters_and_the_bias_of_bias_axes():
    m = sc.Sequential([sc.Input((T, d)), sc.EinsumDense("abc,cde->abde", (None, h, 16),
                                                        bias_axes="de")])
    assert m.output_shape == (T, h, 16)
    assert m.params == d * h * 16 + h * 16
    assert m.layers[0].derivation.params.value == m.params


def test_macs_are_the_product_of_the_kernel_and_output_letters_and_of_the_ellipsis():
    layer = sc.EinsumDense("...b,bc->...c", 8)
    assert sc.Sequential([sc.Input((T, "S", d)), layer]).macs == 8 * T * sc.symbols("S") * d
    # an input letter neither the kernel nor the output has is summed first: no MACs
    summed = sc.Sequential([sc.Input((T, d)), sc.EinsumDense("abc,cd->ad", 8)])
    assert summed.output_shape == (8,) and summed.macs == 8 * d


def test_output_shape_may_be_an_int_or_leave_the_inputs_sizes_as_none():
    one = sc.EinsumDense("ab,bc->ac", 7)
    assert one.output_shape == (7,)
    m = sc.Sequential([sc.Input((T, 5)), sc.EinsumDense("abc,cd->abd", (None, "n"))])
    assert m.output_shape == (T, sc.symbols("n"))


def test_trailing_and_leading_ellipses_keep_their_axes_in_order():
    left = sc.Sequential([sc.Input((3, 4, 5)), sc.EinsumDense("...b,bc->...c", 7)])
    right = sc.Sequential([sc.Input((5, 3, 4)), sc.EinsumDense("ab...,bc->ac...", 7)])
    assert left.output_shape == (3, 4, 7) and right.output_shape == (7, 3, 4)
    # with every output letter given, a leading ... holds the batch; with one fewer, the
    # input's first letter is the batch and ... holds nothing
    assert sc.Sequential([sc.Input((6, 5)), sc.EinsumDense("...ab,bc->...ac",
                                                          (6, 7))]).output_shape == (6, 7)
    assert sc.Sequential([sc.Input((5,)), sc.EinsumDense("...ab,bc->...ac",
                                                        7)]).output_shape == (7,)


def test_lora_freezes_the_kernel_and_adds_factors_over_its_last_axis():
    m = sc.Sequential([sc.Input((T, d)), sc.EinsumDense("abc,cde->abde", (None, 4, h),
                                                        bias_axes="e", lora_rank=r)])
    assert m.non_trainable_params == 4 * d * h
    assert m.trainable_params == sympy.expand(r * (4 * d + h) + h)
    d_ = m.layers[0].derivation
    assert str(d_["non_trainable"]) == "non_trainable = N_c*N_d*N_e = d*4*h = 4*d*h"


def test_a_shared_axis_that_output_shape_gives_must_match_the_input():
    with pytest.raises(sc.ShapeError, match=r"EinsumDense layer 'e'.*shared axis 'b'.*"
                                            r"the input's is 3, output_shape's 4"):
        sc.Sequential([sc.Input((3, 5)), sc.EinsumDense("abc,cd->abd", (4, 7), name="e")])
    # undecided on symbols: a constraint, as every layer records one
    m = sc.Sequential([sc.Input((T, 5)), sc.EinsumDense("abc,cd->abd", ("S", 7))])
    assert sympy.Eq(sc.symbols("S"), T) in m.constraints or \
        sympy.Eq(T, sc.symbols("S")) in m.constraints


def test_the_derivation_names_every_size_by_its_letter():
    m = sc.Sequential([sc.Input((T, 64)), sc.EinsumDense("abc,cde->abde", (None, 8, 16),
                                                         bias_axes="de", name="q")])
    d_ = m.layers[0].derivation
    assert [s.key for s in d_] == ["N_d", "N_e", "params"]
    assert str(d_["params"]) == "params = N_c*N_d*N_e + N_d*N_e = 64*8*16 + 8*16 = 8,320"
    assert d_["params"].working.doit() == m.params
    tex = m.to_latex(style="derivation")
    assert r"\text{params} &= N_{c} N_{d} N_{e} + N_{d} N_{e}" in tex
    assert (r"\texttt{equation=\textquotesingle{}abc,cde-\textgreater{}abde"
            r"\textquotesingle{}}") in tex  # code as typed: straight quotes, no ligatures


def test_model_files_and_keras_configs_round_trip():
    m = sc.Sequential([sc.Input((T, d)),
                       sc.EinsumDense("abc,cde->abde", (None, 4, "h"), bias_axes="e",
                                      lora_rank="r", name="q"),
                       sc.EinsumDense("abcd,cde->abe", (None, 32), activation="relu",
                                      name="o")])
    spec = sc.model_to_spec(m)
    assert spec["layers"][0]["EinsumDense"]["output_shape"] == [None, 4, "h"]
    again = sc.model_from_spec(spec)
    assert (again.params, again.trainable_params, again.output_shape, again.macs) == \
        (m.params, m.trainable_params, m.output_shape, m.macs)
    assert repr(m.layers[0].layer).startswith(
        "EinsumDense(equation='abc,cde->abde', output_shape=(None, 4, h)")


# ----------------------------------------------------------------------- receptive fields


def test_positions_the_output_keeps_in_place_pass_through_and_summed_axes_are_read_whole():
    x = sc.Input((T, 8))
    y = sc.Conv1D(8, 3)(x)
    kept = sc.EinsumDense("abc,cd->abd", (None, 4))(y)
    assert sc.Model(x, kept).receptive_field[0].size == 3
    over_time = sc.EinsumDense("abc,bd->adc", (4, 8))  # sums the time axis
    assert over_time.window_for((10, 8)) == (Whole(), None)
    moved = sc.EinsumDense("abc,bd->acd", (8, 4))       # the channels move to axis 0
    assert moved.window_for((10, 8)) is None
    assert sc.EinsumDense("...b,bc->...c", 4).window_for((5, 6, 8)) == (None, None, Whole())


# ------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("args, kwargs, message", [
    (("ab,bc->ad", 7), {}, r"output letter 'd' is neither in the input 'ab' nor in the "
                           r"kernel 'bc'\. Received: equation='ab,bc->ad'"),
    (("ab,bcd->ac", 7), {}, r"kernel letter 'd' is neither.*Received: equation='ab,bcd->ac'"),
    (("ab,bc->acc", (7, 7)), {}, r"'c' appears twice"),
    (("ab, bc->ac", 7), {}, r"`equation` must be a string of the form.*Received: "
                            r"equation='ab, bc->ac'"),
    ((5, 7), {}, r"Received: equation=5"),
    (("ab,bc", 7), {}, r"Received: equation='ab,bc'"),
    (("ab,ac->bc", (5, 7)), {}, r"the batch axis, the input's first letter 'a'.*not in the "
                                r"kernel"),
    (("abc,cd->bad", (3, 7)), {}, r"first in the output"),
    (("ab,bc->ac", None), {}, r"Received: output_shape=None"),
    (("ab,bc->ac", 7.5), {}, r"Received: output_shape=7\.5"),
    (("ab,bc->ac", (7, 2)), {}, r"must give 1 size\(s\).*Received: output_shape=\(7, 2\)"),
    (("ab,bc->ac", 0), {}, r"output_shape.*Received: output_shape=0"),
    (("abc,cd->abd", (3, None)), {}, r"kernel needs the size of output axis 'd'"),
    (("ab,bc->ac", 7), {"bias_axes": "x"}, r"bias letter 'x'.*Received: bias_axes='x'"),
    (("ab,bc->ac", 7), {"bias_axes": "a"}, r"other than the batch axis 'a'"),
    (("ab,bc->ac", 7), {"bias_axes": ""}, r"Received: bias_axes=''"),
    (("abc,cd->abd", (None, 7)), {"bias_axes": "bd"}, r"the bias needs the size of output "
                                                      r"axis 'b'"),
    (("ab,bc->ac", 7), {"lora_rank": 0}, r"lora_rank"),
    (("ab,bc->ac", 7), {"activation": "relux"}, r"unknown activation 'relux'"),
])
def test_bad_arguments_name_the_layer_the_argument_and_the_value(args, kwargs, message):
    with pytest.raises(sc.LayerArgumentError, match="EinsumDense") as err:
        sc.EinsumDense(*args, **kwargs)
    assert err.match(message)


@pytest.mark.parametrize("equation, out, shape, message", [
    ("ab,bc->ac", 7, (5, 3), r"needs an input of rank 1 .*Received: input of rank 2"),
    ("abc...,cd->abd...", (3, 7), (3,), r"rank at least 2"),
    ("...ab,bc->...ac", (6, 7), (5,), r"rank at least 2"),
    ("abb,bc->ac", 7, (5, 4), r"the input's axes 'b' must have one size"),
    ("ab,b->a", (), (5,), r"batch axis only"),
])
def test_bad_inputs_are_shape_errors_with_the_layer_and_the_shape(equation, out, shape, message):
    with pytest.raises(sc.ShapeError, match=r"EinsumDense layer 'e' \(#0\) on input shape") as err:
        sc.Sequential([sc.Input(shape), sc.EinsumDense(equation, out, name="e")])
    assert err.match(message)


# ------------------------------------------------------------- random equations vs Keras

LETTERS = string.ascii_letters


@st.composite
def einsum_cases(draw, summed_at_least=1):
    """``(equation, output_shape, bias_axes, lora_rank, input_shape, sizes)``: a random valid
    equation; ``summed_at_least`` bounds the sizes of the letters the product sums over."""
    form = draw(st.sampled_from(["plain", "left", "right"]))
    pool = draw(st.permutations(LETTERS))[:11]
    batch, pool = pool[0], list(pool[1:])
    counts = {kind: draw(st.integers(lo, hi)) for kind, lo, hi in
              (("kept", 0, 2), ("summed", 0, 2), ("new", 0, 2), ("all", 0, 1), ("alone", 0, 1))}
    if counts["kept"] + counts["summed"] + counts["all"] + counts["alone"] == 0:
        counts["summed"] = 1  # an input needs a letter
    if counts["kept"] + counts["new"] + counts["all"] == 0:
        counts["new"] = 1  # and so do the output
    if counts["summed"] + counts["new"] + counts["all"] == 0:
        counts["new"] = 1  # and the kernel
    kinds = {}
    for kind, n in counts.items():
        for _ in range(n):
            kinds[pool.pop()] = kind
    sizes = {c: draw(st.integers(summed_at_least if kinds[c] == "summed" else 1, 4))
             for c in kinds}
    x = draw(st.permutations([c for c, k in kinds.items() if k != "new"]))
    w = draw(st.permutations([c for c, k in kinds.items() if k in ("summed", "new", "all")]))
    z = draw(st.permutations([c for c, k in kinds.items() if k in ("kept", "new", "all")]))
    count = draw(st.sampled_from([1, 2, 0]))                 # axes under the ...
    extra = tuple(draw(st.integers(1, 4)) for _ in range(count))
    if form == "left":
        equation = f"...{''.join(x)},{''.join(w)}->...{''.join(z)}"
        shape, named = (*extra, *(sizes[c] for c in x)), list(z)
    elif form == "right":
        equation = f"{batch}{''.join(x)}...,{''.join(w)}->{batch}{''.join(z)}..."
        shape, named = (*(sizes[c] for c in x), *extra), list(z)
    else:
        equation = f"{batch}{''.join(x)},{''.join(w)}->{batch}{''.join(z)}"
        shape, named = tuple(sizes[c] for c in x), list(z)
    out = tuple(None if kinds[c] == "kept" and draw(st.booleans()) else sizes[c] for c in named)
    sized = [c for c, size in zip(named, out) if size is not None]  # Keras sizes the bias
    bias = draw(st.one_of(st.none(), st.sets(st.sampled_from(sized), min_size=1)  # from them
                          .map(lambda s: "".join(sorted(s))))) if sized else None
    lora = draw(st.one_of(st.none(), st.integers(1, 3)))
    return equation, out, bias, lora, shape, sizes


def keras_layer(keras, equation, out, bias, lora):
    return keras.layers.EinsumDense(equation, out, bias_axes=bias, lora_rank=lora, name="e")


def keras_counts(layer) -> tuple:
    return (sum(math.prod(w.shape) for w in layer.trainable_weights),
            sum(math.prod(w.shape) for w in layer.non_trainable_weights))


def letter_product(equation, kernel_shape, real_out_shape) -> int:
    """The product of the sizes of the kernel's and output's letters and of the axes under
    ``...``, read off the real kernel and output (batch axis dropped), one example."""
    text = equation.replace("...", ".")
    x, rest = text.split(",")
    w, z = rest.split("->")
    sizes = dict(zip(w, kernel_shape))
    out = list(real_out_shape)
    if z.startswith("."):
        elided = out[1:len(out) - len(z) + 1]
        sizes.update(zip(z[1:], out[len(out) - len(z) + 1:]))
    else:
        named = z.rstrip(".")
        sizes.update(zip(named[1:], out[1:len(named)]))
        elided = out[len(named):]
    batch = None if z.startswith(".") else z[0]
    return math.prod(v for c, v in sizes.items() if c != batch) * math.prod(elided)


@pytest.mark.frameworks
@settings(max_examples=60, deadline=None)
@given(case=einsum_cases(summed_at_least=2))
def test_random_equations_agree_with_keras_in_shape_counts_and_flop_counter_macs(case):
    # summed sizes of 1 are left out here: PyTorch then multiplies element-wise, which
    # FlopCounterMode does not count (docs/costs.md, "Sums over one term")
    keras, torch = require("keras"), require("torch")
    equation, out, bias, lora, shape, sizes = case
    theirs = keras_layer(keras, equation, out, bias, lora)
    x = torch.randn(2, *shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = tuple(theirs(x).shape)
        real_macs = torch_macs(theirs, x)
    ours = sc.Sequential([sc.Input(shape), sc.EinsumDense(equation, out, bias_axes=bias,
                                                          lora_rank=lora, name="e")])
    assert ours.output_shape == real[1:]
    assert (ours.trainable_params, ours.non_trainable_params) == keras_counts(theirs)
    assert ours.params == theirs.count_params()
    assert ours.macs == letter_product(equation, tuple(theirs._kernel.shape), real)
    x_letters, rest = equation.split(",")
    w_letters, z_letters = rest.split("->")
    merge = 0 if lora is None else (  # Keras merges the LoRA factors once per call
        math.prod(theirs.lora_kernel_a.shape) * theirs.lora_kernel_b.shape[-1])
    if any(c in w_letters and c not in z_letters for c in x_letters):
        assert 2 * ours.macs + merge == real_macs  # a batch of 2; a matrix product PyTorch
        # runs (without a summed letter it multiplies element-wise, which it does not count)


@settings(max_examples=60, deadline=None)
@given(case=einsum_cases(), data=st.data())
def test_symbolic_sizes_substitute_to_the_numeric_layer(case, data):
    equation, out, bias, lora, shape, sizes = case
    names = {c: f"n_{c}" if c.islower() else f"N_{c}" for c in sizes}
    rank = sc.symbols("r") if lora else None

    def build(sizes_of, rank_value):
        shape_of = [sizes_of.get(c, v) for c, v in zip(_input_letters(equation, shape), shape)]
        given = tuple(None if v is None else sizes_of[c] for c, v in
                      zip(_named_letters(equation, out), out))
        return sc.Sequential([sc.Input(tuple(shape_of)),
                              sc.EinsumDense(equation, given, bias_axes=bias,
                                             lora_rank=rank_value)])

    symbolic = build({c: sc.symbols(n) for c, n in names.items()}, rank)
    numeric = build(sizes, lora)
    values = {names[c]: v for c, v in sizes.items()} | ({"r": lora} if lora else {})
    values = {k: v for k, v in values.items() if sc.symbols(k) in symbolic.free_symbols}
    again = symbolic.subs(**values) if values else symbolic
    assert again.output_shape == numeric.output_shape
    assert (again.trainable_params, again.non_trainable_params, again.macs) == \
        (numeric.trainable_params, numeric.non_trainable_params, numeric.macs)
    subs = {sc.symbols(k): v for k, v in values.items()}
    assert symbolic.params.subs(subs) == numeric.params
    assert symbolic.macs.subs(subs) == numeric.macs
    assert symbolic.layers[0].derivation.params.evaluate() == symbolic.params


def _input_letters(equation, shape) -> list:
    """The letter of each input axis (None under ``...``), batch axis left out."""
    x = equation.split(",")[0]
    if x.startswith("..."):
        letters = x[3:]
        return [None] * (len(shape) - len(letters)) + list(letters)
    letters = x.replace("...", "")[1:]
    return list(letters) + [None] * (len(shape) - len(letters))


def _named_letters(equation, out) -> list:
    z = equation.split("->")[1].replace("...", "")
    return list(z[len(z) - len(out):])


# ------------------------------------------------------------------------- the bridges


@pytest.mark.frameworks
def test_from_keras_reads_einsum_dense_with_keras_counts_and_shapes():
    keras, torch = require("keras"), require("torch")
    x = keras.Input((6, 16), name="tokens")
    q = keras.layers.EinsumDense("abc,cde->abde", (None, 4, 8), bias_axes="de", name="q")(x)
    o = keras.layers.EinsumDense("abcd,cde->abe", (None, 16), bias_axes="e",
                                 activation="relu", name="o")(q)
    s = keras.layers.EinsumDense("...b,bc->...c", 3, lora_rank=2, name="s")(o)
    theirs = keras.Model(x, [q, s])
    ours = sc.from_keras(theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = [tuple(t.shape[1:]) for t in theirs(torch.randn(2, 6, 16))]
    assert ours.params == theirs.count_params()
    assert ours.non_trainable_params == 16 * 3  # the frozen kernel under LoRA
    assert list(ours.output_shape) == real
    again = sc.from_keras(theirs, input_shape=("T", 16))
    assert again.output_shape == [(sc.symbols("T"), 4, 8), (sc.symbols("T"), 3)]


@pytest.mark.frameworks
def test_to_keras_writes_einsum_dense_with_the_same_counts_and_shapes():
    require("keras")
    torch = require("torch")
    # None in output_shape: Keras carries it on to the next layer's kernel, so the export
    # writes the size the input gives
    for given in (5, None):
        m = sc.Sequential([sc.Input((5, 12)),
                           sc.EinsumDense("abc,cde->abde", (given, 3, 4), bias_axes="e",
                                          name="q"),
                           sc.EinsumDense("ab...,bc->ac...", 6, lora_rank=2, name="t")])
        theirs = m.to_keras()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real = tuple(theirs(torch.randn(2, 5, 12)).shape[1:])
        assert theirs.count_params() == m.params and real == m.output_shape
        assert keras_counts(theirs) == (m.trainable_params, m.non_trainable_params)


# -------------------------------------------------------------------- training memory


MEMORY = [  # (equation, output_shape, bias_axes, activation, a Dense after)
    ("abc,cd->abd", (3, 7), "d", None, False),
    ("...b,bc->...c", 7, None, "gelu", True),
    ("abcd,cde->abe", (3, 7), "e", None, True),
    ("abc,cde->abde", (3, 4, 6), None, "relu", True),
    ("abc,cd->adb", (7, 3), "d", "relu", True),     # the output in the product's order
    ("abcd,de->aebc", (6, 3, 4), None, "relu", True),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("equation, out, bias, activation, after", MEMORY)
def test_what_is_kept_for_backward_is_what_keras_on_torch_keeps(equation, out, bias,
                                                                activation, after):
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    keras, torch = require("keras"), require("torch")
    from ..support.saved_tensors import measure

    shape = (3, 4, 5) if equation.startswith(("abcd", "...")) else (3, 5)
    x = keras.Input(shape, name="x")
    y = keras.layers.ReLU(name="r")(keras.layers.Dense(shape[-1], name="d")(x))
    y = keras.layers.EinsumDense(equation, out, bias_axes=bias, activation=activation,
                                 name="e")(y)
    if after:
        y = keras.layers.Dense(3, name="after")(y)
    theirs = keras.Model(x, y)
    total, _ = measure(theirs, torch.randn(2, *shape))
    assert sc.from_keras(theirs).training_memory(batch=2).activations == total


@pytest.mark.parametrize("layer, match", [
    (sc.EinsumDense("abc,bd->acd", (5, 7)), "matrix product"),       # sums a middle axis
    (sc.EinsumDense("abdc,cde->abe", (3, 7)), "alphabetical"),      # summed out of order
])
def test_what_pytorch_keeps_for_other_equations_is_an_error_not_a_guess(layer, match):
    model = sc.Sequential([sc.Input((3, 4, 5) if "abdc" in layer.equation else (3, 5)), layer])
    with pytest.raises(sc.CostError, match=match):
        model.training_memory()
