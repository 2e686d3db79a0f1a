"""Global pooling with keepdims=True gives SymPy sizes, so models using it substitute."""

import sympy

import symcnn as sc


def test_keepdims_sizes_are_sympy_integers_and_the_model_substitutes():
    x = sc.Input(("H", "W", "c"))
    y = sc.GlobalAveragePooling2D(keepdims=True)(x)
    assert all(isinstance(d, sympy.Integer) for d in y.shape[:2])
    model = sc.Model(x, sc.Conv2D(8, 1)(y))
    assert {s.name for s in model.free_symbols} == {"H", "W", "c"}
    assert model.subs(c=4).params == 4 * 8 + 8
