"""EfficientNet-style compound scaling of depth, width and resolution, solved for a budget.

EfficientNet grows depth, width and input resolution together with one coefficient phi (by
alpha = 1.2, beta = 1.1 and gamma = 1.15 per step). Here the three are tied to one integer
phi >= 0 in linear steps of those sizes, rounded the way such families round:

    repeats of a stage   ceiling(L * (5 + phi) / 5)          (+20 % per step)
    channels             8 * ceiling(c * (10 + phi) / 80)     (+10 %, a multiple of 8)
    input size           32 * ceiling(224 * (20 + 3*phi) / 640)   (+15 %, a multiple of 32)

The network is a small EfficientNet-B0-like stack of inverted-residual (MBConv) blocks built
from symcnn layers. Depth changes the layer count, so the closed forms are assembled from the
blocks: each stage costs its first block plus (repeats - 1) times its repeated block, every
term an expression in phi with ceilings. symcnn then finds the largest phi within a parameter
and a MAC budget exactly, and the script checks the answer against the concrete networks
built layer by layer at phi and phi + 1.

    python examples/budget_compound_scaling.py [--params 20e6] [--macs 5e9]
"""

import argparse

import sympy

import symcnn as sc

#: (channels, repeats, stride, expansion) per stage, as in EfficientNet-B0 (all 3x3 here)
STAGES = [(16, 1, 1, 1), (24, 2, 2, 6), (40, 2, 2, 6), (80, 3, 2, 6), (112, 3, 1, 6),
          (192, 4, 2, 6), (320, 1, 1, 6)]
STEM, HEAD, CLASSES = 32, 1280, 1000


def width(c, phi):
    return 8 * sympy.ceiling(sympy.Integer(c) * (10 + phi) / 80)


def repeats(n, phi):
    return sympy.ceiling(sympy.Integer(n) * (5 + phi) / 5)


def resolution(phi):
    return 32 * sympy.ceiling(sympy.Integer(224) * (20 + 3 * phi) / 640)


def mbconv(c_in, c_out, stride, expansion):
    """An inverted-residual block without its skip connection (which has no parameters)."""
    layers = []
    if expansion != 1:
        layers += [sc.Conv2D(expansion * c_in, 1, use_bias=False), sc.BatchNormalization(),
                   sc.Activation("swish")]
    return layers + [sc.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False),
                     sc.BatchNormalization(), sc.Activation("swish"),
                     sc.Conv2D(c_out, 1, use_bias=False), sc.BatchNormalization()]


def stem(c):
    return [sc.Conv2D(c, 3, strides=2, padding="same", use_bias=False),
            sc.BatchNormalization(), sc.Activation("swish")]


def head(c):
    return [sc.Conv2D(c, 1, use_bias=False), sc.BatchNormalization(), sc.Activation("swish"),
            sc.GlobalAveragePooling2D(), sc.Dense(CLASSES)]


def network(phi: int) -> sc.Sequential:
    """The concrete member of the family for an integer phi, built layer by layer."""
    r = int(resolution(phi))
    layers = [sc.Input((r, r, 3)), *stem(int(width(STEM, phi)))]
    c_in = int(width(STEM, phi))
    for c, n, stride, e in STAGES:
        c_out = int(width(c, phi))
        for i in range(int(repeats(n, phi))):
            layers += mbconv(c_in, c_out, stride if i == 0 else 1, e)
            c_in = c_out
    return sc.Sequential(layers + head(int(width(HEAD, phi))), name=f"scaled_phi{phi}")


def closed_forms(phi):
    """Parameters and MACs of the whole family as closed forms in phi."""
    def block(layers, size, channels):
        model = sc.Sequential([sc.Input((size, size, channels)), *layers])
        return model, model.output_shape[0]

    first, size = block(stem(width(STEM, phi)), resolution(phi), 3)
    params, macs = first.params, first.macs
    c_in = width(STEM, phi)
    for c, n, stride, e in STAGES:
        c_out = width(c, phi)
        one, size = block(mbconv(c_in, c_out, stride, e), size, c_in)
        again, _ = block(mbconv(c_out, c_out, 1, e), size, c_out)
        params += one.params + (repeats(n, phi) - 1) * again.params
        macs += one.macs + (repeats(n, phi) - 1) * again.macs
        c_in = c_out
    last, _ = block(head(width(HEAD, phi)), size, c_in)
    return sympy.expand(params + last.params), sympy.expand(macs + last.macs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=float, default=20e6, help="parameter budget")
    parser.add_argument("--macs", type=float, default=5e9, help="multiply-accumulate budget")
    args = parser.parse_args()
    budget_params, budget_macs = int(args.params), int(args.macs)

    phi = sympy.Symbol("phi", integer=True, nonnegative=True)  # phi = 0 is the base network
    params, macs = closed_forms(phi)
    print(f"closed forms in phi: params has {len(params.args)} terms, MACs {len(macs.args)}")

    table = sc.sweep({"params": params, "macs": macs}, phi=range(0, 8))
    print(" phi  input  params        MACs")
    for i, p in enumerate(range(0, 8)):
        print(f"{p:4}  {int(resolution(p)):5}  {sc.format_count(table['params'][i]):>11}  "
              f"{sc.format_count(table['macs'][i]):>15}")

    best = sc.solve_budget({params: budget_params, macs: budget_macs}, phi)
    by_params = sc.solve_budget(params, budget_params, phi)
    by_macs = sc.solve_budget(macs, budget_macs, phi)
    print(f"\nlargest phi within {budget_params:,} params and {budget_macs:,} MACs: "
          f"phi = {best} (params alone allow {by_params}, MACs alone {by_macs})")

    if best is None:
        print("  no phi fits: the base network (phi = 0) is over budget")
        return
    for p in (best, best + 1):
        built = network(p)
        assert built.params == params.subs(phi, p) and built.macs == macs.subs(phi, p)
        fits = built.params <= budget_params and built.macs <= budget_macs
        print(f"  built layer by layer at phi = {p}: input {built.input_shape[0]}, "
              f"{len(built.layers)} layers, {sc.format_count(built.params)} params, "
              f"{sc.format_count(built.macs)} MACs -> {'fits' if fits else 'over budget'}")


if __name__ == "__main__":
    main()
