"""Every worked example of shared/reference/worked-examples.md, exactly."""

import sympy

import symcnn as sc
from symcnn.zoo import textbook


def shapes(model):
    return [r.output_shape for r in model.layers]


def params(model):
    return [r.params for r in model.layers]


def test_a_single_convolutions():
    outputs = [m.output_shape for m in textbook.single_convolutions()]
    assert outputs == [(5, 5, 4), (3, 8, 2), (7, 3, 2), (7, 7, 1)]


def test_b_cifar_network_layer_by_layer_and_totals():
    model = textbook.cifar()
    rows = [(r.output_shape, r.params) for r in model.layers if r.params != 0 or "pool" in r.name]
    assert rows == [
        ((32, 32, 64), 1792), ((32, 32, 64), 256), ((16, 16, 64), 0),
        ((16, 16, 128), 73856), ((16, 16, 128), 512), ((8, 8, 128), 0),
        ((4, 4, 256), 295168), ((4, 4, 256), 1024), ((2, 2, 256), 0),
        ((1, 1, 512), 1180160), ((1, 1, 512), 2048), ((512,), 0),
        ((50,), 25650), ((10,), 510),
    ]
    assert (model.params, model.trainable_params, model.non_trainable_params) == (
        1580976, 1579056, 1920)


def test_c_lenet_as_tabulated():
    model = textbook.lenet_table()
    assert shapes(model) == [(62, 62, 6), (31, 31, 6), (28, 28, 16), (14, 14, 16), (3136,), (10,)]
    assert params(model) == [162, 0, 1536, 0, 0, 31360]
    assert model.params == 33058


def test_c_lenet_as_coded_floors_twenty_nine_halves():
    model = textbook.lenet_code()
    assert model.layers[2].output_shape == (29, 29, 16)
    assert model.layers[3].output_shape == (14, 14, 16)
    assert model.params == 388502


def test_d_free_width_closed_form_and_budget():
    n = sc.symbols("n")
    model = textbook.free_width()
    assert shapes(model) == [(36, 28, 20), (18, 14, 20), (16, 12, 40), (8, 6, 40), (6, 4, 60),
                             (3, 2, 60), (2, 1, 80), (160,), (n,)]
    assert params(model) == [320, 0, 7200, 0, 21600, 0, 19200, 0, 160 * n]
    assert model.params == 160 * n + 48320
    assert model.free_symbols == {n}
    assert sc.solve_budget(model.params, 100_000, n) == 323
    assert model.subs(n=323).params <= 100_000 < model.subs(n=324).params


def test_e_vgg_style_with_keras_names():
    model = textbook.vgg_style()
    assert [r.name for r in model.layers] == [
        "conv2d", "conv2d_1", "max_pooling2d", "batch_normalization", "dropout", "conv2d_2",
        "conv2d_3", "max_pooling2d_1", "batch_normalization_1", "dropout_1",
        "global_max_pooling2d", "dense", "dense_1"]
    assert params(model) == [1792, 36928, 0, 256, 0, 73856, 147584, 0, 512, 0, 0, 16512, 129]
    assert shapes(model)[-3:] == [(128,), (128,), (1,)]
    assert (model.params, model.trainable_params, model.non_trainable_params) == (
        277569, 277185, 384)


def test_e_batch_normalization_is_two_trainable_and_two_non_trainable_per_feature():
    bn = textbook.vgg_style().get_layer("batch_normalization")
    assert (bn.trainable_params, bn.non_trainable_params) == (2 * 64, 2 * 64)


def test_f_alexnet_second_layer_is_two_towers_as_groups():
    model = textbook.alexnet_two_tower_convs()
    first, second = model.layers[0], model.layers[3]
    assert first.params == 11 * 11 * 3 * 96 + 96
    assert second.params - 256 == 5 * 5 * 48 * 128 * 2 == 307200


def test_f_fully_connected_input_is_taken_after_the_last_pooling():
    x = sc.Input((13, 13, 256))
    y = sc.Flatten()(sc.MaxPooling2D(3, strides=2)(x))
    assert y.shape == (6 * 6 * 256,) == (9216,)


def test_d_with_symbolic_input_size_substitutes_to_the_numeric_example():
    H, W, n = sc.symbols("H W n")
    model = textbook.free_width(input_shape=(H, W, 1))
    assert model.subs(H=39, W=31).params == 160 * n + 48320
    assert [str(c) for c in model.constraints] == ["H >= 31", "W >= 31"]


def test_d_constraints_hold_exactly_when_the_numeric_model_builds():
    H, W = sc.symbols("H W")
    model = textbook.free_width(input_shape=(H, W, 1))
    for h in range(1, 45):
        w = h
        admissible = all(bool(c.subs({H: h, W: w})) for c in model.constraints)
        try:
            textbook.free_width(input_shape=(h, w, 1))
            builds = True
        except sc.ShapeError:
            builds = False
        assert admissible == builds, h
