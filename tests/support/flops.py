"""PyTorch's FlopCounterMode as the MAC reference for sequence layers.

The reference convention (docs/costs.md): grad enabled, the math attention kernel, and
oneDNN off, so that ``nn.LSTM`` runs its reference path on the CPU (the fused oneDNN LSTM
is not seen by FlopCounterMode, which would report 0).
"""

from __future__ import annotations


def torch_macs(fn, *args, onednn: bool = False) -> int:
    """FlopCounterMode / 2 for ``fn(*args)`` under the reference convention.

    ``onednn=True`` keeps oneDNN on: the same count for models without ``nn.LSTM`` (oneDNN
    only hides the fused LSTM), and much faster convolutions on the CPU.
    """
    import warnings

    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # oneDNN's note on TF32 when its flags change
        with torch.enable_grad(), torch.backends.mkldnn.flags(enabled=onednn), \
                sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
            fn(*args)
    total = counter.get_total_flops()
    assert total % 2 == 0, total
    return total // 2
