"""Write docs/zoo.md: every zoo model's closed forms, computed from the zoo's code.

    python scripts/make_zoo_doc.py            # rewrite docs/zoo.md
    python scripts/make_zoo_doc.py --check    # exit 1 if docs/zoo.md is out of date

Each model is built with its widths (and class count) as symbols and with ``include_top``
on and off; the page prints the parameter counts, the last feature map and the input
constraints exactly as symcnn computes them. Long rounding terms are abbreviated by
symbols whose definitions follow the formula (``m_32 = make_divisible(32*alpha, 8)``), and a
count that depends on the input size is written in the last feature map's size ``h x w``.
``tests/zoo/test_zoo_doc.py`` fails when the committed page differs from this output.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import sympy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import symcnn as sc  # noqa: E402
from symcnn.render.exprs import show  # noqa: E402
from symcnn.zoo.scaling import make_divisible  # noqa: E402

PAGE = ROOT / "docs" / "zoo.md"


@dataclass
class Entry:
    title: str
    function: str
    symbolic: dict          # keyword arguments that make the widths symbols
    standard_input: tuple   # the published input size, for the numeric line
    note: str
    standard: dict = field(default_factory=dict)  # keyword arguments of the standard model


ENTRIES = [
    Entry("LeNet-5", "lenet5", {"classes": "n"}, (32, 32, 1),
          "LeCun et al. 1998 as published: trainable subsampling, C3's connection table "
          "(`TableConv2D`), fixed Euclidean RBF outputs (counted as non-trainable)."),
    Entry("AlexNet", "alexnet",
          {"filters": ("c1", "c2", "c3", "c4", "c5"), "units": "u", "classes": "n"},
          (224, 224, 3), "Single tower, as torchvision; adaptive 6x6 average pool."),
    Entry("AlexNet, two towers", "alexnet_two_tower", {"units": "u", "classes": "n"},
          (227, 227, 3), "The 2012 network: `groups=2` in convolutions 2, 4 and 5; the "
          "first fully connected layer reads the flattened last feature map."),
    *[Entry(f"VGG-{d}{' with batch normalization' if bn else ''}", f"vgg{d}{'_bn' if bn else ''}",
            {"width": "w", "units": "u", "classes": "n"}, (224, 224, 3),
            "torchvision's VGG: adaptive 7x7 average pool before the classifier.")
      for d in (11, 13, 16, 19) for bn in (False, True)],
    *[Entry(f"ResNet-{d}", f"resnet{d}", {"width": "w", "classes": "n"}, (224, 224, 3),
            "torchvision's ResNet (v1.5: a bottleneck strides in its 3x3 convolution)."
            if d >= 50 else "torchvision's ResNet, basic blocks.")
      for d in (18, 34, 50, 101, 152)],
    Entry("MobileNetV2", "mobilenet_v2", {"alpha": "alpha", "classes": "n"}, (224, 224, 3),
          "torchvision's MobileNetV2; widths rounded by `make_divisible` "
          "(see `symcnn.zoo.scaling`)."),
    *[Entry(f"MobileNetV3-{size.capitalize()}", f"mobilenet_v3_{size}",
            {"alpha": "alpha", "classes": "n"}, (224, 224, 3),
            f"torchvision's MobileNetV3-{size.capitalize()}; widths rounded by "
            f"`make_divisible`; the closed forms in `alpha` hold for `alpha > {bound}` (below, "
            f"torchvision leaves out expansions the tables draw), a constraint the model "
            f"records; build a smaller `alpha` as a number.")
      for size, bound in (("large", "5/36"), ("small", "10/81"))],
    Entry("EfficientNet-B0", "efficientnet_b0",
          {"width_coefficient": "w", "depth_coefficient": "d", "classes": "n"}, (224, 224, 3),
          "torchvision's EfficientNet; B1-B7 are `width_coefficient`/`depth_coefficient` "
          "pairs (`sc.zoo.EFFICIENTNET_COEFFICIENTS`). A symbolic depth repeats blocks with "
          "`sc.Repeat`."),
    Entry("DenseNet-121", "densenet121", {"growth_rate": "k", "classes": "n"}, (224, 224, 3),
          "torchvision's DenseNet-BC; the stem has `2*growth_rate` channels."),
    *[Entry(f"ConvNeXt-{size[0].upper()}", f"convnext_{size}", {"classes": "n"}, (224, 224, 3),
            "torchvision's and Keras' ConvNeXt; `sc.zoo.convnext(depths, dims)` takes the "
            "depths and widths (symbols too).")
      for size in ("tiny", "small", "base", "large")],
    *[Entry(f"ViT-{kind[0].upper()}/{kind[1:]}", f"vit_{kind[0]}_{kind[1:]}", {"classes": "n"},
            (224, 224, 3),
            "torchvision's Vision Transformer; the position embedding has one vector per patch "
            "and the class token, so the count depends on H and W. `sc.zoo.vit(patch_size, "
            "hidden_dim, num_layers, num_heads, mlp_dim)` takes every size (symbols too). MACs "
            "include the attention products (see [Costs](costs.md)).")
      for kind in ("b16", "b32", "l16", "l32", "h14")],
    *[Entry(f"Swin-{size.upper()}", f"swin_{size}", {"classes": "n"}, (224, 224, 3),
            "torchvision's Swin Transformer: window attention with a relative position bias "
            "table, every second block shifted; patch merging between stages. "
            "`sc.zoo.swin(embed_dim, depths, num_heads, window_size)` builds others.")
      for size in ("t", "s", "b")],
]


# ----------------------------------------------------------------------------- abbreviations


def _abbreviations(exprs):
    """Symbols for rounding terms of the width symbols, and their definitions, in order."""
    table, defs = {}, []

    def name_for(atom):
        if isinstance(atom, make_divisible):
            inner = atom.args[0].atoms(make_divisible)  # MobileNetV3's squeeze widths
            if inner:
                return f"q_{sorted(inner, key=sympy.default_sort_key)[0].args[0].as_coeff_Mul()[0]}"
            return f"m_{atom.args[0].as_coeff_Mul()[0]}"
        if isinstance(atom, sympy.ceiling):
            return f"r_{atom.args[0].as_coeff_Mul()[0]}"
        widths = sorted(atom.atoms(make_divisible), key=sympy.default_sort_key)
        return f"s_{widths[0].args[0].as_coeff_Mul()[0]}" if len(widths) == 1 else None

    for expr in exprs:
        # Inner terms first, so a definition can use the symbols of the terms it contains.
        for atom in sorted(_width_roundings(expr), key=sympy.count_ops):
            name = name_for(atom) if atom not in table else None
            if name is None:
                continue
            symbol = sympy.Symbol(name, positive=True, integer=True)
            defs.append((symbol, _abbreviate(atom, table)))
            table[atom] = symbol
    order = {"m": 0, "q": 1, "s": 2, "r": 3}
    defs.sort(key=lambda d: (order[d[0].name[0]], sympy.Integer(d[0].name.split("_")[1])))
    return table, defs


def _is_width_rounding(e):
    """A rounding of the width symbols (not of H or W): what the page abbreviates."""
    if e.free_symbols & {sc.symbols("H"), sc.symbols("W")}:
        return False
    if isinstance(e, (make_divisible, sympy.ceiling)):
        return True
    return isinstance(e, sympy.Max) and e.has(make_divisible)


def _width_roundings(expr):
    return {e for e in sympy.preorder_traversal(expr) if _is_width_rounding(e)}


def _abbreviate(expr, table):
    """``expr`` with the abbreviated terms replaced, outermost first, grouped by block count."""
    for atom in sorted(table, key=sympy.count_ops, reverse=True):
        expr = expr.xreplace({atom: table[atom]})
    expr = sympy.expand(expr)
    counts = sorted((s for s in expr.free_symbols if s.name.startswith("r_")),
                    key=lambda s: int(s.name[2:]))
    return sympy.collect(expr, counts) if counts else expr


# ----------------------------------------------------------------------------- feature map


def _in_feature_map(expr, shape):
    """``expr`` written in the last feature map's sizes ``h, w`` when it depends on H, W."""
    H, W = sc.symbols("H W")
    if not expr.free_symbols & {H, W}:
        return expr, False
    h, w = sympy.symbols("h w", positive=True, integer=True)
    if expr.free_symbols & {h, w}:
        raise SystemExit(f"a width symbol is called h or w; rename it in ENTRIES: {expr}")
    for size, symbol in zip(shape[:2], (h, w)):
        rounding = [t for t in sympy.Add.make_args(size) if t.has(sympy.floor, sympy.ceiling)]
        if len(rounding) != 1:
            return expr, False
        constant = size - rounding[0]
        expr = expr.xreplace({rounding[0]: symbol - constant})
    expr = sympy.expand(expr)
    if expr.free_symbols & {H, W}:
        raise SystemExit(f"cannot write {expr} in the feature map's sizes")
    return expr, True


