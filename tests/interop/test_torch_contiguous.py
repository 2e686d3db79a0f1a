"""from_torch reads ``x.contiguous()`` as symcnn.nn.Contiguous, and to_torch writes it back.

(Until this layer, from_torch read ``x.contiguous()`` as ``x`` itself, and training memory
missed the copy it makes of a transposed tensor.)
"""

from __future__ import annotations

import symcnn as sc
from tests.conftest import require


def test_from_torch_reads_contiguous_and_to_torch_writes_it_back():
    torch = require("torch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.linear = torch.nn.Conv2d(3, 8, 3), torch.nn.Linear(8, 4)

        def forward(self, x):
            return self.linear(torch.relu(self.conv(x).permute(0, 2, 3, 1).contiguous()))

    model = sc.from_torch(Net(), (3, "H", "H"))
    assert "Contiguous" in [r.layer.type_name for r in model.layers]
    net = model.subs(H=6).to_torch()
    assert "contiguous" in net.code
    assert tuple(net(torch.randn(2, 3, 6, 6)).shape) == (2, 4, 4, 4)


def test_another_memory_format_passes_the_tensor_through():
    """``x.contiguous(memory_format=torch.channels_last)`` is not this layer (as before)."""
    torch = require("torch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3)

        def forward(self, x):
            return self.conv(x).contiguous(memory_format=torch.channels_last)

    model = sc.from_torch(Net(), (3, 8, 8))
    assert "Contiguous" not in [r.layer.type_name for r in model.layers]
