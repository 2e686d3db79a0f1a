"""Import PyTorch modules through ``torch.fx`` symbolic tracing.

Tracing records every operation of ``forward``, so graph models (residual additions,
concatenations, ``view``/``flatten`` heads) import, not only ``nn.Sequential``. Each leaf
module becomes the :mod:`symcnn.nn` layer of the same name and arguments, named by its path
in the module (``layer1.0.conv1``); functions (``torch.cat``, ``+``, ``torch.flatten``,
``F.relu``, ``x.view(x.size(0), -1)``, ...) become layers named after their graph node.
Everything without a symcnn equivalent is listed, with where it occurs, in one
:class:`~symcnn.errors.ConversionError`.

``trainable_params`` equals PyTorch's ``sum(p.numel() for p in m.parameters())`` for the
modules ``forward`` uses; batch norm running statistics (buffers) are counted as
non-trainable, as Keras counts them.

>>> import torch.nn as tnn, symcnn as sc
>>> net = tnn.Sequential(tnn.Conv2d(3, 16, 3, stride=2, padding=1), tnn.ReLU(),
...                      tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(16, 10))
>>> m = sc.from_torch(net, input_shape=(3, "H", "W"))
>>> m.get_layer("0").output_shape, m.params
((16, ceiling(H/2), ceiling(W/2)), 618)
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections import OrderedDict

import torch
import torch.fx as fx
from torch.fx.node import _get_qualified_name

from ..errors import ConversionError, SymcnnError
from ..layers.base import Tensor
from ..layers.core import Input
from ..model import Model
from . import _torch_blocks as blocks
from . import _torch_ops as ops
from . import _torch_windows as windows
from ._common import Problems, given_shapes
from ._torch_base import BatchSecond, batch_second_refusal

__all__ = ["from_torch"]

_SKIP_DIRS = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(__file__)))


def _inside(filename: str, directories=None) -> bool:
    """Whether ``filename`` lies in one of ``directories`` (a whole path component: a file of
    ``site-packages/torchvision`` is not inside ``site-packages/torch``).

    >>> _inside("/x/site-packages/torchvision/models/vit.py", ("/x/site-packages/torch",))
    False
    >>> _inside("/x/site-packages/torch/nn/modules/module.py", ("/x/site-packages/torch",))
    True
    """
    return any(filename == d or filename.startswith(d.rstrip(os.sep) + os.sep)
               for d in (_SKIP_DIRS if directories is None else directories))


@functools.lru_cache(maxsize=1024)
def _skipped(filename: str) -> bool:
    """A frame of this file is torch's, symcnn's or frozen (asked once per file)."""
    return _inside(filename) or "<frozen" in filename


def _user_frame() -> tuple | None:
    """``(filename, lineno)`` of the innermost frame outside torch and symcnn; the source
    line is read only if a message needs it (:func:`_user_line`)."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _skipped(filename):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


def _user_line(where) -> str:
    """``file.py:42: code`` of a place :func:`_user_frame` found.

    >>> n = open(__file__).read().split("\\n").index("import linecache") + 1
    >>> _user_line((__file__, n)) == f"torch.py:{n}: import linecache"
    True
    >>> _user_line(None)
    ''
    """
    if where is None:
        return ""
    filename, lineno = where
    line = linecache.getline(filename, lineno).strip()
    return f"{os.path.basename(filename)}:{lineno}" + (f": {line}" if line else "")


class _Tracer(fx.Tracer):
    """Symbolic tracer that remembers, for each node, its module scope and source line."""

    def __init__(self) -> None:
        super().__init__()
        self._symcnn_scopes = [""]

    def is_leaf_module(self, m, module_qualified_name) -> bool:
        """PyTorch's leaves, and a module that states its symcnn layer (``symcnn_layer``, as
        the modules ``to_torch`` builds do)."""
        return hasattr(type(m), "symcnn_layer") or super().is_leaf_module(
            m, module_qualified_name)

    def call_module(self, m, forward, args, kwargs):
        try:
            path = self.path_of_module(m)
        except NameError:
            path = type(m).__name__
        self._symcnn_scopes.append(path)
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self._symcnn_scopes.pop()

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        node.meta["symcnn_scope"] = self._symcnn_scopes[-1]
        node.meta["symcnn_line"] = _user_frame()
        return node


def trace(module) -> fx.Graph:
    """The ``torch.fx`` graph of ``module.forward``, or a ConversionError saying why not."""
    if not isinstance(module, torch.nn.Module):
        raise ConversionError(f"from_torch: expected a torch.nn.Module. "
                              f"Received: module={type(module).__name__}")
    try:
        return _Tracer().trace(module)
    except Exception as err:  # fx raises many kinds: TraceError, TypeError, ...
        raise ConversionError(
            f"from_torch: torch.fx could not trace {type(module).__name__}.forward "
            f"({type(err).__name__}: {err}). Symbolic tracing cannot follow Python control flow "
            f"that depends on tensor values or sizes (`if x.size(2) > 7:`); move it out of "
            f"forward or mark the module as a leaf. Received: module={type(module).__name__}"
        ) from None


