"""The frameworks stay optional: importing symcnn imports neither, and the Keras JSON path
works with both of them impossible to import."""

import subprocess
import sys
import textwrap


def run_isolated(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)


def test_importing_symcnn_imports_neither_torch_nor_keras():
    result = run_isolated("""
        import sys
        import symcnn, symcnn.nn, symcnn.interop
        from symcnn import nn
        nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), input_shape=(3, "H", "W"))
        loaded = sorted(m for m in ("torch", "keras", "tensorflow", "jax") if m in sys.modules)
        print("loaded:", loaded)
        assert not loaded
    """)
    assert result.returncode == 0, result.stderr
    assert "loaded: []" in result.stdout


def test_from_keras_reads_json_with_keras_and_torch_unimportable():
    result = run_isolated("""
        import json, sys
        sys.modules["keras"] = None      # any `import keras` now raises ImportError
        sys.modules["torch"] = None
        import symcnn as sc
        config = {"class_name": "Sequential", "config": {"name": "m", "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28, 1]}},
            {"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3]}},
            {"class_name": "Flatten", "config": {"name": "f"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 10}}]}}
        m = sc.from_keras(json.dumps(config))
        print(m.params, m.output_shape)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["27090", "(10,)"]


def test_exporting_without_the_framework_says_how_to_install_it():
    result = run_isolated("""
        import sys
        sys.modules["keras"] = None
        sys.modules["torch"] = None
        import symcnn as sc
        m = sc.Sequential([sc.Input((4,)), sc.Dense(2)])
        for export in (m.to_keras, m.to_torch):
            try:
                export()
            except sc.UnavailableError as err:
                print(type(err).__name__, "|", err)
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "pip install symcnn[keras]" in lines[0]
    assert "pip install symcnn[torch]" in lines[1]
