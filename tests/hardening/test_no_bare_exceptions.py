"""Every hostile input the issue lists gives a SymcnnError subclass naming the layer or
function, the argument and the value: never a bare Python exception, never silence."""

import os

import pytest

import symcnn as sc
from symcnn.cli import main

from .keras_corpus import MALFORMED
from .test_bounded_reads import run_cli

n = sc.symbols("n")


def deep_list(depth=500):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def small():
    return sc.Sequential([sc.Input((8,)), sc.Dense(2)])


CASES = [
    ("500-deep list as units", lambda: sc.Dense(deep_list()), sc.LayerArgumentError,
     r"Dense: `units` must be a positive integer.*Received: units=\[\[\[\["),
    ("500-deep list as kernel", lambda: sc.Conv2D(2, deep_list()), sc.LayerArgumentError,
     r"Conv2D: `kernel_size` must be a single size or a tuple of 2. Received: kernel_size=\[\["),
    ("500-deep list as target shape", lambda: sc.Reshape(deep_list()), sc.LayerArgumentError,
     r"Reshape: `target_shape`"),
    ("Permute dims 1.0", lambda: sc.Permute((1.0,)), sc.LayerArgumentError,
     r"Permute: `dims` must be a permutation of 1..rank. Received: dims=\(1.0,\)"),
    ("Permute dims 'a'", lambda: sc.Permute(("a",)), sc.LayerArgumentError,
     r"Received: dims=\('a',\)"),
    ("Permute dims symbol", lambda: sc.Permute((n,)), sc.LayerArgumentError,
     r"Received: dims=\(n,\)"),
    ("Permute dims true is not 1", lambda: sc.Permute((True, 2)), sc.LayerArgumentError,
     r"Received: dims=\(True, 2\)"),
    ("BatchNormalization axis twice", lambda: sc.BatchNormalization(axis=[1, 1]),
     sc.LayerArgumentError, r"BatchNormalization: `axis` names an axis twice. "
                            r"Received: axis=\[1, 1\]"),
    ("Flatten data_format", lambda: sc.Flatten(data_format="bogus"), sc.LayerArgumentError,
     r"Flatten: `data_format` must be one of 'channels_last', 'channels_first'.*"
     r"Received: data_format='bogus'"),
    ("summary(bogus=1)", lambda: small().summary(bogus=1), sc.ArgumentError,
     r"summary: unexpected argument `bogus`; it takes print_fn, columns.*Received: bogus=1"),
    ("summary_text(bogus=1)", lambda: small().summary_text(bogus=1), sc.ArgumentError,
     r"summary_text: unexpected argument `bogus`"),
    ("format_count(None)", lambda: sc.format_count(None), sc.ExpressionError,
     r"format_count: `value` must be a number, a SymPy expression or expression text. "
     r"Received: value=None"),
    ("sweep(m, '__class__')", lambda: sc.sweep(small(), "__class__"), sc.SolveError,
     r"sweep: '__class__' is not a scalar quantity of the model"),
    ("bare Layer in a model", lambda: sc.Sequential([sc.Input((3,)), sc.Layer()]),
     sc.LayerArgumentError, r"Layer layer 'layer' \(#0\) on input shape \(3,\): Layer: a layer "
                            r"must implement output_shape_for \(or compute\)"),
    ("plot budget inf", lambda: sc.plot(sc.zoo.textbook.free_width(), n=range(1, 5),
                                        budget=float("inf")), sc.SolveError,
     r"plot: the budget of params must be a positive finite number. Received: budget=inf"),
    ("plot budget nan", lambda: sc.plot(sc.zoo.textbook.free_width(), n=range(1, 5),
                                        budget=float("nan")), sc.SolveError,
     r"Received: budget=nan"),
    ("plot budget 1e400 as an int", lambda: sc.plot(sc.zoo.textbook.free_width(), n=range(1, 5),
                                                    budget=10**400), sc.SolveError,
     r"too large to draw.*Received: budget=<an integer of 401 digits>"),
    ("plot of an empty list", lambda: sc.plot([], n=range(1, 5)), sc.SolveError,
     r"plot: give at least one model or expression to plot. Received: targets=\[\]"),
    ("plot with a bad suffix", lambda: sc.plot(n, n=range(1, 5), path="p.bogus"), sc.SolveError,
     r"plot: cannot tell the image format from 'p.bogus'"),
    ("plot with a bad title", lambda: sc.plot(n, n=range(1, 5), title="$\\frac{$"), sc.SolveError,
     r"plot: `title` is not valid matplotlib mathtext"),
    ("plot with a title that is not text", lambda: sc.plot(n, n=range(1, 5), title=3),
     sc.SolveError, r"plot: `title` must be text. Received: title=3"),
]


