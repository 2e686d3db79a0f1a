"""Side-by-side facts of a symcnn zoo model and its plain ``torch.nn`` reference.

The layers that change a shape (convolutions, pools, fully connected layers) are "taps".
On the torch side a forward hook records each tap module's output shape in execution order;
on the symcnn side the taps are the nodes of the same kinds in creation order, which the zoo
builds in the reference's execution order. Shapes are compared channels first, without the
batch axis.
"""

from __future__ import annotations

import sympy

from symcnn.symbols import size_symbol

H, W = size_symbol("H"), size_symbol("W")

SYMCNN_TAPS = {"Conv2D", "DepthwiseConv2D", "TableConv2D", "MaxPooling2D", "AveragePooling2D",
               "AdaptiveAveragePooling2D", "GlobalAveragePooling2D", "Dense"}


def torch_taps():
    from torch import nn

    from tests.support import torch_models as T

    return (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Linear,
            T.TableConv2d, T.RBF)


def symcnn_tap_shapes(model, height: int, width: int) -> list:
    """Every tap's output shape with ``H, W`` replaced, channels first."""
    table = {H: height, W: width}
    shapes = []
    for node in model.nodes:
        if node.layer.type_name not in SYMCNN_TAPS:
            continue
        shape = tuple(int(sympy.sympify(d).xreplace(table)) for d in node.outputs[0].shape)
        shapes.append(shape if len(shape) == 1 else (shape[-1], *shape[:-1]))
    return shapes


def torch_tap_shapes(module, height: int, width: int, channels: int = 3) -> list:
    """Every tap module's output shape in a real forward pass, without the batch axis.

    A (C, 1, 1) output of a global pool is reported as (C,) when it feeds a flatten, which
    the caller decides by comparing with symcnn's rank; here shapes are kept as torch gives
    them.
    """
    import torch

    taps = torch_taps()
    shapes = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape[1:])))
             for m in module.modules() if isinstance(m, taps)]
    try:
        module.eval()
        with torch.no_grad():
            module(torch.zeros(1, channels, height, width))
    finally:
        for h in hooks:
            h.remove()
    return shapes


def align(symcnn_shapes: list, torch_shapes: list) -> list:
    """Torch shapes with a global pool's (C, 1, 1) written (C,) where symcnn has (C,)."""
    out = []
    for mine, theirs in zip(symcnn_shapes, torch_shapes):
        if len(mine) == 1 and len(theirs) == 3 and theirs[1:] == (1, 1):
            theirs = theirs[:1]
        out.append(theirs)
    return out + list(torch_shapes[len(symcnn_shapes):])


def materialise(build, *args, **kwargs):
    """A torch reference on the CPU without initialising its weights (shapes need none)."""
    import torch

    with torch.device("meta"):
        module = build(*args, **kwargs)
    return module.to_empty(device="cpu")


def on_meta(build, *args, **kwargs):
    """A torch reference on the meta device: parameter shapes only, no memory, no init."""
    import torch

    with torch.device("meta"):
        return build(*args, **kwargs)


def torch_non_trainable(module) -> int:
    """What Keras counts as non-trainable: BN running mean and variance, other buffers."""
    from torch import nn

    from tests.support.torch_models import count_buffers

    stats = sum(m.running_mean.numel() + m.running_var.numel()
                for m in module.modules() if isinstance(m, nn.BatchNorm2d))
    return stats + count_buffers(module)
