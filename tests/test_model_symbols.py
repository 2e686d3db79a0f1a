"""A model's symbols: never two different ones of one name. SymPy keeps apart symbols that
share a name but not their assumptions; a model holding both printed ``24*H*H - 47*H + 112``
and ``Eq(H, H)``, and ``subs(H=10)`` left an ``H``. It is refused when the model is built,
naming both symbols and where each first appears."""

from __future__ import annotations

import re

import pytest
import sympy

import symcnn as sc
import symcnn.model
from symcnn.errors import ShapeError

H = sc.symbols("H")
H_INTEGER = sympy.Symbol("H", integer=True)  # a user's own symbol, without positive=True
RECEIVED = "Received: Symbol('H', integer=True) and Symbol('H', integer=True, positive=True)"


def test_a_users_symbol_and_sc_symbols_of_one_name_are_refused_naming_the_layer():
    with pytest.raises(sc.SymbolError) as err:
        sc.Sequential([sc.Input((H_INTEGER, 8, 3)), sc.Conv2D(4, 3), sc.Flatten(), sc.Dense(H)])
    assert str(err.value) == (
        "Model 'sequential': two different symbols are both named 'H': a symbol with "
        "integer=True in the input, and a positive integer (as sc.symbols makes) in Dense "
        "layer 'dense' (#2). SymPy keeps them apart, so formulas would hold both and "
        "substituting H would set only one; use one symbol for both, or give them different "
        f"names. {RECEIVED}")


def test_two_inputs_of_one_name_and_different_symbols_are_refused_naming_both_inputs():
    x, y = sc.Input((H_INTEGER, 8, 3), name="a"), sc.Input((H, 8, 3), name="b")
    with pytest.raises(sc.SymbolError, match=r"a symbol with integer=True in input 'a', and a "
                                             r"positive integer \(as sc.symbols makes\) in "
                                             r"input 'b'"):
        sc.Model([x, y], sc.Add()([x, y]))


def test_a_multiplier_and_a_size_of_one_name_are_refused():
    """The pair gave hash-seed-dependent counts, and model_to_spec wrote ``symbols: [a]`` and
    ``multipliers: [a]``, which the reader refuses."""
    a_mult, a_int = sc.multiplier("a"), sc.symbols("a")
    with pytest.raises(sc.SymbolError, match=r"both named 'a': a positive rational \(as "
                                             r"sc.multiplier makes\) in Conv2D layer 'conv2d' "
                                             r"\(#0\), and a positive integer \(as sc.symbols "
                                             r"makes\) in Conv2D layer 'conv2d_1' \(#1\)"):
        sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(sc.zoo.make_divisible(32 * a_mult, 8), 3),
                       sc.Conv2D(a_int, 1)])


def test_a_stated_constraint_on_another_symbol_of_the_name_is_refused():
    alpha = sc.multiplier("alpha")
    other = sympy.Symbol("alpha", positive=True)
    with pytest.raises(sc.SymbolError, match=r"both named 'alpha': .* in Conv2D layer "
                                             r"'conv2d' \(#0\), and a symbol with positive=True "
                                             r"in the constraints"):
        sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(sc.zoo.make_divisible(32 * alpha, 8), 3)],
                      constraints=[other >= sympy.Rational(1, 4)])


def test_a_substitution_bringing_in_another_symbol_of_a_name_is_refused():
    model = sc.Sequential([sc.Input((H, 8)), sc.Dense(sc.symbols("n"))])
    with pytest.raises(sc.SymbolError, match="both named 'H'"):
        model.subs(n=H_INTEGER)


def test_a_clash_is_named_when_it_makes_the_graph_check_fail_first(monkeypatch):
    def failing(model):
        raise ShapeError("no input size is valid")

    monkeypatch.setattr(symcnn.model, "wire", failing)
    x = sc.Input((H_INTEGER, 8))
    with pytest.raises(sc.SymbolError, match=f"both named 'H'.*{re.escape(RECEIVED)}"):
        sc.Model(x, sc.Dense(H)(x))
    x = sc.Input((H, 8))
    with pytest.raises(ShapeError, match="no input size is valid"):  # no clash: as it was
        sc.Model(x, sc.Dense(H)(x))


def test_one_symbol_used_everywhere_is_no_clash():
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((sc.symbols("H"), 8)), sc.Dense(n), sc.Dense(n)])
    assert model.free_symbols == {H, n} and set(model.symbols_by_name) == {"H", "n"}
    assert model.subs(H=10).free_symbols == {n}
