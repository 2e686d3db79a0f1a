"""Zoo functions: argument handling, defaults, and messages that name the argument."""

from __future__ import annotations

import inspect

import pytest
import sympy

import symcnn as sc
from symcnn.zoo.convnext import convnext_block
from symcnn.zoo.vit import encoder_block

ZOO = {name: getattr(sc.zoo, name) for name in (
    "lenet5", "alexnet", "alexnet_two_tower", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
    "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101",
    "resnet152", "mobilenet_v2", "efficientnet_b0", "densenet121")}


@pytest.mark.parametrize("name", list(ZOO))
def test_input_is_symbolic_h_w_by_default_and_classes_set_the_output(name):
    H, W = sc.symbols("H W")
    model = ZOO[name](classes=7)
    channels = 1 if name == "lenet5" else 3
    assert model.input_shape == (H, W, channels)
    assert model.output_shape == (7,)


@pytest.mark.parametrize("name", list(ZOO))
def test_include_top_false_ends_at_a_spatial_feature_map(name):
    H, W = sc.symbols("H W")
    shape = ZOO[name](include_top=False).output_shape
    assert len(shape) == 3 and shape[0].free_symbols == {H} and shape[1].free_symbols == {W}


@pytest.mark.parametrize("name", list(ZOO))
def test_every_zoo_function_has_the_same_keyword_interface(name):
    params = inspect.signature(ZOO[name]).parameters
    assert list(params)[0] == "input_shape"
    assert {"classes", "include_top"} <= set(params)
    assert all(p.kind is p.KEYWORD_ONLY for p in list(params.values())[1:])