# ----------------------------------------------------------------------------- rendering


def _call(function, kwargs):
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"sc.zoo.{function}({args})"


def _count(value) -> str:
    return f"{int(value):,}"


def _constraints(model) -> str:
    shown = ", ".join(f"`{show(c)}`" for c in model.constraints)
    return shown or "any `H, W >= 1`"


@dataclass
class Forms:
    """What the page shows of one model: closed forms, abbreviated, and their definitions."""

    full: object            # the model with symbolic widths
    features: object        # the same without its top
    trainable: sympy.Expr   # abbreviated, and in h, w when it depends on the input size
    non_trainable: sympy.Expr
    feature_map: tuple
    definitions: list       # (symbol, what it stands for)
    in_map: bool            # whether h, w stand for the last feature map's size


def closed_forms(entry: Entry) -> Forms:
    build = getattr(sc.zoo, entry.function)
    full = build(**entry.symbolic)
    features = build(include_top=False, **{k: v for k, v in entry.symbolic.items()
                                           if k not in ("classes", "units")})
    trainable, in_map = _in_feature_map(full.trainable_params, features.output_shape)
    non_trainable, _ = _in_feature_map(full.non_trainable_params, features.output_shape)
    table, defs = _abbreviations([trainable, non_trainable, *features.output_shape])
    return Forms(full, features, _abbreviate(trainable, table),
                 _abbreviate(non_trainable, table),
                 tuple(_abbreviate(d, table) for d in features.output_shape), defs, in_map)


