"""Zoo functions: argument handling, defaults, and messages that name the argument."""

from __future__ import annotations

import inspect

import pytest

import symcnn as sc

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
