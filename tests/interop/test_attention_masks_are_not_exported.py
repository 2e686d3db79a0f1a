"""An attention mask changes values only: symcnn counts a masked ``MultiHeadAttention`` call
exactly, but records no mask, so the exports refuse the layer rather than write a layer
that attends to every position (``to_keras`` of Keras' causal attention gave values off by
0.58). References: Keras 3 and PyTorch themselves."""

from __future__ import annotations

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _numpy(y):
    return np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)


def _keras_attention(keras, **call):
    x = keras.Input((6, 8))
    mha = keras.layers.MultiHeadAttention(2, 4, name="mha")
    inputs = [x]
    if call.get("attention_mask") == "input":
        mask = keras.Input((6, 6), dtype="bool")
        inputs.append(mask)
        call["attention_mask"] = mask
    return keras.Model(inputs, mha(x, x, **call)), mha


@pytest.mark.parametrize("call, shown", [({"use_causal_mask": True}, "use_causal_mask=True"),
                                         ({"attention_mask": "input"},
                                          "attention_mask=<tensor>")])
def test_a_masked_keras_attention_counts_as_keras_and_is_not_exported(call, shown):
    keras = require("keras")
    model, _ = _keras_attention(keras, **call)
    ours = sc.from_keras(model)
    assert ours.params == model.count_params()
    for export in (ours.to_keras, ours.to_torch):
        with pytest.raises(sc.ConversionError, match=r"layer 'mha' \(MultiHeadAttention\)"):
            export()
    with pytest.raises(sc.ConversionError) as err:
        ours.to_keras()
    assert f"called with {shown}" in str(err.value) and "every position" in str(err.value)


def test_the_same_attention_without_a_mask_exports_with_keras_values():
    """The refusal is the mask's: unmasked, the export computes what Keras computes."""
    keras = require("keras")
    model, mha = _keras_attention(keras)
    again = sc.from_keras(model).to_keras()
    again.get_layer("mha").set_weights(mha.get_weights())
    x = np.random.default_rng(0).random((2, 6, 8)).astype("float32")
    assert np.allclose(_numpy(model(x)), _numpy(again(x)), atol=1e-5)


def test_a_mask_given_in_symcnn_survives_substitution_and_is_refused():
    D = sc.symbols("D")
    q = sc.Input((6, D))
    model = sc.Model(q, sc.MultiHeadAttention(2, 4, name="mha")(q, q, use_causal_mask=True))
    assert model.params.subs(D, 8) == model.subs(D=8).params == 288  # 4*(8*8 + 8): a mask
    # adds no weight
    with pytest.raises(sc.ConversionError, match="use_causal_mask=True"):
        model.subs(D=8).to_keras()


@pytest.mark.parametrize("mask", ["attn_mask", "is_causal", "key_padding_mask"])
def test_a_masked_torch_attention_counts_as_torch_and_is_not_exported(mask):
    torch = require("torch")
    nn = torch.nn

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            if mask == "key_padding_mask":
                given = {"key_padding_mask": torch.zeros(2, 6, dtype=torch.bool)}
            else:
                given = {"attn_mask": torch.triu(torch.ones(6, 6, dtype=torch.bool), 1)}
                if mask == "is_causal":
                    given["is_causal"] = True
            return self.mha(x, x, x, need_weights=False, **given)[0]

    module = Attention()
    module(torch.randn(2, 6, 8))  # PyTorch takes the call
    ours = sc.from_torch(module, input_shape=(6, 8))
    assert ours.params == sum(p.numel() for p in module.parameters())
    with pytest.raises(sc.ConversionError, match=r"called with .*mask.*every position"):
        ours.to_keras()