def render_entry(entry: Entry) -> list:
    build = getattr(sc.zoo, entry.function)
    forms = closed_forms(entry)
    standard = build(entry.standard_input, **entry.standard)
    standard_features = build(entry.standard_input, include_top=False, **entry.standard)
    raw = str(forms.full.trainable_params)  # as the doctest prints it
    features_call = _call(entry.function, {k: v for k, v in entry.symbolic.items()
                                          if k not in ("classes", "units")}
                          | {"include_top": False})
    lines = [f"## {entry.title}", "", entry.note, "", "```python",
             f">>> m = {_call(entry.function, entry.symbolic)}"]
    if len(raw) <= 100:
        lines += [">>> m.trainable_params", raw]
    lines += [f">>> print(sc.format_shape({features_call}.output_shape))",
              sc.format_shape(forms.features.output_shape), "```", ""]
    lines += ["| | closed form |", "|---|---|"]
    lines.append(f"| trainable parameters (PyTorch's count) | `{show(forms.trainable)}` |")
    lines.append(f"| non-trainable (BatchNorm moving statistics, fixed weights) | "
                 f"`{show(forms.non_trainable)}` |")
    lines.append(f"| last feature map (`include_top=False`) | "
                 f"`{sc.format_shape(forms.feature_map)}` |")
    lines.append(f"| valid inputs | {_constraints(forms.full)} |")
    lines.append("")
    if forms.in_map:
        size = forms.features.output_shape
        lines += [f"Here `h x w` is the last feature map's size, `{show(size[0])}` x "
                  f"`{show(size[1])}`: the fully connected layers read it flattened, so the "
                  f"count grows with the input.", ""]
    if forms.definitions:
        lines += ["where", ""]
        lines += [f"- `{symbol} = {show(definition)}`" for symbol, definition in forms.definitions]
        lines.append("")
    call = _call(entry.function, {"input_shape": entry.standard_input, **entry.standard})
    lines.append(f"Published configuration, `{call}`: {_count(standard.trainable_params)} "
                 f"trainable and {_count(standard.non_trainable_params)} non-trainable "
                 f"parameters; last feature map {sc.format_shape(standard_features.output_shape)}.")
    lines.append("")
    return lines


