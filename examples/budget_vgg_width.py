"""The widest VGG-style network under 5 M parameters, every width a multiple of one w.

A VGG-11 layout for 32x32 inputs (CIFAR-10): eight 3x3 convolutions with BatchNorm and ReLU,
five max-poolings, global average pooling and a 10-way classifier. Its widths are
w, 2w, 4w, 4w, 8w, 8w, 8w, 8w (w = 64 is the usual VGG-11). The parameter count is a
quadratic in w; symcnn gives the widest w within budget exactly, four ways:

1. widths built as multiples of w;
2. widths as independent symbols, tied at solve time (c2=2*w, ...);
3. two budgets at once (parameters and multiply-accumulates at 32x32);
4. a width multiplier in steps of 0.1 (widths ceiling(c*t/10)): floors and ceilings, still exact.

    python examples/budget_vgg_width.py [--budget 5000000]
"""

import argparse

import sympy

import symcnn as sc

LAYOUT = [1, "M", 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M"]  # VGG-11, widths in units of w


def vgg(widths, input_size=32, name="vgg11_style"):
    """A VGG-style network; ``widths`` gives the eight convolution widths in order."""
    layers, widths = [sc.Input((input_size, input_size, 3))], iter(widths)
    for item in LAYOUT:
        if item == "M":
            layers.append(sc.MaxPooling2D(2))
        else:
            layers += [sc.Conv2D(next(widths), 3, padding="same"), sc.BatchNormalization(),
                       sc.ReLU()]
    layers += [sc.GlobalAveragePooling2D(), sc.Dense(10, activation="softmax")]
    return sc.Sequential(layers, name=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=5e6, help="parameter budget")
    budget = int(parser.parse_args().budget)
    w = sc.symbols("w")
    multiples = [k for k in LAYOUT if k != "M"]

    # 1. every width a multiple of w, built into the model
    model = vgg([k * w for k in multiples])
    best = model.solve_budget(params=budget, for_=w)
    print(f"params(w) = {model.params}")
    print(f"1. widest w with params <= {budget:,}: w = {best}  "
          f"(widths {[k * best for k in multiples]})")
    print(f"   params(w={best}) = {sc.format_count(model.subs(w=best).params)}, "
          f"params(w={best + 1}) = {sc.format_count(model.subs(w=best + 1).params)}")
    root = sc.solve(model.params, budget, w).real[0]
    print(f"   the real solution of params(w) = {budget:,} is w = {root} = {float(root):.4f}")

    # 2. independent widths, tied to w when solving
    cs = sc.symbols("c1:9")
    free = vgg(cs, name="vgg11_free_widths")
    ties = {c.name: k * w for c, k in zip(cs, multiples)}
    tied = sc.solve_budget(free.params, budget, w, **ties)
    print(f"2. the same with free widths c1..c8 tied at solve time: w = {tied}")
    assert tied == best

    # 3. parameters and MACs at once
    macs_budget = 80_000_000
    both = model.solve_budget(params=budget, macs=macs_budget, for_=w)
    alone = model.solve_budget(macs=macs_budget, for_=w)
    binding = "MACs" if alone < best else "parameters"
    print(f"3. within {budget:,} params and {macs_budget:,} MACs at 32x32: w = {both} "
          f"({binding} bind; MACs alone allow w = {alone})")

    # 4. a width multiplier t/10 with widths rounded up: ceiling(64*k*t/10)
    t = sc.symbols("t")
    rounded = vgg([sympy.ceiling(64 * k * t / 10) for k in multiples], name="vgg11_tenths")
    steps = rounded.solve_budget(params=budget, for_=t)
    at = rounded.subs(t=steps)
    print(f"4. width multiplier in tenths: t = {steps} (multiplier {steps / 10}), widths "
          f"{[at.layers[i].output_shape[-1] for i in range(len(at.layers)) if at.layers[i].type == 'Conv2D']}, "
          f"{sc.format_count(at.params)} params; t = {steps + 1} gives "
          f"{sc.format_count(rounded.subs(t=steps + 1).params)}")


if __name__ == "__main__":
    main()
