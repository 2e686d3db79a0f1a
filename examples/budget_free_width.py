"""Solving the free-width worked example: the widest n under a budget, and the sizes it accepts.

Worked example D has one free width n (the last Dense layer) and 160*n + 48320 parameters.
This script answers the budget question exactly (n = 323 under 100,000), shows the equation
solved in closed form, sweeps the neighbourhood of the answer, and asks which input heights
the network accepts and which of them waste rows to flooring.

    python examples/budget_free_width.py [--budget 100000]
"""

import argparse

import symcnn as sc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=100_000, help="parameter budget")
    budget = parser.parse_args().budget

    model = sc.zoo.textbook.free_width()
    n = sc.symbols("n")
    print(f"params(n) = {model.params}")

    best = sc.solve_budget(model.params, budget, n)      # same as model.solve_budget(params=...)
    print(f"widest n with params(n) <= {budget:,}: n = {best}")
    if best is not None:
        over = model.subs(n=best + 1).params
        print(f"  check: params({best}) = {sc.format_count(model.subs(n=best).params)}, "
              f"params({best + 1}) = {sc.format_count(over)}")

    exact = sc.solve(model.params, budget, n)
    print(f"params(n) = {budget:,} exactly: integer solutions {exact.integers}, "
          f"real solution n = {exact.real[0] if exact.real else 'none'}")

    around = range(max(1, (best or 1) - 2), (best or 1) + 3)
    table = sc.sweep(model, n=around)
    print("sweep:", ", ".join(f"n={v}: {sc.format_count(p)}"
                              for v, p in zip(around, table["params"].tolist())))

    tall = sc.zoo.textbook.free_width(input_shape=("H", 31, 1))
    heights = sc.admissible(tall, "H")
    print(f"\nWith a free input height H: params = {tall.params}")
    print(f"  admissible heights: {heights.values} (smallest H = {heights.smallest})")
    print(f"  heights that use every row: {heights.distinct}; the others repeat the feature "
          f"maps of H - 1")
    widest = tall.solve_budget(params=budget, for_="H", n=100)
    print(f"  tallest input with n = 100 under {budget:,} params: H = {widest}")


if __name__ == "__main__":
    main()
