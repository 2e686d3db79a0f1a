"""Substituting a model that nests a block whose input reuses the outer model's symbol names.

A nested model's input sizes are a template, bound to the shapes each call receives: an
outer ``H=64`` must not rewrite the block's ``Input(("H", "W", 16))`` to ``(64, 64, 16)``
(then called on ``(32, 32, 16)`` it was refused), while a symbol of the block's layer
arguments (a width ``w`` shared with the outer model) must take the value. Each substituted
model is compared with the same model built with the numbers directly (its blocks' inputs
``None``, as Keras writes them), and with Keras itself.
"""

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from .conftest import require

KINDS = ("residual", "repeat_L", "repeat_2", "downsample_L", "nested_in_block",
         "functional_twice")


def _block_input(names: bool, channels):
    """The block's input: the outer model's names H, W (a template), or None as Keras."""
    return sc.Input(("H", "W", channels) if names else (None, None, channels))


def residual(w, names: bool):
    x = _block_input(names, w)
    return sc.Model(x, sc.Add()([x, sc.Conv2D(w, 3, padding="same")(x)]), name="res")


def build(kind: str, H, W, w, L, names: bool, stride: int = 2):
    """The model of ``kind``; ``names``: its blocks' inputs use the symbols H, W; ``stride``
    of the stem: 2, the blocks are called on other sizes than the outer input's."""
    stem = sc.Conv2D(w, 3, strides=stride, padding="same")
    if kind == "downsample_L":
        x = _block_input(names, w)
        block = sc.Model(x, sc.Conv2D(w, 3, strides=2, padding="same")(x), name="down")
        return sc.Sequential([sc.Input((H, W, 3)), stem, sc.Repeat(block, L)])
    if kind == "nested_in_block":  # a block holding a block, both on the names H, W
        inner = residual(w, names)
        x = _block_input(names, w)
        outer = sc.Model(x, inner(sc.Conv2D(w, 1)(x)), name="outer")
        return sc.Sequential([sc.Input((H, W, 3)), stem, outer])
    if kind == "functional_twice":  # one block called on two different shapes
        block = residual(w, names)
        x = sc.Input((H, W, 3))
        a = stem(x)
        return sc.Model(x, [block(a), block(sc.MaxPooling2D(2)(a))])
    top = {"residual": lambda b: b, "repeat_L": lambda b: sc.Repeat(b, L),
           "repeat_2": lambda b: sc.Repeat(b, 2)}[kind](residual(w, names))
    return sc.Sequential([sc.Input((H, W, 3)), stem, top])


def _shapes(model) -> list:
    shapes = model.output_shape
    return [tuple(s) for s in (shapes if isinstance(shapes, list) else [shapes])]


def _same(a, b) -> bool:
    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0


def _quantity(model, name: str):
    """The figure, or the type of error that refuses it (the peak memory of L repetitions
    of a block that changes the shape is refused until L is a number)."""
    try:
        return getattr(model, name)
    except sc.CostError as err:
        return type(err)


def assert_same_model(got, want):
    """Equal counts, costs, shapes (the model's and each layer's) and constraints."""
    for quantity in ("params", "trainable_params", "non_trainable_params", "macs", "flops",
                     "peak_activation_elements"):
        a, b = _quantity(got, quantity), _quantity(want, quantity)
        assert _same(a, b) if isinstance(a, sympy.Basic) else a == b, (quantity, a, b)
    assert len(_shapes(got)) == len(_shapes(want))
    for s, t in zip(_shapes(got), _shapes(want)):
        assert len(s) == len(t) and all(_same(a, b) for a, b in zip(s, t)), (s, t)
    assert [r.name for r in got.layers] == [r.name for r in want.layers]
    for r, q in zip(got.layers, want.layers):
        assert all(_same(a, b) for a, b in zip(r.output_shape, q.output_shape)), r.name
    assert set(got.constraints) == set(want.constraints)
    assert got.free_symbols == want.free_symbols
    assert_calls_fit(got)


def assert_calls_fit(model):
    """Every nested model (in a Repeat too, and within nested models) accepts the shapes it
    is called on: its input's numbers are those of each call (Keras refuses the others)."""
    for node in model.nodes:
        layer = node.layer
        if isinstance(layer, sc.Repeat) and layer.times != 0:
            layer.check_input_shapes(node.input_shapes)
            layer = layer.block
        if isinstance(layer, sc.Model):
            layer.check_input_shapes(node.input_shapes)
            assert_calls_fit(layer.rebuilt_on(node.input_shapes))


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=6)
@given(H=st.integers(4, 80), W=st.integers(4, 80), w=st.integers(1, 12), L=st.integers(1, 3),
       keep=st.sampled_from(["", "w", "L", "wL", "HW"]))
def test_subs_equals_building_with_the_numbers(kind, stride, H, W, w, L, keep):
    """m.subs(...) of the symbolic model is the model built with those numbers; the
    symbols in ``keep`` stay symbols in both."""
    values = {"H": H, "W": W, "w": w, "L": L}
    symbolic = build(kind, "H", "W", "w", "L", names=True, stride=stride)
    given_values = {k: v for k, v in values.items()
                    if k not in keep and k in symbolic.symbols_by_name}
    numeric = build(kind, *(k if k in keep else v for k, v in values.items()), names=False,
                    stride=stride)
    assert_same_model(symbolic.subs(**given_values), numeric)