@pytest.mark.parametrize("call, message", [
    (lambda: sc.zoo.resnet(20), r"resnet: `depth` must be one of 18, 34, 50, 101, 152 \(or give `blocks`\)\. Received: depth=20"),
    (lambda: sc.zoo.vgg(15), r"vgg: `depth` must be one of 11, 13, 16, 19\. Received: depth=15"),
    (lambda: sc.zoo.resnet50(classes=0), r"resnet50: `classes` must be a positive integer.*Received: classes=0"),
    (lambda: sc.zoo.vgg16(width=2.5), r"vgg16: `width`.*Received: width=2.5"),
    (lambda: sc.zoo.densenet121(growth_rate=-4), r"densenet121: `growth_rate`.*Received: growth_rate=-4"),
    (lambda: sc.zoo.resnet18(include_top="yes"), r"resnet18: `include_top` must be True or False\. Received: include_top='yes'"),
    (lambda: sc.zoo.alexnet(filters=(64, 192)), r"alexnet: `filters` must be a tuple of 5 sizes.*Received: filters=\(64, 192\)"),
    (lambda: sc.zoo.densenet((6, 0)), r"densenet: `blocks` must be a tuple of positive ints.*Received: blocks=\(6, 0\)"),
    (lambda: sc.zoo.mobilenet_v2((224, 224)), r"mobilenet_v2: `input_shape` must be \(height, width, channels\).*Received: input_shape=\(224, 224\)"),
    (lambda: sc.zoo.efficientnet_b0(depth_coefficient=0), r"efficientnet_b0: `depth_coefficient` must be a positive number.*Received: depth_coefficient=0"),
])
def test_bad_arguments_are_named_in_the_message(call, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        call()


def test_an_input_too_small_for_the_network_is_a_shape_error_naming_the_layer():
    with pytest.raises(sc.ShapeError, match=r"block5_pool"):
        sc.zoo.vgg16((31, 64, 3))


def test_odd_widths_of_the_two_tower_alexnet_become_a_divisibility_constraint():
    f = sc.symbols("f")
    model = sc.zoo.alexnet_two_tower((227, 227, 3), filters=(96, f, 384, 384, 256))
    assert any("Mod(f, 2)" in str(c) for c in model.constraints)
    with pytest.raises(sc.LayerArgumentError, match="divisible by `groups`"):
        sc.zoo.alexnet_two_tower(filters=(96, 255, 384, 384, 256))


def test_resnet_bottleneck_that_is_not_a_bool_is_named_as_such():
    """Before: "with `blocks`, give `bottleneck=True` or False and no depth", though no
    depth was given."""
    with pytest.raises(sc.LayerArgumentError,
                       match=r"^resnet: `bottleneck` must be True or False\. "
                             r"Received: bottleneck=1$"):
        sc.zoo.resnet(blocks=(2, 2, 2, 2), bottleneck=1)


@pytest.mark.parametrize("call, message", [
    (lambda: sc.zoo.resnet(blocks=(2, 2, 2, 2)),
     r"^resnet: with `blocks`, `bottleneck` must be True \(ResNet-50's bottleneck blocks\) or "
     r"False \(ResNet-18's basic blocks\)\. Received: bottleneck=None$"),
    (lambda: sc.zoo.resnet(50, blocks=(2, 2, 2, 2), bottleneck=True),
     r"^resnet: give `depth` or `blocks`, not both\. Received: depth=50, blocks=\(2, 2, 2, 2\)$"),
    # before: the bottleneck was ignored and ResNet-50 built with bottleneck blocks
    (lambda: sc.zoo.resnet(50, bottleneck=False),
     r"^resnet50: `bottleneck` must agree with `depth`: ResNet-50 has bottleneck blocks"),
    (lambda: sc.zoo.resnet(18, bottleneck="yes"),
     r"^resnet18: `bottleneck` must be True or False\. Received: bottleneck='yes'$"),
])
def test_resnet_depth_blocks_and_bottleneck_are_checked_one_by_one(call, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        call()


def test_resnet_bottleneck_that_agrees_with_the_depth_is_accepted():
    assert sc.zoo.resnet(50, bottleneck=True).trainable_params == 25557032


@pytest.mark.parametrize("call, message", [
    # before: 50.0 == 50 found the table entry, and the model was named "resnet50.0"
    (lambda: sc.zoo.resnet(50.0), r"^resnet: `depth` must be one of .*Received: depth=50\.0$"),
    (lambda: sc.zoo.resnet(True), r"^resnet: `depth` must be one of .*Received: depth=True$"),
    (lambda: sc.zoo.vgg(16.0), r"^vgg: `depth` must be one of .*Received: depth=16\.0$"),
    # before: a raw TypeError (unhashable type: 'list')
    (lambda: sc.zoo.resnet([50]), r"^resnet: `depth` must be one of .*Received: depth=\[50\]$"),
    (lambda: sc.zoo.vgg([16]), r"^vgg: `depth` must be one of .*Received: depth=\[16\]$"),
])
def test_a_depth_must_be_an_int_of_the_table(call, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        call()


def test_numpy_integers_are_counts_like_ints():
    """Before: np.int64 counts were refused as "must be a tuple of positive ints"."""
    np = pytest.importorskip("numpy")
    assert sc.zoo.resnet(np.int64(18)).name == "resnet18"
    assert sc.zoo.vgg(np.int64(11)).name == "vgg11"
    assert sc.zoo.densenet(tuple(np.array([2, 3])), classes=10).trainable_params == \
        sc.zoo.densenet((2, 3), classes=10).trainable_params
    args = dict(input_shape=(64, 64, 3), classes=10)
    assert sc.zoo.swin(8, np.array([1, 1, 1, 1]).tolist(), tuple(np.array([1, 2, 4, 8])),
                       np.int64(4), **args).params == \
        sc.zoo.swin(8, (1, 1, 1, 1), (1, 2, 4, 8), 4, **args).params


@pytest.mark.parametrize("call, arg, name", [
    (lambda: sc.zoo.vgg16(width="oo"), "width", "oo"),
    (lambda: sc.zoo.resnet18(classes="nan"), "classes", "nan"),
    (lambda: sc.zoo.densenet121(growth_rate="Inf"), "growth_rate", "Inf"),
    (lambda: sc.zoo.vit(num_layers="inf"), "num_layers", "inf"),
    (lambda: sc.zoo.resnet(blocks=(2, "oo", 2, 2), bottleneck=False), "blocks", "oo"),
    (lambda: sc.zoo.alexnet(input_shape=("nan", 224, 3)), "shape", "nan"),
    (lambda: sc.zoo.textbook.free_width("zoo"), "units", "zoo"),  # its Dense says so
])
def test_a_size_symbol_name_that_reads_as_a_value_is_refused(call, arg, name):
    """Before: accepted, and the counts printed as `2724*oo**2 + ...`."""
    with pytest.raises(sc.LayerArgumentError,
                       match=rf"`{arg}` must not use the symbol name '{name}', which is "):
        call()


@pytest.mark.parametrize("call, message", [
    # before: sympify() of the text (which evaluates it) or a raw TypeError
    (lambda: encoder_block("N", "__import__('os')", 2, 4),
     r"^encoder_block: `hidden_dim` must be a positive integer.*Received: hidden_dim="),
    (lambda: encoder_block("N", 8, None, 4),
     r"^encoder_block: `num_heads` must be a positive integer.*Received: num_heads=None$"),
    (lambda: encoder_block("N", True, 2, 4),
     r"^encoder_block: `hidden_dim` must be a positive integer.*Received: hidden_dim=True$"),
    (lambda: convnext_block(None),
     r"^convnext_block: `dim` must be a positive integer.*Received: dim=None$"),
    (lambda: convnext_block(8, input_shape=7),
     r"^convnext_block: `input_shape` must be \(height, width\).*Received: input_shape=7$"),
])
def test_the_block_builders_name_their_bad_arguments(call, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        call()


@pytest.mark.parametrize("call, arg", [
    (lambda: sc.zoo.efficientnet_b0(depth_coefficient=10**6), "depth_coefficient"),
    (lambda: sc.zoo.densenet((6, 10**7)), "blocks"),
    (lambda: sc.zoo.swin(depths=(2, 2, 10**6, 2)), "depths"),
])
def test_a_stage_of_more_blocks_than_can_be_drawn_is_refused_at_once(call, arg):
    """Each block is drawn as layers: a billion blocks ran for ever. Where no Repeat can
    stand for the stage (DenseNet's blocks grow the channels), it is refused at once."""
    with pytest.raises(sc.LayerArgumentError,
                       match=rf"`{arg}` draws each block, at most 1,000 per stage"):
        call()


H, W = sc.symbols("H W")


@pytest.mark.parametrize("build, count", [
    (lambda n: sc.zoo.resnet(blocks=(3, 4, n, 3), bottleneck=True), 10**9),
    (lambda n: sc.zoo.resnet(blocks=(n, 1, 1, 1), bottleneck=False), 10**6),
    (lambda n: sc.zoo.convnext(depths=(1, 1, n, 1), dims=(8, 16, 32, 64)), 10**6),
    (lambda n: sc.zoo.vit(num_layers=n, input_shape=(32, 32, 3), patch_size=16, hidden_dim=8,
                          num_heads=2, mlp_dim=16), 10**5),
])
def test_a_stage_deeper_than_drawn_is_one_repeat_equal_to_the_symbolic_stage(build, count):
    """Above 1,000 blocks a numeric count is drawn once as sc.Repeat (it was refused):
    the same figures as the symbolic stage at that count, at once."""
    L = sc.symbols("L")
    numeric, symbolic = build(count), build(L)
    assert any(isinstance(r.layer, sc.Repeat) for r in numeric.layers)
    assert numeric.params == sympy.expand(symbolic.params.subs(L, count))
    assert numeric.macs == sympy.expand(symbolic.macs.subs(L, count))
    assert numeric.output_shape == tuple(d.subs(L, count) for d in symbolic.output_shape)


def test_a_stage_just_past_the_drawn_limit_equals_the_stage_written_out(monkeypatch):
    """The Repeat drawn above the limit equals the blocks drawn one by one."""
    def build():
        return sc.zoo.resnet(blocks=(5, 1, 1, 1), bottleneck=True, input_shape=(32, 32, 3))

    written = build()
    monkeypatch.setattr(sc.zoo._common, "MAX_BLOCKS", 4)
    repeated = build()
    assert any(isinstance(r.layer, sc.Repeat) for r in repeated.layers)
    assert not any(isinstance(r.layer, sc.Repeat) for r in written.layers)
    assert (repeated.params, repeated.macs, repeated.output_shape,
            repeated.peak_activation_elements) == (written.params, written.macs,
                                                   written.output_shape,
                                                   written.peak_activation_elements)


def test_a_stage_of_the_most_blocks_drawn_equals_the_symbolic_stage():
    assert sc.zoo.resnet(blocks=(1000, 1, 1, 1), bottleneck=False, input_shape=(64, 64, 3)) \
        .params == sc.zoo.resnet(blocks=("L", 1, 1, 1), bottleneck=False,
                                 input_shape=(64, 64, 3)).params.subs(sc.symbols("L"), 1000)


@pytest.mark.parametrize("call", [
    lambda name: sc.zoo.resnet(18, name=name), lambda name: sc.zoo.vgg(11, name=name),
    lambda name: sc.zoo.vit(name=name), lambda name: sc.zoo.convnext(name=name),
    lambda name: sc.zoo.swin(name=name), lambda name: sc.zoo.densenet((2, 2), name=name)])
def test_a_name_is_a_non_empty_string(call):
    """`name or default` dropped name=0 and name="" silently; densenet(name=None) put
    "None" into its layer names and messages."""
    for bad in (0, "", ["x"]):
        with pytest.raises(sc.LayerArgumentError, match=r"`name` must be a non-empty string"):
            call(bad)
    assert call("mine").name == "mine"
    assert call(None).name != "None"


@pytest.mark.parametrize("build", [sc.zoo.resnet18, sc.zoo.resnet50, sc.zoo.convnext,
                                   sc.zoo.vit_b_16])
def test_the_published_models_are_drawn_block_by_block(build):
    assert not any(isinstance(r.layer, sc.Repeat) for r in build().layers)


#: Public zoo functions that build no model, and the arguments the others need.
NOT_MODELS = {"make_divisible", "textbook.single_convolutions"}  # a number; a list of models
NEEDED = {"resnet": (18,), "vgg": (11,), "densenet": ((2, 2),)}


def _model_functions() -> dict:
    """Every public function of the zoo and of its ``textbook`` module that builds a model,
    with the positional arguments it needs, found by reading the modules, so that a function
    added later is covered."""
    found = {}
    for prefix, module in (("", sc.zoo), ("textbook.", sc.zoo.textbook)):
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isfunction(obj) and prefix + attr not in NOT_MODELS:
                found[prefix + attr] = (obj, NEEDED.get(prefix + attr, ()))
    return found


MODEL_FUNCTIONS = _model_functions()


def test_the_survey_of_model_functions_finds_the_whole_zoo():
    assert {"densenet121", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "lenet5",
            "alexnet", "vgg19_bn", "resnet152", "convnext_tiny", "swin_t", "vit_h_14", "resnet",
            "textbook.free_width", "textbook.cifar"} <= set(MODEL_FUNCTIONS)


@pytest.mark.parametrize("function", list(MODEL_FUNCTIONS))
def test_every_zoo_model_function_takes_name(function):
    """densenet121 and mobilenet_v2 (and resnet18, vgg16, lenet5, the textbook examples, ...)
    raised TypeError for ``name=`` that resnet, vgg, vit, convnext and swin take (as Keras'
    applications take ``name``)."""
    build, needed = MODEL_FUNCTIONS[function]
    default = build(*needed)
    named = build(*needed, name="mine")
    assert named.name == "mine" and default.name != "mine"
    assert (named.params, named.output_shape) == (default.params, default.output_shape)
    assert build(*needed, name=None).name == default.name
    with pytest.raises(sc.LayerArgumentError, match=r"`name` must be a non-empty string"):
        build(*needed, name="")


@pytest.mark.parametrize("name", list(ZOO))
def test_a_channels_first_input_shape_is_refused_naming_the_channels_last_one(name):
    with pytest.raises(sc.LayerArgumentError,
                       match=r"looks channels first \(3 channels\): .* "
                             r"input_shape=\(224, 224, 3\)"):
        ZOO[name]((3, 224, 224))


def test_keras_refuses_the_channels_first_shape_too():
    from ..conftest import require

    keras = require("keras")
    with pytest.raises(ValueError):
        keras.applications.ResNet50(weights=None, input_shape=(3, 224, 224))
    assert sc.zoo.resnet50((224, 224, 3)).output_shape == (1000,)


#: Every zoo function that takes ``input_shape``, the textbook examples included.
WITH_INPUT = {**ZOO, **{f"textbook.{n}": getattr(sc.zoo.textbook, n) for n in (
    "cifar", "lenet_table", "lenet_code", "free_width", "vgg_style",
    "alexnet_two_tower_convs")}}


@pytest.mark.parametrize("name", list(WITH_INPUT))
@pytest.mark.parametrize("shape, channels_last", [
    ((3, "H", "W"), r"\('H', 'W', 3\)"),
    ((4, 224, 224), r"\(224, 224, 4\)"),
    ((1, 28, 28), r"\(28, 28, 1\)"),
    ((2, "W", 64), r"\('W', 64, 2\)"),
])
def test_a_symbolic_or_four_channel_channels_first_shape_is_refused(name, shape, channels_last):
    """``resnet18(input_shape=(3, "H", "W"))`` built a network on an image 3 pixels high
    with W channels, and ``(4, 224, 224)`` was accepted: only a numeric last size above 4
    with 1 or 3 leading was refused."""
    with pytest.raises(sc.LayerArgumentError,
                       match=rf"looks channels first \({shape[0]} channels?\): .* "
                             rf"input_shape={channels_last}.*For an image {shape[0]} pixels? "
                             rf"high give the height as a symbol"):
        WITH_INPUT[name](input_shape=shape)


def test_keras_refuses_a_symbolic_channels_first_shape_and_a_small_height_stays_buildable():
    from ..conftest import require

    keras = require("keras")
    with pytest.raises(ValueError):
        keras.applications.ResNet50(weights=None, include_top=False,
                                    input_shape=(3, None, None))
    # the way the message offers for an image really that low: a symbol, then a number
    model = sc.zoo.resnet18(("h", 224, 224), include_top=False).subs(h=3)
    assert model.input_shape == (3, 224, 224)
    # a last size a channel count can be (up to 4) reads as channels last, as written
    assert sc.zoo.resnet18((2, 224, 3), include_top=False).input_shape == (2, 224, 3)