@pytest.mark.parametrize("make, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_case_gives_its_clean_error(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize("cls", [sc.Cropping1D, sc.UpSampling1D])
def test_cropping1d_and_upsampling1d_with_a_symbol_substitute(cls):
    model = sc.Sequential([sc.Input((10, 3)), cls(n)])
    numeric = sc.Sequential([sc.Input((10, 3)), cls(2)])
    assert model.subs(n=2).output_shape == numeric.output_shape


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_keras_configs_are_refused_cleanly(name, tmp_path):
    with pytest.raises(sc.SymcnnError) as err:
        sc.from_keras(MALFORMED[name])
    assert "Received" in str(err.value)
    path = tmp_path / "k.json"
    import json

    path.write_text(json.dumps(MALFORMED[name]))
    code, err_text = run_cli(["summary", str(path)])
    assert code == 3 and len(err_text.strip().splitlines()) == 1, err_text


def test_the_malformed_keras_corpus_messages_say_where():
    expected = {
        "config is a number": "from_keras: config of the Sequential model must be a mapping. "
                              "Received: config=5",
        "a layer is a number": "from_keras: config.layers[1] must be a mapping with class_name "
                               "and config. Received: config.layers[1]=7",
        "batch_shape is a number": "from_keras: config.layers[0].config.batch_shape must be a "
                                   "list of sizes (null for the batch axis or a free size). "
                                   "Received: config.layers[0].config.batch_shape=8",
        "functional input_layers is a number": "from_keras: config.input_layers must be a list "
                                               "of [name, node_index, tensor_index]. Received: "
                                               "config.input_layers=5",
    }
    for name, message in expected.items():
        with pytest.raises(sc.SpecError) as err:
            sc.from_keras(MALFORMED[name])
        assert str(err.value) == message
    assert len(MALFORMED) >= 25


def test_from_torch_refuses_a_channels_last_shape_for_a_channels_first_module():
    torch = pytest.importorskip("torch")
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3))
    with pytest.raises(sc.ShapeError, match=r"Conv2d: `in_channels` is 3 but the input has H "
                                            r"channels; PyTorch modules take channels first, e.g. "
                                            r"input_shape=\(3, H, W\)"):
        sc.from_torch(module, input_shape=("H", "W", 3))
    assert sc.from_torch(module, input_shape=(3, "H", "W")).params == 896
    with pytest.raises(sc.ShapeError, match=r"`in_channels` is 3 but the input has 4 channels"):
        sc.from_torch(module, input_shape=(4, 8, 8))


def test_writing_to_a_full_disk_fails_with_one_line(tmp_path, capfd):
    model = tmp_path / "m.json"
    model.write_text('{"input": [8], "symbols": ["n"], "layers": [{"Dense": {"units": "n"}}]}')
    full = tmp_path / "full.png"
    os.symlink("/dev/full", full)
    code, err = run_cli(["plot", str(model), "n=1:5", "-o", str(full)])
    assert code == 1 and err.strip() == (f"symcnn plot: error: cannot write {full}: No space "
                                         f"left on device. Received: path='{full}'")
    code, err = run_cli(["plot", str(model), "n=1:5", "-o", "/dev/full"])  # a usage error
    assert code == 2 and "cannot tell the image format from '/dev/full'" in err
    handle = open("/dev/full", "w")
    code = main(["summary", str(model)], out=handle)
    try:
        handle.close()  # the buffered text cannot be written either
    except OSError:
        pass
    assert code == 1
    assert capfd.readouterr().err.strip() == ("symcnn summary: error: cannot write the output: "
                                              "No space left on device. Received: standard output")


def test_a_plot_to_a_full_disk_from_the_api_is_an_output_error(tmp_path):
    full = tmp_path / "full.png"
    os.symlink("/dev/full", full)
    with pytest.raises(sc.OutputError, match=r"cannot write .*full.png: No space left on device"):
        sc.plot(n, n=range(1, 5), path=str(full))
