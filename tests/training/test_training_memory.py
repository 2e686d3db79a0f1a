"""Training memory: the activations equal what PyTorch's eager autograd keeps for backward.

PyTorch is run in every test (no figure typed in): the saved tensors are measured with
``torch.autograd.graph.saved_tensors_hooks`` (tests/support/saved_tensors.py), the optimizer
state by taking a real optimizer step.
"""

from __future__ import annotations

import itertools

import pytest
import sympy
from hypothesis import assume, given, settings, strategies as st

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from tests.support import torch_models as tm  # noqa: E402
from tests.support.saved_tensors import measure  # noqa: E402

B = sc.symbols("B")


def _running_sums(values):
    return set(itertools.accumulate(values))


def _check_against_torch(model, net, size: int, batch: int, ordered: bool = True) -> None:
    mem = model.training_memory(batch="B")
    total, rows = measure(net, torch.randn(batch, 3, size, size))
    assert mem.activations.subs(B, batch) == total
    ours = [int(b.subs(B, batch)) for _, _, b in mem.layers if b != 0]
    theirs = [b for _, b in rows if b]
    if ordered:
        # Per layer: symcnn's rows are consecutive groups of PyTorch's leaf-module rows (a
        # Dense with its activation is two modules), so every running sum of one is one of
        # the other.
        assert _running_sums(ours) <= _running_sums(theirs)
    else:  # torchvision runs a block's shortcut after its main path: same rows, other order
        assert sorted(ours) == sorted(theirs)


ZOO = {
    "resnet18": (sc.zoo.resnet18, tm.resnet18),
    "mobilenet_v2": (sc.zoo.mobilenet_v2, tm.MobileNetV2),
    "vgg11": (sc.zoo.vgg11, lambda: tm.VGG(11)),
}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_activations_equal_pytorch_saved_tensors_at_two_sizes_and_batches(name):
    build, twin = ZOO[name]
    torch.manual_seed(0)
    net = twin()
    for size in (64, 96):
        model = build((size, size, 3))
        for batch in (1, 3):
            _check_against_torch(model, net, size, batch)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_activations_equal_torchvision_saved_tensors(name):
    from tests.support.torchvision_ref import classifier

    torch.manual_seed(0)
    net = classifier(name)
    for size, batch in ((64, 2), (96, 1)):
        _check_against_torch(ZOO[name][0]((size, size, 3)), net, size, batch,
                             ordered=name == "vgg11")


def test_symbolic_input_size_closed_form_equals_the_numeric_builds():
    mem = sc.zoo.resnet18().training_memory(batch="B")
    for size, batch in ((64, 2), (97, 1)):
        numeric = sc.zoo.resnet18((size, size, 3)).training_memory(batch=batch)
        assert mem.subs(H=size, W=size, B=batch).total == numeric.total


@given(st.integers(1, 70), st.integers(1, 70))
@settings(max_examples=40, deadline=None)
def test_strided_same_padding_on_symbolic_sizes_equals_the_numeric_builds(h, w):
    """A 3x3 stride-2 'same' convolution always pads (its window is wider than its stride),
    so its padded copy has a closed form (it was refused as undecided)."""
    try:
        numeric = sc.zoo.textbook.cifar((h, w, 3)).training_memory(batch=2)
    except sc.ShapeError:  # too small for the network
        assume(False)
    symbolic = sc.zoo.textbook.cifar(("H", "W", 3)).training_memory(batch=2)
    assert symbolic.subs(H=h, W=w).activations == numeric.activations


def test_padded_copies_of_a_strided_stack_read_without_nested_roundings():
    """Three stride-2 'same' convolutions: the third pads a ceiling(H/4)-high map, and its
    padded copy read ceiling(ceiling(H/4)/2) where the shapes read ceiling(H/8)."""
    stack = sc.Sequential([sc.Input(("H", "W", 8))] + [
        sc.Conv2D(8, 3, strides=2, padding="same") for _ in range(3)])
    memory = stack.training_memory(batch="B")
    activations = memory.activations
    assert "ceiling(ceiling" not in str(activations)
    assert sympy.ceiling(sc.symbols("H") / 8) in activations.atoms(sympy.ceiling)
    for h, w in ((9, 16), (17, 5), (64, 33)):
        numeric = sc.Sequential([sc.Input((h, w, 8))] + [
            sc.Conv2D(8, 3, strides=2, padding="same") for _ in range(3)])
        assert memory.subs(H=h, W=w, B=2).activations == \
            numeric.training_memory(batch=2).activations


