"""The plots of docs/solving.md: budgets, closed forms and solved points (needs symcnn[plot]).

1. solving-free-width.png: worked example D, params(n) = 160*n + 48320 against n, the
   100,000 budget and the widest n = 323 marked.
2. solving-vgg-widths.png: VGG-11, -16 and -19 layouts for 32x32 inputs with every width a
   multiple of w, parameters against w, the 5 M budget and each widest w marked.

    python examples/plot_budgets.py docs/img   # writes the two PNGs used by docs/solving.md
    python examples/plot_budgets.py            # into a temporary folder (prints the paths)
"""

import argparse
import pathlib
import tempfile

import symcnn as sc

LAYOUTS = {  # widths in units of w, "M" = max pooling
    "VGG-11 style": [1, "M", 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M"],
    "VGG-16 style": [1, 1, "M", 2, 2, "M", 4, 4, 4, "M", 8, 8, 8, "M", 8, 8, 8, "M"],
    "VGG-19 style": [1, 1, "M", 2, 2, "M", 4, 4, 4, 4, "M", 8, 8, 8, 8, "M", 8, 8, 8, 8, "M"],
}


def vgg(layout, w, name):
    layers = [sc.Input((32, 32, 3))]
    for item in layout:
        if item == "M":
            layers.append(sc.MaxPooling2D(2))
        else:
            layers += [sc.Conv2D(item * w, 3, padding="same"), sc.BatchNormalization(), sc.ReLU()]
    return sc.Sequential(layers + [sc.GlobalAveragePooling2D(), sc.Dense(10)], name=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", help="folder for the PNGs (default: a temporary one)")
    args = parser.parse_args()
    out = pathlib.Path(args.outdir or tempfile.mkdtemp(prefix="symcnn-plots-"))
    out.mkdir(parents=True, exist_ok=True)

    free = sc.zoo.textbook.free_width()
    path = out / "solving-free-width.png"
    sc.plot(free, n=range(1, 501), budget=100_000, path=path,
            title="Worked example D: parameters against the free width n")
    print(f"wrote {path}")

    w = sc.symbols("w")
    models = {name: vgg(layout, w, name.split()[0].lower()) for name, layout in LAYOUTS.items()}
    path = out / "solving-vgg-widths.png"
    sc.plot(models, w=range(8, 81), budget=5_000_000, path=path,
            title="VGG-style networks, every width a multiple of w (32x32 inputs)")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
