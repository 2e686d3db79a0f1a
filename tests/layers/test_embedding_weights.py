"""``Embedding(weights=...)``: a table of the wrong shape is refused, as Keras 3 refuses it.

symcnn took any ``weights`` and dropped them (``Embedding(100, 8, weights=[[1.0]])`` counted
800 parameters); Keras 3 sets them at construction and refuses a table that is not
``(input_dim, output_dim)``. Each case is decided by constructing Keras' layer.
"""

import pytest

import symcnn as sc

from ..conftest import require


def _tables():
    import numpy as np

    return {
        "array": np.ones((100, 8)), "list of one array": [np.ones((100, 8))],
        "transposed": np.ones((8, 100)), "flat": np.ones((800,)),
        "extra axis": np.ones((1, 100, 8)), "too few rows": np.ones((99, 8)),
        "nested lists": [[1.0]], "list of two arrays": [np.ones((100, 8))] * 2,
        "number": 1.0, "empty list": [],
    }


@pytest.mark.frameworks
@pytest.mark.parametrize("which", list(_tables()))
def test_embedding_weights_are_accepted_exactly_when_keras_accepts_them(which):
    keras = require("keras")
    table = _tables()[which]
    try:
        theirs = keras.layers.Embedding(100, 8, weights=table)
    except Exception:  # Keras: "weight shape (100, 8) is not compatible with ..."
        theirs = None
    if theirs is None:
        with pytest.raises(sc.LayerArgumentError, match=r"Embedding: `weights` must be an "
                                                        r"array of shape.*\(100, 8\)"):
            sc.Embedding(100, 8, weights=table)
    else:
        x = sc.Input(("T",))
        model = sc.Model(x, sc.Embedding(100, 8, weights=table)(x))
        assert model.params == theirs.count_params()


def test_embedding_weights_with_symbolic_sizes_are_refused_naming_the_table_shape():
    import numpy as np

    with pytest.raises(sc.LayerArgumentError, match=r"must be numbers, 100 and 8, not "
                                                    r"symbols.*weights of shape \(100, 8\)"):
        sc.Embedding("V", 8, weights=np.ones((100, 8)))