HEADER = """# The zoo: classic networks as closed forms

<!-- Generated by scripts/make_zoo_doc.py from the code in symcnn/zoo; do not edit by hand.
     tests/zoo/test_zoo_doc.py checks that this page is up to date. -->

`symcnn.zoo` builds the classic convolutional networks with symcnn layers. Each function
returns a model whose input is `(H, W, 3)` with `H` and `W` symbols (LeNet-5: `(H, W, 1)`)
unless `input_shape` is given (channels last, as Keras: `(3, 224, 224)` is refused as
channels first, naming `(224, 224, 3)`), and takes:

- `classes`: the size of the last layer (1000, LeNet-5: 10);
- `include_top=False`: end the model at its last feature map, as `keras.applications` does;
- the network's widths, as numbers or symbols: `width` (VGG, ResNet), `units` (the hidden
  fully connected layers of VGG and AlexNet), `filters` (AlexNet), `alpha` (MobileNetV2),
  `width_coefficient` and `depth_coefficient` (EfficientNet), `growth_rate` (DenseNet).

The architectures are torchvision's (and the papers' for LeNet-5 and the two-tower
AlexNet), so each count equals the same network built in plain `torch.nn`; the tests check
this, and every layer's shape against a real forward pass at several input sizes.
Trainable parameters are what PyTorch's `parameters()` counts; non-trainable ones are
batch normalization's moving mean and variance, as Keras counts them, and LeNet-5's fixed
output centres.

```python
>>> import symcnn as sc
>>> sc.zoo.resnet50().trainable_params
25557032
>>> print(sc.format_shape(sc.zoo.resnet50(include_top=False).output_shape))
(ceiling(H/32), ceiling(W/32), 2048)
>>> m = sc.zoo.densenet121(growth_rate="k")
>>> m.trainable_params
6700*k**2 + 34908*k + 1000
>>> m.subs(k=12).trainable_params
1384696
```

Widths given as symbols of a multiplier (`alpha`, `width_coefficient`) are positive reals.
A channel count `c` becomes `make_divisible(c*alpha, 8)`: the nearest multiple of 8 (at
least 8, and 8 more when rounding lost over 10 %), which stays unevaluated while `alpha` is a
symbol; substituting a number evaluates it exactly as torchvision does. A symbolic
`depth_coefficient` `d` gives stages of `ceiling(n*d)` blocks. Below, such terms are
abbreviated: `m_c` is `make_divisible(c*w, 8)` (or `c*alpha`), `s_c` the squeeze width
`Max(1, floor(m_c/4))`, `r_n` the block count `ceiling(n*d)`.

## Summary

| model | call | trainable parameters | last feature map | valid inputs |
|---|---|---|---|---|
"""


def render() -> str:
    summary, sections = [], []
    for entry in ENTRIES:
        build = getattr(sc.zoo, entry.function)
        standard = build(entry.standard_input, **entry.standard)
        features = build(include_top=False)
        summary.append(f"| {entry.title} | `sc.zoo.{entry.function}()` | "
                       f"{_count(standard.trainable_params)} (at {entry.standard_input[0]}x"
                       f"{entry.standard_input[1]}) | `{sc.format_shape(features.output_shape)}` | "
                       f"{_constraints(build())} |")
        sections += render_entry(entry)
    return HEADER + "\n".join(summary) + "\n\n" + "\n".join(sections).rstrip() + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/zoo.md differs from what this script writes")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = PAGE.read_text() if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python scripts/make_zoo_doc.py",
                  file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
