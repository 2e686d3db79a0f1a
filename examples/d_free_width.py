"""Worked example D, the headline: a network whose last layer has a free width n.

Prints the Keras-style table with closed forms, the total as a closed form in n, and the
widest n whose parameter count stays within a budget (default 100,000).

    python examples/d_free_width.py [--budget 100000]
"""

import argparse

import symcnn as sc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=100_000, help="parameter budget")
    args = parser.parse_args()

    n = sc.symbols("n")
    model = sc.Sequential([
        sc.Input((39, 31, 1)),
        sc.Conv2D(20, 4, use_bias=False),
        sc.MaxPooling2D(2),
        sc.Conv2D(40, 3, use_bias=False),
        sc.MaxPooling2D(2),
        sc.Conv2D(60, 3, use_bias=False),
        sc.MaxPooling2D(2),
        sc.Conv2D(80, 2, use_bias=False),
        sc.Flatten(),
        sc.Dense(n, use_bias=False),
    ], name="free_width")

    model.summary()
    print()
    print(f"Closed form: params(n) = {model.params}")
    best = sc.solve_budget(model.params, args.budget, n)
    print(f"Budget: the widest n with params(n) <= {args.budget:,} is n = {best} "
          f"({sc.format_count(model.subs(n=best).params)} params; n = {best + 1} gives "
          f"{sc.format_count(model.subs(n=best + 1).params)})")


if __name__ == "__main__":
    main()