def from_torch(module, input_shape=None, name: str | None = None) -> Model:
    """A symcnn model of a ``torch.nn.Module``, traced with ``torch.fx``.

    ``input_shape`` is channels first without the batch axis, e.g. ``(3, "H", "W")`` (a list
    of shapes for several inputs). Left out, it is read from the first layer: ``(C, "H", "W")``
    for a ``Conv2d`` with ``C`` input channels, ``(C, "L")`` for ``Conv1d``, ``(F,)`` for
    ``Linear``, ``("T", F)`` for ``nn.RNN``/``LSTM``/``GRU`` with ``input_size=F``. The
    model states it (``input_format="channels_first"``), so ``to_torch`` writes the module
    back with PyTorch's layout and receptive fields read its input so.

    >>> import torch, torch.nn as tnn, symcnn as sc
    >>> class Block(tnn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.conv = tnn.Conv2d(8, 8, 3, padding=1)
    ...     def forward(self, x):
    ...         return torch.cat([x, self.conv(x) + x], dim=1)
    >>> m = sc.from_torch(Block())
    >>> m.input_shape, m.output_shape, m.params, m.input_format
    ((8, H, W), (16, H, W), 584, 'channels_first')
    """
    name = name or type(module).__name__
    if isinstance(module, torch.nn.Module) and _Tracer().is_leaf_module(module, ""):
        # a single torch.nn layer (sc.from_torch(nn.Conv2d(3, 8, 3))): fx would trace its
        # functional insides; as the one module of a Sequential it is that layer
        module = torch.nn.Sequential(OrderedDict([(type(module).__name__.lower(), module)]))
    graph = trace(module)
    _check_no_shared_parameters(module, graph)
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    shapes = _input_shapes(module, placeholders, input_shape)
    converter = _Converter(module, Problems("from_torch"))
    inputs, outputs = converter.run(graph, placeholders, shapes)
    out = outputs[0] if len(outputs) == 1 else outputs
    return Model(inputs[0] if len(inputs) == 1 else inputs, out, name=name,
                 input_format="channels_first")  # PyTorch's layout, whatever its layers say


def _check_no_shared_parameters(module, graph) -> None:
    """Two modules holding the very same parameter (weight tying, as a language model's
    head and embedding) count it once in ``parameters()``; symcnn's layers own their
    weights, so each would count it: an error, never a doubled count."""
    owners: dict = {}
    for target in dict.fromkeys(n.target for n in graph.nodes if n.op == "call_module"):
        for pname, param in module.get_submodule(target).named_parameters():
            owners.setdefault(id(param), []).append(f"{target}.{pname}")
    shared = [names for names in owners.values() if len(names) > 1]
    if shared:
        raise ConversionError(
            f"from_torch: {type(module).__name__} shares parameters between modules "
            f"({'; '.join(' = '.join(names) for names in shared)}); symcnn's layers own their "
            f"weights, so the shared ones would be counted twice. Received: "
            f"{len(shared)} shared parameter(s)")


def _input_shapes(module, placeholders, input_shape) -> list:
    required = [p for p in placeholders if not p.args]
    if input_shape is not None:
        shapes = given_shapes(input_shape, "from_torch", "(3, 'H', 'W')",
                              "channels first, no batch axis")
        if len(shapes) != len(required):
            raise ConversionError(
                f"from_torch: forward takes {len(required)} tensor input(s) "
                f"({', '.join(p.target for p in required)}) but {len(shapes)} input shape(s) "
                f"were given. Received: input_shape={input_shape!r}")
        return shapes
    if len(required) == 1:
        guess = _guess_shape(module, required[0])
        if guess is not None:
            return [guess]
    raise ConversionError(
        f"from_torch: cannot tell the input shape of {type(module).__name__} from its first "
        f"layer; pass input_shape=(C, 'H', 'W') (channels first, no batch axis). "
        f"Received: input_shape=None")


def _guess_shape(module, placeholder):
    for user in placeholder.users:
        if user.op != "call_module":
            continue
        m = module.get_submodule(user.target)
        spatial = {"Conv1d": ("L",), "Conv2d": ("H", "W"), "Conv3d": ("D", "H", "W"),
                   "ConvTranspose1d": ("L",), "ConvTranspose2d": ("H", "W"),
                   "ConvTranspose3d": ("D", "H", "W"), "BatchNorm2d": ("H", "W"),
                   "BatchNorm3d": ("D", "H", "W")}.get(type(m).__name__)
        if spatial is not None:
            channels = getattr(m, "in_channels", None) or getattr(m, "num_features")
            return (channels, *spatial)
        if isinstance(m, torch.nn.Linear):
            return (m.in_features,)
        if isinstance(m, torch.nn.RNNBase):
            return ("T", m.input_size)
    return None