LAYERS = {
    "conv_relu": [sc.Conv2D(6, 3, activation="relu")],
    "conv_silu_bn": [sc.Conv2D(6, 3, activation="silu"), sc.BatchNormalization()],
    "conv_same_stride2": [sc.Conv2D(6, 3, strides=2, padding="same")],
    "conv_same_even_kernel": [sc.Conv2D(6, 4, padding="same")],
    "separable": [sc.SeparableConv2D(6, 3)],
    "depthwise": [sc.DepthwiseConv2D(3, depth_multiplier=2)],
    "transpose": [sc.Conv2DTranspose(3, 3, strides=2)],
    "layer_group_norm": [sc.LayerNormalization(), sc.GroupNormalization(2)],
    "dropouts": [sc.Dropout(0.3), sc.SpatialDropout2D(0.3)],
    "max_avg_pool": [sc.MaxPooling2D(2), sc.AveragePooling2D(2, padding="same")],
    "max_pool_same": [sc.MaxPooling2D(3, strides=2, padding="same")],
    "global_max": [sc.GlobalMaxPooling2D()],
    "global_avg_dense": [sc.GlobalAveragePooling2D(), sc.Dense(5, activation="tanh")],
    "adaptive": [sc.AdaptiveMaxPooling2D(2), sc.AdaptiveAveragePooling2D(1)],
    "activations": [sc.ReLU(max_value=6), sc.LeakyReLU(), sc.ELU(), sc.Softmax(),
                    *(sc.Activation(a) for a in ("sigmoid", "tanh", "gelu", "swish",
                                                 "softplus", "exponential", "linear"))],
    "softsign": [sc.Activation("softsign"), sc.Conv2D(4, 1, activation="softsign")],  # 2 each
    "views": [sc.ZeroPadding2D(1), sc.Cropping2D(1), sc.UpSampling2D(2), sc.Permute((3, 1, 2)),
              sc.Flatten(), sc.Dense(3)],
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("size", [8, 9])
def test_each_layer_keeps_what_pytorch_keeps(name, size):
    # A 1x1 convolution first, so that every studied layer's input requires a gradient.
    model = sc.Sequential([sc.Input((size, size, 4)), sc.Conv2D(4, 1), *LAYERS[name]])
    total, _ = measure(model.to_torch(), torch.randn(2, 4, size, size))
    assert model.training_memory(batch=2).activations == total


@pytest.mark.parametrize("merge", [sc.Multiply, sc.Maximum, sc.Minimum, sc.Add,
                                   sc.Concatenate, sc.Average])
def test_merges_keep_what_pytorch_keeps(merge):
    x = sc.Input((6, 6, 4))
    ys = [sc.Conv2D(4, 1)(x) for _ in range(3)]
    model = sc.Model(x, merge()(ys))
    total, _ = measure(model.to_torch(), torch.randn(2, 4, 6, 6))
    assert model.training_memory(batch=2).activations == total


@pytest.mark.parametrize("optimizer,kwargs,per_weight", [
    ("sgd", {}, 0), ("momentum", {"momentum": 0.9}, 1), ("adam", {}, 2), ("adamw", {}, 2)])
def test_weights_gradients_and_optimizer_state_equal_a_real_step(optimizer, kwargs, per_weight):
    model = sc.zoo.resnet18((32, 32, 3), classes=10, width=8)
    net = tm.resnet_by_depth(18, num_classes=10, width=8)
    cls = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "adam": torch.optim.Adam,
           "adamw": torch.optim.AdamW}[optimizer]
    opt = cls(net.parameters(), lr=0.01, **kwargs)
    net(torch.randn(2, 3, 32, 32)).sum().backward()
    opt.step()
    mem = model.training_memory(batch=2, optimizer=optimizer)
    state = sum(t.nbytes for s in opt.state.values() for k, t in s.items()
                if k != "step" and torch.is_tensor(t))  # Adam's step counters are left out
    grads = sum(p.grad.nbytes for p in net.parameters())
    weights = sum(p.nbytes for p in net.parameters()) + sum(
        b.nbytes for n, b in net.named_buffers() if not n.endswith("num_batches_tracked"))
    assert (mem.optimizer_state, mem.gradients, mem.weights) == (state, grads, weights)
    assert mem.optimizer_state == per_weight * 4 * model.trainable_params


