"""A model that accepts no input size says so when it is built or imported, not at the first
``subs`` (Keras' NASNetMobile without top at ``(None, None, 3)`` is checked the same way in
``tests/interop/test_keras_applications.py``, in the long run: building it takes 10 s)."""

import pytest

import symcnn as sc


def two_strides(x):
    a = sc.Conv2D(4, 1, strides=2, padding="same")(x)
    b = sc.Conv2D(4, 1, strides=4, padding="same")(x)
    return sc.Add()([a, b])  # equal only where ceil(H/2) == ceil(H/4): H <= 2


def test_a_model_whose_branches_never_meet_is_refused_when_built():
    x = sc.Input(("H", 1, 3))
    other = sc.Conv2D(3, (3, 1))(x)  # H >= 3 on another output
    with pytest.raises(sc.ShapeError, match=r"Model: the model accepts no input size: no value "
                                            r"of H satisfies H >= 3 together with ceiling\(H/2\) = "
                                            r"ceiling\(H/4\)\. "
                                            r"Received: input shape\(s\) \(H, 1, 3\)"):
        sc.Model(x, [two_strides(x), other])


def test_the_same_branches_at_a_size_that_fits_still_build():
    x = sc.Input(("H", 1, 3))
    model = sc.Model(x, two_strides(x))  # H = 1 or 2
    assert [str(c) for c in model.constraints] == ["Eq(ceiling(H/2), ceiling(H/4))"]
    assert model.subs(H=2).output_shape == (1, 1, 4)


def test_an_imported_keras_model_that_accepts_no_size_is_refused_on_import():
    from ..conftest import require

    keras = require("keras")
    x = keras.Input((None, 1, 3))
    other = keras.layers.Conv2D(3, (3, 1))(x)
    a = keras.layers.Conv2D(4, 1, strides=2, padding="same")(x)
    b = keras.layers.Conv2D(4, 1, strides=4, padding="same")(x)
    model = keras.Model(x, [keras.layers.Add()([a, b]), other])
    with pytest.raises(sc.ShapeError, match=r"accepts no input size: no value of H satisfies "
                                            r"H >= 3 together with ceiling\(H/2\) = ceiling\(H/4\)"):
        sc.from_keras(model)
