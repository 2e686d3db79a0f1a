"""Training memory of ``Repeat(block, N)`` with a numeric count, in time independent of N.

Repetitions are walked until the state one starts from (its input's layout, what is already
kept of it) recurs; the repetitions after that repeat the walked ones. Checked against the
block written out by hand, repetition by repetition, for small counts (where the first
repetition sees another layout than the later ones, and where a transpose of a square map
makes the layout alternate), against PyTorch's saved tensors on the written-out model, and,
for 10**9 repetitions, against the linear extrapolation of written-out models.
"""

from __future__ import annotations

import time

import pytest
import sympy

import symcnn as sc
import symcnn.training_memory as tm
from tests.conftest import require

torch = require("torch")
from tests.support.saved_tensors import measure  # noqa: E402

B = sc.symbols("B")


#: name -> (layers before the Repeat, a function giving one repetition's fresh layers). The
#: model is an input (6, 5), Linear(5, 6), ReLU, the layers before, the Repeat, Linear(6, 3):
#: square (6, 6) maps, so a transpose keeps the shape.
CASES = {
    # the first repetition sees a transposed input (its Linear keeps a copy from batch 2
    # on), the later ones the block's contiguous output (already kept by its ReLU)
    "transposed_input": ([sc.Permute((2, 1))],
                         lambda: [sc.nn.Linear(6, 6), sc.nn.ReLU()]),
    # the first repetition sees a contiguous input, the later ones a transposed one
    "transposed_output": ([], lambda: [sc.nn.Linear(6, 6), sc.nn.ReLU(), sc.Permute((2, 1))]),
    # the layout alternates: the Linear after the Repeat copies for an odd count only
    "alternating": ([], lambda: [sc.Permute((2, 1)), sc.nn.Sigmoid()]),
    # a view of the Repeat's input, transposed back and forth: no new tensor at all
    "transpose_only": ([], lambda: [sc.Permute((2, 1))]),
    # GELU keeps its input, a view of the Repeat's input in the first repetition
    "view_kept": ([sc.Permute((2, 1))], lambda: [sc.Permute((2, 1)), sc.nn.GELU()]),
}


def _model(name, middle):
    before, _ = CASES[name]
    x = sc.Input((6, 5))
    t = x
    for layer in [sc.nn.Linear(5, 6), sc.nn.ReLU(), *before, *middle, sc.nn.Linear(6, 3)]:
        t = layer(t)
    return sc.Model(x, t)


def block(name):
    """One repetition, as a model on (6, 6)."""
    x = sc.Input((6, 6))
    t = x
    for layer in CASES[name][1]():
        t = layer(t)
    return sc.Model(x, t)


def repeated(name, times):
    return _model(name, [sc.Repeat(block(name), times)])


def written_out(name, times):
    return _model(name, [layer for _ in range(times) for layer in CASES[name][1]()])


def activations(model):
    return model.training_memory(batch="B").activations


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_numeric_count_equals_the_block_written_out(name):
    for times in range(0, 7):
        mem = repeated(name, times).training_memory(batch="B")
        assert mem.activations == activations(written_out(name, times)), times
        assert sympy.expand(sum(b for _, _, b in mem.layers) - mem.activations) == 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_numeric_count_equals_pytorch_saved_tensors_of_the_block_written_out(name):
    for times in range(1, 5):
        closed = activations(repeated(name, times))
        net = written_out(name, times).to_torch()
        for batch in (1, 3):
            assert closed.subs(B, batch) == measure(net, torch.randn(batch, 6, 5))[0], \
                (times, batch)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_billion_repetitions_answer_at_once_as_the_written_out_models_extrapolate(name):
    """From the third repetition on, every two add the same bytes (one, where the layout
    does not alternate): f(N) = f(N0) + (N - N0)/2*(f(N0 + 2) - f(N0)) with N0 of N's
    parity, from written-out models."""
    f = {n: activations(written_out(name, n)) for n in (2, 3, 4, 5)}
    for times in (10**9, 10**9 + 1):
        start = time.perf_counter()
        mem = repeated(name, times).training_memory(batch="B")
        assert time.perf_counter() - start < 1.0
        n0 = 2 + times % 2
        assert mem.activations == sympy.expand(f[n0] + (times - n0) // 2 * (f[n0 + 2] - f[n0]))
        assert sympy.expand(sum(b for _, _, b in mem.layers) - mem.activations) == 0
        assert len(mem.layers) < 20  # a row per walked layer call, one for the rest


def test_a_repeat_of_a_repeat_counts_as_the_flat_count():
    for name in ("alternating", "transposed_input"):
        x = sc.Input((6, 6))
        nested = sc.Model(x, sc.Repeat(block(name), 10**5)(x))
        for outer in (10**4, 10**4 + 1):
            start = time.perf_counter()
            got = activations(_model(name, [sc.Repeat(nested, outer)]))
            assert time.perf_counter() - start < 1.0
            assert got == activations(repeated(name, outer * 10**5))


def test_a_block_whose_state_never_recurs_is_walked_or_refused(monkeypatch):
    """Past MAX_WALKED_REPETITIONS without a recurring state, the repetitions are walked one
    by one up to MAX_LAYER_CALLS layer calls, and a larger count is refused."""
    monkeypatch.setattr(tm, "MAX_WALKED_REPETITIONS", 1)
    for times in range(0, 6):
        assert activations(repeated("alternating", times)) == \
            activations(written_out("alternating", times))
    with pytest.raises(sc.CostError, match=r"'repeat.*' \(Repeat\).*times=1000000000"):
        repeated("alternating", 10**9).training_memory()


def test_a_symbolic_count_is_exact_or_refused_when_layouts_change_between_repetitions():
    """A symbolic count walks one repetition: exact only when every repetition starts from
    the same layout. Where they do not (all the cases above), it is refused, never a
    formula that is wrong at some count."""
    for name in sorted(CASES):
        with pytest.raises(sc.CostError, match="depend on how its input arrives.*"
                                               "substitute the count"):
            _model(name, [sc.Repeat(block(name), "L")]).training_memory(batch="B")


def test_a_symbolic_count_equals_every_numeric_count_when_the_layout_keeps():
    x = sc.Input((6, 5))
    inner = sc.Input((6, 6))
    body = sc.Model(inner, sc.nn.ReLU()(sc.nn.Linear(6, 6)(inner)))
    def model(times):
        t = sc.nn.ReLU()(sc.nn.Linear(5, 6)(x))
        return sc.Model(x, sc.nn.Linear(6, 3)(sc.Repeat(body, times)(t)))
    L = sc.symbols("L")
    symbolic = activations(model(L))
    for times in range(1, 7):
        assert symbolic.subs(L, times) == activations(model(times)), times