def test_adam_state_is_8_bytes_per_trainable_float32_weight():
    model = sc.zoo.mobilenet_v2((96, 96, 3))
    assert model.training_memory(optimizer="adam").optimizer_state == 8 * model.trainable_params
    assert model.training_memory(optimizer="adam", dtype="bfloat16").optimizer_state == \
        4 * model.trainable_params


def test_largest_batch_under_a_budget_equals_brute_force():
    mem = sc.zoo.resnet18((64, 64, 3)).training_memory(batch="B", optimizer="adam")
    budget = 2 * 2**30
    best = next(b for b in itertools.count(1) if mem.total.subs(B, b + 1) > budget)
    assert sc.solve_budget(mem.total, budget, B) == best


def test_largest_input_size_under_a_budget_equals_brute_force():
    mem = sc.zoo.resnet18().training_memory(batch=8, optimizer="sgd")
    H, W = sc.symbols("H W")
    square = mem.total.xreplace({W: H})
    budget = 2**30
    within = [h for h in range(1, 1200) if square.xreplace({H: h}) <= budget]
    best = max(within)
    assert within == list(range(1, best + 1)) and best < 1199
    assert sc.solve_budget(mem.total, budget, H, W=H) == best


def test_symbolic_repeat_count_equals_the_unrolled_counts():
    x = sc.Input((8, 8, 4))
    y = sc.BatchNormalization()(sc.Conv2D(4, 3, padding="same")(x))
    block = sc.Model(x, sc.Add()([x, sc.ReLU()(y)]))

    def build(times):
        return sc.Sequential([sc.Input((8, 8, 4)), sc.Conv2D(4, 1), sc.Repeat(block, times),
                              sc.ReLU()])

    mem = build("L").training_memory(batch="B")
    for times in range(0, 5):
        numeric = build(times).training_memory(batch="B")
        assert mem.activations.subs(sc.symbols("L"), times) == numeric.activations
        x = sc.Input((8, 8, 4))
        t = sc.Conv2D(4, 1)(x)
        for _ in range(times):  # the same block, unrolled
            y = sc.BatchNormalization()(sc.Conv2D(4, 3, padding="same")(t))
            t = sc.Add()([t, sc.ReLU()(y)])
        unrolled = sc.Model(x, sc.ReLU()(t))
        assert numeric.activations.subs(B, 2) == measure(
            unrolled.to_torch(), torch.randn(2, 4, 8, 8))[0]


def test_errors_name_the_argument():
    model = sc.Sequential([sc.Input((4,)), sc.Dense(2)])
    with pytest.raises(sc.CostError, match="optimizer='rmsprop'"):
        model.training_memory(optimizer="rmsprop")
    with pytest.raises(sc.SymcnnError, match="batch"):
        model.training_memory(batch=0)
    with pytest.raises(sc.CostError, match="dtype"):
        model.training_memory(dtype="float17")