class _Converter:
    """Walks the fx graph, mapping each node to a symcnn tensor, a size, or a constant."""

    def __init__(self, module, problems: Problems) -> None:
        self.module = module
        self.problems = problems
        self.layers: dict = {}  # module path -> symcnn layer (shared modules share it)
        self.weights_used: set = set()  # parameters read in forward, counted once
        self.values: dict = {}

    def run(self, graph, placeholders, shapes):
        inputs = []
        given = iter(shapes)
        outputs = None
        for node in graph.nodes:
            if node.op == "placeholder":
                if node.args:  # an argument with a default value
                    self.values[node] = node.args[0]
                    continue
                tensor = Input(next(given), name=node.target)
                inputs.append(tensor)
                self.values[node] = tensor
            elif node.op == "output":
                self.problems.raise_if_any(
                    "Replace them with supported modules or functions (see docs/bridges.md).")
                outputs = self._outputs(node)
            else:
                self.values[node] = self._convert(node)
        self.problems.raise_if_any(
            "Replace them with supported modules or functions (see docs/bridges.md).")
        return inputs, outputs

    def _outputs(self, node) -> list:
        found: list = []
        _tensors_in(self._resolve(node.args[0]), found)
        if not found:
            raise ConversionError(f"from_torch: forward returns no tensor that symcnn models "
                                  f"(nn.MultiheadAttention's attention weights are not "
                                  f"modelled: return its output). "
                                  f"Received: output={node.args[0]!r}")
        return found

    def _resolve(self, value):
        return fx.node.map_arg(value, lambda n: self.values[n])

    def _convert(self, node):
        same = node.meta.get("symcnn_same_as")
        if same is not None:  # part of a formula read as one layer at an earlier node
            return self.values[same]
        args, kwargs = self._resolve(node.args), self._resolve(node.kwargs)
        upstream_failed = _has_unknown((args, kwargs))
        try:
            if node.op == "get_attr":  # counted by the layer that consumes it
                return blocks.weight_of(self.module, node.target)
            if node.op == "call_module":
                return self._call_module(node, args, kwargs, upstream_failed)
            handler = ops.handler(node)
            if args and isinstance(args[0], (blocks.Weight, windows.Table)):  # reshaped in forward
                handler = windows.weight_handler(node) or handler
            if any(isinstance(a, windows.RelativeBias) for a in args[:2]):
                handler = windows.bias_handler(node, args) or handler
            if handler is None:
                return self._unsupported(node, "no symcnn equivalent")
            if upstream_failed:
                return ops.UNKNOWN
            return handler(self, node, args, kwargs)
        except ops.Unsupported as err:
            return self._unsupported(node, str(err))
        except SymcnnError as err:
            if self.problems.items:  # likely a consequence of an unsupported operation
                return ops.UNKNOWN
            raise type(err)(f"from_torch: {_where(node)}: {err}") from None

    def _call_module(self, node, args, kwargs, upstream_failed):
        m = self.module.get_submodule(node.target)
        special = blocks.MODULE_CALLS.get(type(m).__name__)
        if special is not None and type(m).__module__.startswith("torch.nn."):
            return ops.UNKNOWN if upstream_failed else special(self, node, m, args, kwargs)
        layer = self.layers.get(node.target)
        if layer is None:
            layer = ops.layer_for_module(m, node.target)
            if layer is None:
                return self._unsupported(node, f"{type(m).__module__}.{type(m).__name__} has no "
                                               f"symcnn equivalent")
            self.layers[node.target] = layer
        if upstream_failed:
            return ops.UNKNOWN
        if len(args) == 1 and isinstance(args[0], (blocks.Weight, windows.Table)):
            try:
                return windows.module_on_table(self, node, m, args[0])
            except ops.Unsupported as err:
                return self._unsupported(node, str(err))
        if len(args) == 1 and isinstance(args[0], BatchSecond):
            return self._unsupported(node, batch_second_refusal(args[0]))
        if len(args) != 1 or kwargs or not isinstance(args[0], Tensor):
            return self._unsupported(node, "a module called with more than one tensor argument")
        return self.apply(layer, args[0])

    def apply(self, layer, inputs):
        out = layer(inputs)
        if isinstance(out, list):
            raise ops.Unsupported("an operation with several outputs")
        return out

    def _unsupported(self, node, why: str):
        self.problems.add(_where(node), why)
        return ops.UNKNOWN


def _where(node) -> str:
    if node.op == "call_module":
        text = f"module '{node.target}'"
    elif node.op == "get_attr":
        text = f"get_attr '{node.target}'"
    elif node.op == "call_method":
        text = f"method .{node.target}() (node '{node.name}')"
    else:
        text = f"{_get_qualified_name(node.target)} (node '{node.name}')"
    scope = node.meta.get("symcnn_scope")
    if scope and node.op != "call_module":
        text += f" in module '{scope}'"
    line = _user_line(node.meta.get("symcnn_line"))
    if line:
        text += f" at {line}"
    return text


def _tensors_in(value, out: list) -> None:
    if isinstance(value, Tensor):
        out.append(value)
    elif isinstance(value, BatchSecond):  # h_n returned as it is: its per-example shape
        out.append(value.tensor)
    elif isinstance(value, (tuple, list)):
        for v in value:
            _tensors_in(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _tensors_in(v, out)


def _has_unknown(value) -> bool:
    if value is ops.UNKNOWN:
        return True
    if isinstance(value, (tuple, list)):
        return any(_has_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    return False

