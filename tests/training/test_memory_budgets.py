"""Budgets on training memory keep to the sizes the network accepts.

``sc.solve_budget(mem, budget, H)`` (and ``sc.within_budget``) take the
:class:`~symcnn.training_memory.TrainingMemory` itself and solve its total under the model's
constraints; ``mem.total`` alone is a bare closed form with values at sizes no network has.
Every answer is checked against the model built at each size (symcnn refusing a size where
it raises ``ShapeError``), and the refused sizes against PyTorch.
"""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc
from tests.conftest import require

H, W = sc.symbols("H W")


def _two_convs(h):
    return sc.Sequential([sc.Input((h, h, 3)), sc.Conv2D(16, 5), sc.Conv2D(16, 5),
                          sc.GlobalAveragePooling2D(), sc.Dense(10)])


def _pooled(h):
    return sc.Sequential([sc.Input((h, h, 3)), sc.Conv2D(8, 3), sc.MaxPooling2D(2),
                          sc.Conv2D(8, 3), sc.GlobalAveragePooling2D(), sc.Dense(10)])


def _built_totals(make, sizes, **memory):
    """Training memory of the model built at each size symcnn accepts."""
    out = {}
    for h in sizes:
        try:
            model = make(h)
        except sc.ShapeError:
            continue
        out[h] = model.training_memory(**memory).total
    return out


def _brute_largest(totals: dict, budget: int):
    """The largest accepted h with every accepted size up to it within budget."""
    best = None
    for h in sorted(totals):
        if totals[h] > budget:
            break
        best = h
    return best


MEMORY = dict(batch=4, optimizer="sgd")


@pytest.mark.parametrize("make", [_two_convs, _pooled])
def test_solving_the_training_memory_answers_as_the_models_built_at_each_size(make):
    mem = make(H).training_memory(**MEMORY)
    assert mem.constraints  # the case: sizes the network refuses
    totals = _built_totals(make, range(1, 120), **MEMORY)
    smallest = min(totals)
    budgets = {mem.total.xreplace({H: h}) for h in range(1, smallest)}  # refused sizes
    budgets |= {totals[h] + d for h in (smallest, smallest + 1, 40) for d in (-1, 0, 1)}
    for budget in sorted(budgets):
        expected = _brute_largest(totals, budget)
        assert sc.solve_budget(mem, budget, H) == expected
        within = sc.within_budget(mem, budget, H)
        assert [h for h in range(1, 120) if within.contains(h) == True] == \
            [h for h in sorted(totals) if totals[h] <= budget]


def test_the_reported_budget_fits_no_size_the_network_accepts():
    mem = _two_convs(H).training_memory(**MEMORY)
    totals = _built_totals(_two_convs, range(1, 30), **MEMORY)
    budget = int(mem.total.xreplace({H: 8}))  # the bare total's value at a refused size
    assert 8 not in totals and min(totals) == 9 and totals[9] > budget
    assert sc.solve_budget(mem.total, budget, H) == 8  # the bare form: no constraints
    assert sc.solve_budget(mem, budget, H) is None
    assert sc.within_budget(mem, budget, H) == sympy.S.EmptySet


def test_pytorch_refuses_the_size_the_bare_total_answers():
    torch = require("torch")
    accepted = sc.interop.to_torch(_two_convs(9)).eval()
    with torch.no_grad():
        assert tuple(accepted(torch.zeros(4, 3, 9, 9)).shape) == (4, 10)
        with pytest.raises(RuntimeError, match="[Kk]ernel size"):
            accepted(torch.zeros(4, 3, 8, 8))


def test_fixed_symbols_and_ties_apply_to_the_memory_as_to_a_model():
    def make(h, w):
        return sc.Sequential([sc.Input((h, w, 3)), sc.Conv2D(8, 5), sc.Conv2D(8, 5),
                              sc.GlobalAveragePooling2D(), sc.Dense(10)])

    mem = make(H, W).training_memory(**MEMORY)
    square = _built_totals(lambda h: make(h, h), range(1, 80), **MEMORY)
    for budget in (10_000, square[9] - 1, square[9], square[30] + 5):
        assert sc.solve_budget(mem, budget, H, W=H) == _brute_largest(square, budget)
    wide = _built_totals(lambda h: make(h, 20), range(1, 80), **MEMORY)
    budget = wide[min(wide)] - 1
    assert sc.solve_budget(mem, budget, H, W=20) == _brute_largest(wide, budget) is None