TORCH_LAYERS = {
    "dropout2d": lambda: [torch.nn.Dropout2d(0.5)],       # a (B, C, 1, 1) mask, not (B, 1, 1, W)
    "reflection_pad": lambda: [torch.nn.ReflectionPad2d(1)],  # keeps its input
    "replication_pad": lambda: [torch.nn.ReplicationPad2d((1, 2, 0, 1))],
    "prelu": lambda: [torch.nn.PReLU(4)],                 # had no MACs or memory rule
    "softsign": lambda: [torch.nn.Softsign()],            # keeps 1 + |x| besides x
    "upsample": lambda: [torch.nn.Upsample(scale_factor=2)],
    "upsample_bilinear": lambda: [torch.nn.Upsample(scale_factor=2, mode="bilinear")],
}


@pytest.mark.parametrize("name", sorted(TORCH_LAYERS))
@pytest.mark.parametrize("size", [7, 8])
def test_pytorch_named_layers_keep_what_pytorch_keeps(name, size):
    net = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 1), *TORCH_LAYERS[name](),
                              torch.nn.Conv2d(4, 2, 1))
    model = sc.from_torch(net, input_shape=(4, size, size + 1))
    total, _ = measure(net, torch.randn(2, 4, size, size + 1))
    assert model.training_memory(batch=2).activations == total


def test_a_same_window_of_one_never_pads_on_symbolic_sizes():
    H, W = sc.symbols("H W")
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 1, strides=2, padding="same")])
    closed = model.training_memory(batch=2).activations  # was a CostError ("depends on H")
    for h, w in [(8, 8), (9, 7)]:
        total, _ = measure(model.subs(H=h, W=w).to_torch(), torch.randn(2, 3, h, w))
        assert closed.subs({H: h, W: w}) == total


# ------------------------------------------------- torch.nn convolutions pad as PyTorch does

#: (rank, kernel_size, padding, dilation) of the convolution studied.
TORCH_CONV_PADDINGS = {
    "explicit": (2, 3, 1, 1),
    "none": (2, 3, 0, 1),
    "same_odd_window": (2, 3, "same", 2),   # 4 per axis: 2 before, 2 after
    "same_even_window": (2, 4, "same", 1),  # 3 per axis: 1 before, 2 after
    "same_one_even_axis": (2, (3, 4), "same", 1),
    "same_dilated_even": (2, 2, "same", 3),  # 3 per axis
    "same_1d": (1, 2, "same", 1),
    "explicit_3d": (3, 3, 1, 1),
    "same_3d": (3, 2, "same", 1),
}


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("name", sorted(TORCH_CONV_PADDINGS))
def test_torch_convolutions_keep_the_copy_pytorch_pads_their_input_into(name, mode):
    """``nn.ConvNd`` with a ``padding_mode`` other than zeros pads the whole way with
    ``F.pad`` first (even by 0) and keeps that padded copy; reflection and replication keep
    their input too. ``padding="same"`` pads only the uneven part (one element after, along
    each axis with an odd total) with a zero ``F.pad`` and keeps that copy. symcnn left out
    the padded copy (6,144 bytes for PyTorch's 10,944) and counted Keras' whole-way 'same'
    copy for an even window (8,880 for 6,960)."""
    rank, kernel, padding, dilation = TORCH_CONV_PADDINGS[name]
    conv = getattr(torch.nn, f"Conv{rank}d")
    net = torch.nn.Sequential(conv(4, 4, 1), torch.nn.ReLU(), conv(
        4, 4, kernel, padding=padding, dilation=dilation, padding_mode=mode))
    for spatial in ((7, 8, 6), (9, 6, 5)):
        shape = (4, *spatial[:rank])
        model = sc.from_torch(net, input_shape=shape)
        closed = model.training_memory(batch="B").activations
        for batch in (1, 3):
            total, _ = measure(net, torch.randn(batch, *shape))
            assert closed.subs(B, batch) == model.training_memory(batch=batch).activations \
                == total, (shape, batch)


@given(st.integers(4, 12), st.integers(4, 12), st.sampled_from(
    [("reflect", 1, 3), ("replicate", 2, 3), ("circular", 1, 3), ("zeros", "same", 4),
     ("reflect", "same", 2)]))
