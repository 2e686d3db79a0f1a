"""Bounded reads: model files are read up to a documented limit whatever ``stat`` says, FIFOs
and devices are refused before anything reads them, zip members are checked before they are
inflated, and malformed files (not UTF-8, not a zip, nested too deeply, huge integers) give a
clean error. Each case runs in a subprocess with a time and memory limit."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import zipfile

import pytest

import symcnn as sc
from symcnn.cli import main
from symcnn.safe_read import MAX_FILE_BYTES, MAX_MEMBER_BYTES

GOOD = {"input": [8], "symbols": ["n"], "layers": [{"Dense": {"units": "n"}}]}


def run_cli_bounded(argv, seconds=10, memory=1 << 30):
    """``symcnn argv`` in a subprocess limited to ``seconds`` and ``memory`` bytes."""
    script = ("import resource, sys\n"
              f"resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
              "from symcnn.cli import main\n"
              f"sys.exit(main({list(argv)!r}))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=seconds + 20)
    return result.returncode, result.stderr


@contextlib.contextmanager
def within(seconds=10):
    """Fail (instead of hanging) if the block takes longer than ``seconds``."""
    def timeout(*_):
        raise AssertionError(f"took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv, seconds=10):
    """``symcnn argv`` in this process, with a time limit: (exit code, stderr)."""
    import io

    err = io.StringIO()
    with within(seconds), contextlib.redirect_stderr(err):
        code = main(list(argv), out=io.StringIO())
    return code, err.getvalue()


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("device, suffix", [("/dev/zero", ".json"), ("/dev/urandom", ".yaml"),
                                            ("/dev/zero", ".keras"), ("/dev/urandom", ".py")])
def test_a_symlink_to_a_device_is_refused_before_reading(tmp_path, device, suffix):
    link = tmp_path / f"model{suffix}"
    os.symlink(device, link)
    kind = "a character device"
    code, err = (run_cli_bounded if suffix == ".json" else run_cli)(["summary", str(link)])
    assert code == 3
    assert one_error_line(err) == (f"symcnn summary: error: {link}: not a regular file ({kind}); "
                                   f"symcnn reads model files only. Received: path='{link}'")


@pytest.mark.parametrize("suffix", [".json", ".keras", ".py"])
def test_a_fifo_is_refused_and_never_blocks(tmp_path, suffix):
    fifo = tmp_path / f"model{suffix}"
    os.mkfifo(fifo)
    code, err = run_cli(["summary", str(fifo)], seconds=5)
    assert code == 3 and "not a regular file (a FIFO (named pipe))" in one_error_line(err)
    with within(5), pytest.raises(sc.SpecError, match="not a regular file"):
        sc.from_keras(str(fifo))
    with within(5), pytest.raises(sc.SpecError, match="not a regular file"):
        sc.load_spec(str(fifo))


def test_the_size_limit_holds_whatever_stat_says(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({**GOOD, "pad": "x" * MAX_FILE_BYTES}))
    with pytest.raises(sc.SpecError, match=r"larger than 1,000,000 bytes"):
        sc.load_spec(path)
    small = os.stat(path)
    monkeypatch.setattr(os.path, "getsize", lambda p: 10)  # stat may lie (procfs, races)
    with pytest.raises(sc.SpecError, match=r"larger than 1,000,000 bytes"):
        sc.load_spec(path)
    assert small.st_size > MAX_FILE_BYTES


def keras_zip(path, config_bytes: bytes, name="config.json"):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, config_bytes)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    bomb = tmp_path / "bomb.keras"
    keras_zip(bomb, b"{" + b" " * (60 * 1_000_000) + b"}")  # 60 MB inflated, 60 kB on disk
    assert os.path.getsize(bomb) < 100_000
    code, err = run_cli_bounded(["summary", str(bomb)], seconds=10, memory=1 << 30)
    assert code == 3
    assert one_error_line(err) == (
        f"symcnn summary: error: {bomb}: config.json would inflate to 60,000,002 bytes "
        f"(at most {MAX_MEMBER_BYTES:,}); it is not read. Received: path='{bomb}'")


def test_a_zip_whose_header_lies_about_the_size_is_still_bounded(tmp_path):
    path = tmp_path / "liar.keras"
    keras_zip(path, b" " * (MAX_MEMBER_BYTES + 10))
    data = bytearray(path.read_bytes())
    size = (MAX_MEMBER_BYTES + 10).to_bytes(4, "little")
    for at in [i for i in range(len(data) - 4) if data[i:i + 4] == size]:
        data[at:at + 4] = (100).to_bytes(4, "little")  # both headers claim 100 bytes
    path.write_bytes(bytes(data))
    with pytest.raises(sc.SpecError) as err:
        sc.from_keras(str(path))
    assert "config.json" in str(err.value)


def test_a_zip_with_too_many_members_is_refused_from_its_directory(tmp_path):
    path = tmp_path / "many.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(22_000):
            archive.writestr(f"m{i:06d}", b"")
    with pytest.raises(sc.SpecError, match=r"the zip archive's directory is [\d,]+ bytes \(at "
                                           r"most 1,000,000\): too many members"):
        sc.from_keras(str(path))


@pytest.mark.parametrize("suffix, content, message", [
    (".json", b"\xff\xfe{}", r"not UTF-8 text \(byte 0xff at offset 0\)"),
    (".keras", b"\xff\xfe{}", r"not a zip archive, so not a .keras model file"),
    (".keras", b"PK\x03\x04 not really a zip", r"not a zip archive, so not a .keras model file"),
    (".keras", b"{}", r"not a zip archive"),
])
def test_malformed_keras_files_give_clean_errors(tmp_path, suffix, content, message):
    path = tmp_path / f"m{suffix}"
    path.write_bytes(content)
    with pytest.raises(sc.SpecError, match=message):
        sc.from_keras(str(path))
    assert main(["summary", str(path)]) == 3


def test_a_keras_zip_with_a_non_utf8_config(tmp_path):
    path = tmp_path / "m.keras"
    keras_zip(path, b'{"class_name": "\xff"}')
    with pytest.raises(sc.SpecError, match=r"config.json in .*not UTF-8 text \(byte 0xff"):
        sc.from_keras(str(path))


def test_a_keras_zip_without_config(tmp_path):
    path = tmp_path / "m.keras"
    keras_zip(path, b"{}", name="other.json")
    with pytest.raises(sc.SpecError, match=r"a zip archive without config.json"):
        sc.from_keras(str(path))


@pytest.mark.parametrize("suffix", [".json", ".keras"])
def test_deeply_nested_files_give_clean_errors(tmp_path, suffix):
    text = ("[" * 100_000 + "]" * 100_000).encode()
    path = tmp_path / f"m{suffix}"
    if suffix == ".keras":
        keras_zip(path, text)
    else:
        path.write_bytes(text)
    code, err = run_cli(["summary", str(path)])
    assert code == 3 and "nested deeper than 64 levels" in one_error_line(err)


def test_moderately_nested_data_within_the_recursion_limit_is_refused_too(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**GOOD, "x": json.loads("[" * 500 + "]" * 500)}))
    with pytest.raises(sc.SpecError, match="nested deeper than 64 levels"):
        sc.load_spec(path)


@pytest.mark.parametrize("text, where", [
    ('{"input": [8], "layers": [{"Dense": {"units": %s}}]}' % ("9" * 5000), "json"),
    ("input: [8]\nlayers:\n  - Dense: {units: 0x%s}\n" % ("f" * 50_000), "yaml"),
    ("input: [8]\nlayers:\n  - Dense: {units: %s}\n" % ("9" * 5000), "yaml"),
    ("input: [8]\nlayers:\n  - Dense: {units: 1e%s}\n" % ("9" * 5000), "yaml"),
    ('{"input": [8], "layers": [{"Dense": {"units": "1e%s"}}]}' % ("9" * 5000), "json"),
])
def test_huge_integers_in_model_files_give_clean_errors(tmp_path, text, where):
    path = tmp_path / f"m.{where}"
    path.write_text(text)
    with pytest.raises(sc.SpecError, match=r"digits|too large|not valid"):
        sc.load_spec(path)
    code, err = run_cli(["summary", str(path)])
    assert code == 3, err
    one_error_line(err)


def test_a_model_file_cannot_print_terminal_escapes_through_a_name(tmp_path):
    path = tmp_path / "names.json"
    path.write_text(json.dumps({"input": [4], "layers": [
        {"Dense": {"units": 3, "name": "ok\u001b[2J\u202e"}}]}))
    code, err = run_cli(["summary", str(path)])
    line = one_error_line(err)
    assert code != 0 and "\x1b" not in err and "\u202e" not in err
    assert "layers[0] (Dense)" in line and "`name` must be printable" in line
    assert r"Received: name='ok\x1b[2J\u202e'" in line


@pytest.mark.parametrize("name, text, key", [
    ("twice.yaml", "input: [784]\nlayers:\n  - Dense: {units: 128, activation: relu, units: 10}\n",
     "units"),
    ("twice.json", '{"input": [784], "layers": [{"Dense": {"units": 128}, "Dense": {"units": 10}}]}',
     "Dense"),
    ("layers.yaml", "input: [4]\nlayers: [Flatten]\nlayers: [ReLU]\n", "layers"),
])
def test_a_key_given_twice_is_refused_not_silently_the_last(tmp_path, name, text, key):
    """JSON and YAML keep the last of two equal keys: `units: 128 ... units: 10` built a
    10-unit layer without a word."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(sc.SpecError, match=rf"the key '{key}' appears twice"):
        sc.load_spec(path)


