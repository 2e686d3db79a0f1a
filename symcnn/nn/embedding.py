"""``torch.nn.Embedding``: a table of ``num_embeddings`` vectors of ``embedding_dim``.

>>> from symcnn import nn
>>> m = nn.Sequential(nn.Embedding(30522, 768, padding_idx=0), input_shape=("T",))
>>> m.output_shape, m.params, m.macs
((T, 768), 23440896, 0)
"""

from __future__ import annotations

from ..errors import LayerArgumentError, brief
from ..layers import embedding as _embedding
from ..symbols import as_size
from ._base import TorchLayer, flag

__all__ = ["Embedding"]


class Embedding(TorchLayer, _embedding.Embedding):
    """``torch.nn.Embedding(num_embeddings, embedding_dim)``: ``num_embeddings*embedding_dim``
    parameters. ``padding_idx``, ``max_norm`` and the gradient options change no count."""

    _optional = (("padding_idx", None), ("max_norm", None), ("norm_type", 2.0),
                 ("scale_grad_by_freq", False), ("sparse", False))

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None, name: str | None = None,
                 trainable: bool = True) -> None:
        t = self.type_name
        num_embeddings = as_size(num_embeddings, "num_embeddings", t)
        embedding_dim = as_size(embedding_dim, "embedding_dim", t)
        if padding_idx is not None:  # PyTorch: -num_embeddings <= padding_idx < num_embeddings
            known = num_embeddings.is_Integer
            if not isinstance(padding_idx, int) or isinstance(padding_idx, bool) or known and \
                    not -int(num_embeddings) <= padding_idx < int(num_embeddings):
                raise LayerArgumentError(f"{t}: `padding_idx` must be an index into the "
                                         f"{num_embeddings} embeddings (an int from "
                                         f"-{num_embeddings} to {num_embeddings} - 1). "
                                         f"Received: padding_idx={brief(padding_idx)}")
        super().__init__(num_embeddings, embedding_dim, name=name,
                         trainable=flag(t, trainable, "trainable")
                         and not flag(t, _freeze, "_freeze"))
        self._torch_config(num_embeddings=num_embeddings, embedding_dim=embedding_dim,
                           padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                           scale_grad_by_freq=flag(t, scale_grad_by_freq, "scale_grad_by_freq"),
                           sparse=flag(t, sparse, "sparse"))