@settings(max_examples=25, deadline=None)
def test_torch_convolution_padding_on_symbolic_sizes_equals_pytorch(h, w, case):
    mode, padding, kernel = case
    H, W = sc.symbols("H W")
    model = sc.nn.Sequential(sc.nn.Conv2d(3, 4, 1), sc.nn.Conv2d(4, 4, kernel, padding=padding,
                                                                 padding_mode=mode),
                             input_shape=(3, "H", "W"))
    closed = model.training_memory(batch="B").activations
    net = model.subs(H=h, W=w).to_torch()
    total, _ = measure(net, torch.randn(2, 3, h, w))
    assert closed.subs({H: h, W: w, B: 2}) == total


# ------------------------------------------- nn.Linear keeps a copy of a transposed input

def test_fold_copy_is_one_exactly_where_torch_reshape_copies():
    """``nn.Linear`` keeps ``x.reshape(-1, K)``: the input where that is a view, a copy
    where it is not. Every layout (axis order, cropped axes) and sizes of 1 to 3 against
    PyTorch's own reshape."""
    from symcnn.layers.layout import Layout, fold_copy

    for rank in (2, 3, 4):
        for order in itertools.permutations(range(rank)):
            for gaps in itertools.product((False, True), repeat=rank):
                for sizes in itertools.product((1, 2, 3), repeat=rank):
                    position = {a: i for i, a in enumerate(order)}
                    buffer = torch.zeros([sizes[a] + gaps[a] for a in order])
                    for a in range(rank):
                        if gaps[a]:
                            buffer = buffer.narrow(position[a], 1, sizes[a])
                    x = buffer.permute([position[a] for a in range(rank)])
                    y = x.reshape(-1, sizes[-1])
                    copies = y.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
                    layout = Layout(order, frozenset(a for a in range(rank) if gaps[a]), True)
                    assert fold_copy(layout, sizes) == int(copies), (order, gaps, sizes)


T = sc.symbols("T")


def _linear_after(*layers):
    """Linear(5, 6), then ``layers``, on an input (T, 5)."""
    return sc.nn.Sequential(sc.nn.Linear(5, 6), *layers, input_shape=("T", 5))


#: symcnn models on an input (T, 5), PyTorch twins by to_torch.
LINEAR_INPUTS = {
    # a transpose of the ReLU's output: PyTorch keeps the ReLU's output and the copy
    "transpose": lambda: _linear_after(sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.Linear("T", 3)),
    # element-wise layers keep the transposed order (GELU keeps its input, the transpose)
    "transpose_then_elementwise": lambda: _linear_after(
        sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.GELU(), sc.nn.Dropout(0.3), sc.nn.Sigmoid(),
        sc.nn.Linear("T", 3)),
    "transposed_back": lambda: _linear_after(sc.nn.ReLU(), sc.Permute((2, 1)),
                                             sc.Permute((2, 1)), sc.nn.Linear(6, 3)),
    # layer norm and softmax compute on a contiguous copy: no copy for the Linear
    "layer_norm_after_transpose": lambda: _linear_after(
        sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.LayerNorm("T"), sc.nn.ReLU(),
        sc.nn.Linear("T", 3)),
    "softmax_after_transpose": lambda: _linear_after(
        sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.Softmax(-1), sc.nn.Linear("T", 3)),
    # Keras layers as to_torch builds them: a crop of the steps is a strided view
    "keras_crop": lambda: sc.Sequential([sc.Input(("T", 5)), sc.Dense(6), sc.ReLU(),
                                         sc.Cropping1D((1, 0)), sc.Dense(3)]),
    "keras_permute": lambda: sc.Sequential([sc.Input(("T", 5)), sc.Dense(6), sc.ReLU(),
                                            sc.Permute((2, 1)), sc.Dense(3)]),
}


def _sum_of_transposes():
    x = sc.Input(("T", 5))
    y = sc.nn.ReLU()(sc.nn.Linear(5, 6)(x))
    z = sc.Add()([sc.Permute((2, 1))(y), sc.Permute((2, 1))(sc.nn.Sigmoid()(y))])
    return sc.Model(x, sc.nn.Linear("T", 3)(sc.nn.ReLU()(z)))


