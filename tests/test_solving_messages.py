"""What the solvers say when they refuse. Found by a hunt:

- ``sc.solve_budget(m.params, H, n)`` (the budget a symbol) said "the expression still has
  the free symbol(s) H ... Received: expr=160*n + 48320": the budget has it, not the
  expression.
- fixing ``H=4`` against the condition ``H >= 9`` said ``Received: constraint='H >= 9'``,
  not the value that breaks it.
- ``sc.sweep(training_memory)`` printed the object with ``!r`` (not ``errors.brief``) and
  did not say what to sweep instead (its ``total``).

(``sc.within_budget(10*a, 5, a, step="0.05")``, "no symbol named 'step' to fix", is in
tests/test_solving_no_valid_value.py: it now answers on the grid.)
"""

from __future__ import annotations

import pytest

import symcnn as sc
from symcnn.errors import brief

n, H, W, B = sc.symbols("n H W B")


def test_a_symbolic_budget_is_said_to_be_the_budgets_fault():
    params = sc.zoo.textbook.free_width().params
    with pytest.raises(sc.SolveError, match=r"the budget must be a number, and it is the "
                                            r"symbol H; .*Received: budget=H$"):
        sc.solve_budget(params, H, n)
    with pytest.raises(sc.SolveError, match=r"it is 1000\*H\*W, which depends on H, W; "
                                            r"give the number, or fix them by keyword"):
        sc.solve_budget(params, 1000 * H * W, n)
    # fixed, the budget is a number: the answer of brute force
    assert sc.solve_budget(params, 1000 * H, n, H=100) == max(
        v for v in range(1, 1000) if 160 * v + 48320 <= 100_000)


def test_a_fixed_value_breaking_a_condition_is_named_with_the_condition():
    def twice(size):
        return sc.Sequential([sc.Input((size, size, 3)), sc.Conv2D(16, 5), sc.Conv2D(16, 5),
                              sc.GlobalAveragePooling2D(), sc.Dense(10)])

    with pytest.raises(sc.ShapeError):  # brute force: the model at H = 4 does not build
        twice(4)
    memory = twice(H).training_memory(batch=B)
    assert [str(c) for c in memory.constraints] == ["H >= 9"]
    with pytest.raises(sc.SolveError, match=r"violate the model's condition H >= 9.*"
                                            r"Received: H=4, constraint='H >= 9'$"):
        sc.solve_budget(memory, 10**8, B, H=4)


def test_sweeping_a_training_memory_names_it_briefly_and_says_what_to_sweep():
    model = sc.zoo.textbook.cifar(input_shape=(H, H, 3))
    memory = model.training_memory(batch=B)
    with pytest.raises(sc.SolveError) as err:
        sc.sweep(memory, B=[1, 2], H=[32])
    message = str(err.value)
    assert "sc.sweep(mem.total, ...)" in message
    assert message.endswith(f"Received: {brief(memory)}")
    assert sc.sweep(memory.total, B=[1, 2], H=[32]).tolist() == [
        [model.subs(H=32).training_memory(batch=b).total] for b in (1, 2)]