def test_yaml_merge_keys_may_still_be_overridden(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("symcnn: 1\ninput: [4]\nlayers:\n  - Dense: &b {units: 3}\n"
                    "  - Dense: {<<: *b, units: 5, use_bias: false}\n")
    assert sc.load_spec(path).output_shape == (5,)


def test_a_byte_order_mark_is_not_part_of_a_json_model_file(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert sc.load_spec(path).params == sc.model_from_spec(GOOD).params


def test_a_small_file_whose_sizes_multiply_into_millions_of_terms_is_refused(tmp_path):
    """Each size is within the reader's bounds (degree 20, 1,771 terms), but Dense's count
    multiplies them: 3 million terms, 209 s and 870 MB before the guard."""
    path = tmp_path / "heavy.json"
    path.write_text(json.dumps({"symbols": "H W n", "input": ["(H+W+n+1)**20"],
                                "layers": [{"Dense": "(H+W+n+2)**20"}]}))
    code, err = run_cli_bounded(["summary", str(path)], seconds=30)
    line = one_error_line(err)
    assert code == 3 and "the parameter count would expand to about" in line
    assert "terms (limit 2,000)" in line
    assert len(line) < 2000  # the input shape is shown cut


def test_an_error_never_prints_a_huge_received_value_whole(tmp_path):
    path = tmp_path / "name.json"
    path.write_text(json.dumps({"input": [4], "layers": ["y" * 900_000]}))
    code, err = run_cli(["summary", str(path)])
    assert code == 3 and len(one_error_line(err)) <= 2100 and "unknown layer type" in err