LINEAR_INPUTS["sum_of_transposes"] = _sum_of_transposes


@pytest.mark.parametrize("name", sorted(LINEAR_INPUTS))
def test_linear_on_a_transposed_or_cropped_input_keeps_the_copy_pytorch_keeps(name):
    """On an input of three axes or more that requires a gradient, nn.Linear keeps
    ``x.reshape(-1, K)``, a copy when the leading axes are not stored one inside the other:
    after a transpose or a crop of the steps, and element-wise layers keep that order. The
    closed form is exact in B and T: no copy at batch 1 or a single step."""
    model = LINEAR_INPUTS[name]()
    closed = model.training_memory(batch="B").activations
    keras = name.startswith("keras")  # channels last: to_torch takes the channels first
    for steps in (2, 5):
        net = model.subs(T=steps).to_torch()
        for batch in (1, 3):
            x = torch.randn(batch, 5, steps) if keras else torch.randn(batch, steps, 5)
            total, _ = measure(net, x)
            assert closed.subs({B: batch, T: steps}) == total, (steps, batch)


def test_the_transposed_linear_closed_form_reads_the_copy_from_batch_two_on():
    """1,632 bytes at batch 3 where symcnn counted 1,056: the ReLU's output (192 per
    example) is copied for the second Linear from batch 2 on."""
    model = sc.nn.Sequential(sc.nn.Linear(5, 6), sc.nn.ReLU(), sc.Permute((2, 1)),
                             sc.nn.Linear(8, 3), input_shape=(8, 5))
    assert model.training_memory(batch="B").activations == \
        352 * B + 192 * B * sympy.Min(1, B - 1)
    assert model.training_memory(batch=3).activations == 1632


def test_linear_on_a_transposed_model_input_keeps_the_input():
    """The model's input requires no gradient: PyTorch multiplies it batch by batch and
    keeps it as it is."""
    model = sc.nn.Sequential(sc.Permute((2, 1)), sc.nn.Linear("T", 3), input_shape=("T", 5))
    assert model.training_memory(batch="B").activations == 20 * B * T
    total, _ = measure(model.subs(T=4).to_torch(), torch.randn(3, 4, 5))
    assert total == 240