@pytest.mark.parametrize("kind", KINDS)
def test_subs_in_steps_equals_subs_at_once(kind):
    """H and W first, then w and L: the model substituted at once (the nested blocks are
    templates, so substituting the outer sizes first leaves them callable)."""
    m = build(kind, "H", "W", "w", "L", names=True)
    names = m.symbols_by_name
    rest = {k: v for k, v in {"w": 8, "L": 2}.items() if k in names}
    assert_same_model(m.subs(H=37, W=20).subs(**rest), m.subs(H=37, W=20, **rest))


def test_a_width_shared_with_the_block_is_substituted_inside_it():
    """``w`` is the block's input channels (a template) and its convolution's filters (the
    outer model's w): the filters take the value, so the block counts 9*16*16 + 16."""
    m = build("residual", "H", "W", "w", "L", names=True)
    s = m.subs(w=16)
    block = s.get_layer("res")
    assert block.params == 9 * 16 * 16 + 16
    assert block.output_shape == _shapes(s)[0]
    assert s.output_shape[2] == 16


def test_the_block_alone_still_substitutes_its_input():
    """Called on its own, a model's input is its own: subs rewrites it."""
    block = residual("w", names=True)
    assert tuple(block.subs(H=5, W=6, w=2).output_shape) == (5, 6, 2)


def test_sweep_and_solve_agree_with_subs():
    """sc.sweep and solve_budget over the nested model agree with m.subs at each point."""
    m = build("repeat_L", "H", "W", 16, "L", names=True)
    sizes = [16, 33, 64]
    swept = sc.sweep(m, "params", "macs", H=sizes, W=64, L=3)
    for i, H in enumerate(sizes):
        s = m.subs(H=H, W=64, L=3)
        assert swept["params"].tolist()[i] == s.params
        assert swept["macs"].tolist()[i] == s.macs
    budget = int(m.subs(H=64, W=64, L=5).macs)
    best = m.solve_budget("L", macs=budget, H=64, W=64)
    assert best == max(L for L in range(1, 12) if m.subs(H=64, W=64, L=L).macs <= budget)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kind", ["residual", "repeat_2", "nested_in_block"])
def test_keras_counts_the_substituted_model(kind, stride):
    """Keras 3, the nested block's input (None, None, w): the same parameters and output
    shape as the substituted symbolic model."""
    keras = require("keras")
    s = build(kind, "H", "W", "w", "L", names=True, stride=stride).subs(H=64, W=48, w=16)
    k = _keras_model(keras, kind, stride, 64, 48, 16)
    assert s.params == k.count_params()
    assert tuple(s.output_shape) == tuple(k.output_shape[1:])


def _keras_model(keras, kind: str, stride: int, H: int, W: int, w: int):
    def k_residual():
        x = keras.Input((None, None, w))
        return keras.Model(x, keras.layers.Add()([x, keras.layers.Conv2D(w, 3, padding="same")(x)]))

    x = keras.Input((H, W, 3))
    y = keras.layers.Conv2D(w, 3, strides=stride, padding="same")(x)
    if kind == "residual":
        y = k_residual()(y)
    elif kind == "repeat_2":
        y = k_residual()(k_residual()(y))
    else:
        z = keras.Input((None, None, w))
        y = keras.Model(z, k_residual()(keras.layers.Conv2D(w, 1)(z)))(y)
    return keras.Model(x, y)


@pytest.mark.parametrize("kind", ["residual", "repeat_2", "nested_in_block"])
def test_a_block_called_on_the_outer_input_exports_to_pytorch(kind):
    """A block called on the outer input's own sizes takes the numbers in its input too
    (as subs did before), so the substituted model still exports to PyTorch; PyTorch counts
    the parameters Keras counts, and gives Keras' output shape."""
    torch = require("torch")
    keras = require("keras")
    s = build(kind, "H", "W", "w", "L", names=True, stride=1).subs(H=20, W=12, w=8)
    k = _keras_model(keras, kind, 1, 20, 12, 8)
    t = s.to_torch()
    assert sum(p.numel() for p in t.parameters()) == k.count_params()
    with torch.no_grad():
        out = t(torch.zeros(1, 3, 20, 12))
    assert tuple(out.shape[2:]) + (out.shape[1],) == tuple(k.output_shape[1:])


def test_cli_summary_substitutes_the_nested_model(tmp_path):
    """``symcnn summary FILE --subs H=64 W=64`` on the model file of a nested block."""
    import io
    import json

    from symcnn.cli import main
    from symcnn.spec_export import model_to_spec

    m = build("repeat_L", "H", "W", 16, "L", names=True)
    path = tmp_path / "nested.json"
    spec = model_to_spec(m)
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    out = io.StringIO()
    assert main(["summary", str(path), "--subs", "H=64", "W=64", "L=3"], out=out) == 0
    assert f"Total params: {int(m.subs(L=3).params):,}" in out.getvalue()