class _SequenceThenLinear(torch.nn.Module):
    """A batch-first recurrent layer or attention, an activation, a Linear."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.pre = torch.nn.Linear(6, 8)
        self.seq = torch.nn.MultiheadAttention(8, 2, batch_first=True) if kind == "mha" else \
            getattr(torch.nn, kind)(8, 4, batch_first=True)
        self.head = torch.nn.Linear(8 if kind == "mha" else 4, 3)

    def forward(self, x):
        y = self.pre(x)
        y = self.seq(y, y, y)[0] if self.kind == "mha" else self.seq(y)[0]
        return self.head(torch.relu(y))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN", "mha"])
def test_linear_after_a_sequence_output_keeps_the_copy_pytorch_keeps(kind):
    """PyTorch's recurrent layers and attention compute time-major and return a transposed
    view: after a ReLU (which keeps that order), the Linear keeps a copy."""
    x = sc.Input(("T", 6))
    y = sc.Dense(8)(x)
    if kind == "mha":
        y = sc.MultiHeadAttention(num_heads=2, key_dim=4)(y, y)
    else:
        y = {"LSTM": sc.LSTM, "GRU": sc.GRU, "RNN": sc.SimpleRNN}[kind](
            4, return_sequences=True)(y)
    closed = sc.Model(x, sc.Dense(3)(sc.ReLU()(y))).training_memory(batch="B").activations
    torch.manual_seed(0)
    net = _SequenceThenLinear(kind)
    for steps in (1, 5):
        for batch in (1, 3):
            with torch.backends.mkldnn.flags(enabled=False):
                total, _ = measure(net, torch.randn(batch, steps, 6))
            assert closed.subs({B: batch, T: steps}) == total, (steps, batch)


class _SliceThenLinear(torch.nn.Module):
    """A convolution, a ReLU, a slice of its output (from_torch: nn.Slice, nn.StridedSlice),
    then a Linear over the last axis, which keeps the slice folded to a matrix."""

    def __init__(self, cut, features: int) -> None:
        super().__init__()
        self.conv, self.cut = torch.nn.Conv2d(3, 4, 3, padding=1), cut
        self.linear = torch.nn.Linear(features, 5)

    def forward(self, x):
        return self.linear(self.cut(torch.relu(self.conv(x))))


SLICES = {  # (the slice, the Linear's features, the input sizes H it is checked at)
    "columns": (lambda y: y[:, :, :, 1:7], 6, (7, 8, 11)),  # the last axis: a view
    "rows": (lambda y: y[:, :, 2:6], 8, (7, 8, 11)),  # rows cut: a copy, even at batch 1
    "channels": (lambda y: y[:, 1:3], 8, (7, 8, 11)),  # a copy from batch 2 on
    "computed_half": (lambda y: y[:, :, : y.shape[2] // 2], 8, (7, 8, 11)),
    "rows_then_relu": (lambda y: torch.relu(y[:, :, 2:6]), 8, (7, 8, 11)),
    "every_other_channel": (lambda y: y[:, ::2], 8, (7, 8, 11)),
    "every_other_row": (lambda y: y[:, :, ::2], 8, (8, 10)),  # even H: a view
}


@pytest.mark.parametrize("name", sorted(SLICES))
def test_slices_keep_nothing_and_a_linear_after_them_keeps_what_pytorch_keeps(name):
    """A slice is a view and keeps nothing for backward (training memory raised CostError
    on any from_torch model that slices); where it leaves out elements of an axis, the
    Linear after it keeps a copy, as PyTorch's reshape makes one. Exact in B and H."""
    cut, features, sizes = SLICES[name]
    net = _SliceThenLinear(cut, features)
    closed = sc.from_torch(net, (3, "H", 8)).training_memory(batch="B").activations
    for h in sizes:
        for batch in (1, 3):
            total, _ = measure(net, torch.randn(batch, 3, h, 8))
            assert closed.subs({B: batch, sc.symbols("H"): h}) == total, (h, batch)


def test_every_other_row_of_an_odd_height_is_a_copy_pytorch_keeps():
    """``::2`` of 7 rows does not fold into the axis above it: PyTorch copies. With a
    numeric height symcnn decides it; with a symbolic one (a copy for odd H only) it
    states no layout and the Linear keeps its input, as documented."""
    net = _SliceThenLinear(lambda y: y[:, :, ::2], 8)
    for batch in (1, 3):
        total, _ = measure(net, torch.randn(batch, 3, 7, 8))
        assert sc.from_torch(net, (3, 7, 8)).training_memory(batch=batch).activations == total


def test_prelu_has_the_macs_flop_counter_mode_counts():
    from torch.utils.flop_counter import FlopCounterMode

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.PReLU(8))
    model = sc.from_torch(net, input_shape=(3, 9, 9))  # PReLU's MACs were a CostError
    with FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 3, 9, 9))
    assert model.macs == counter.get_total_flops() // 2


def test_the_batch_is_never_one_of_the_models_sizes():
    """A model on (B, 8) (B bins) read 32*B**2 activations: the default batch symbol B and
    the size B were one symbol. The default batch is then called `batch`; a batch named like
    a size is refused; a list optimizer is a CostError (was a bare TypeError)."""
    bins = sc.Sequential([sc.Input(("B", 8)), sc.Dense(4)])
    B, batch = sc.symbols("B batch")
    assert bins.training_memory().activations == 32 * B * batch
    with pytest.raises(sc.CostError, match=r"the batch symbol 'B' is also a size of the model"):
        bins.training_memory(batch="B")
    with pytest.raises(sc.CostError, match=r"`optimizer` must be one of"):
        bins.training_memory(batch=2, optimizer=["adam"])


def test_a_repeat_count_named_b_is_the_models_symbol_never_the_batch():
    """A Repeat of B parameter-free blocks shows B in no shape or count: the model did not
    list it, so the default batch B merged with it (64*B**2*H*W). The count is the model's
    symbol: subs accepts it, and the batch is called `batch`."""
    H, W, B, batch = sc.symbols("H W B batch")
    block = sc.Sequential([sc.Input((H, W, 8)), sc.ReLU(), sc.Dropout(0.1)])
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, padding="same"),
                           sc.Repeat(block, "B"), sc.GlobalAveragePooling2D(), sc.Dense(10)])
    assert B in model.free_symbols
    memory = model.training_memory()
    assert memory.activations == sympy.expand(batch * (64 * B * H * W + 12 * H * W + 32))
    unrolled = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, padding="same"),
                              sc.Repeat(block, 3), sc.GlobalAveragePooling2D(), sc.Dense(10)])
    assert model.subs(B=3).training_memory(batch=2).activations == \
        unrolled.training_memory(batch=2).activations


def _refusal(subs, **values) -> tuple:
    """The class of the error ``subs(**values)`` raises and its words after the owner."""
    with pytest.raises(sc.SymcnnError) as info:
        subs(**values)
    return type(info.value), str(info.value).split(": ", 1)[1]


@pytest.mark.parametrize("value", [0, -2, 1.5, sympy.Rational(7, 2)])
@pytest.mark.parametrize("name", ["B", "H"])
def test_subs_refuses_a_size_that_is_no_positive_integer_as_model_subs_does(name, value):
    """TrainingMemory.subs took B=0 (the weights alone), B=-2 (a negative total) and B=1.5
    (float figures); it checks as Model.subs does (symcnn.substitution), in the same words,
    naming the argument and the value."""
    H, W = sc.symbols("H W")
    x = sc.Input((H, W, 3))
    model = sc.Model(x, sc.Conv2D(4, 3)(x), constraints=[H >= 10])
    mem = model.training_memory(batch="B")
    kind, words = _refusal(mem.subs, **{name: value})
    assert kind is sc.LayerArgumentError
    assert words.endswith(f"Received: {name}={value}")
    # the batch is no symbol of the model: compare with the words for its size H
    assert (kind, words.replace(name, "H")) == _refusal(model.subs, H=value)


def test_subs_refuses_an_unknown_name_and_values_breaking_a_stated_constraint():
    """An unknown name (Q) was ignored, and H=5 against Model(..., constraints=[H >= 10])
    was taken."""
    H, W = sc.symbols("H W")
    x = sc.Input((H, W, 3))
    model = sc.Model(x, sc.Conv2D(4, 3)(x), constraints=[H >= 10])
    mem = model.training_memory(batch="B")
    with pytest.raises(sc.SymbolError, match=r"^TrainingMemory: no symbol named 'Q' to "
                       r"substitute. Free symbols: B, H, W. Received: Q=3$"):
        mem.subs(Q=3)
    for values in ({"H": 5}, {"H": 9, "W": 4}):
        assert _refusal(mem.subs, **values) == _refusal(model.subs, **values)
    assert _refusal(mem.subs, H=5)[1] == ("its closed forms hold only where H >= 10, which "
                                          "these values break. Received: H=5")
    assert mem.subs(H=10, B=2).total == model.subs(H=10).training_memory(batch=2).total


def test_subs_keeps_the_models_constraints_and_checks_them_later():
    H, W = sc.symbols("H W")
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3), sc.MaxPooling2D(2)])
    mem = model.training_memory(batch="B")
    assert set(mem.constraints) == set(model.constraints)  # H >= 4, W >= 4
    later = mem.subs(W=8)  # H >= 4 still holds only where H is given
    assert later.constraints == (H >= 4,)
    with pytest.raises(sc.ShapeError, match=r"only where H >= 4, .* Received: H=3"):
        later.subs(H=3)
    assert later.subs(H=4, B=2).total == model.subs(H=4, W=8).training_memory(batch=2).total
    # a plain sympy symbol means the figure's, as in Model.subs; a multiplier takes 3/4
    assert mem.subs({sympy.Symbol("B"): 2}).batch == 2
