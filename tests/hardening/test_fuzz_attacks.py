"""Fuzzing the attack families of issue 15: paths to devices and FIFOs, zip bombs, exponent
towers, huge literals, malformed Keras configs, strings with code, full disks.

Each family runs 200 examples in CI (derandomized by the profile in ``tests/conftest.py``, so
every run draws the same ones) and 5,000 with ``SYMCNN_LONG=1``. Every example must either
work or raise a SymcnnError (the command line: a documented exit code and one line on
stderr), within 10 seconds, and must never run code or create a file.
"""

import builtins
import contextlib
import io
import json
import os
import tempfile
import zipfile

from hypothesis import HealthCheck, given, settings, strategies as st

import symcnn as sc
from symcnn.cli import EXIT_CODES, main

from ..conftest import fuzz_examples
from .keras_corpus import DENSE, IN, seq
from .test_bounded_reads import within

FAMILY = settings(max_examples=fuzz_examples(200), deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.function_scoped_fixture])
n = sc.symbols("n")
GOOD_SPEC = {"input": [8], "symbols": ["n"], "layers": [{"Dense": {"units": "n"}}]}
DOCUMENTED = set(EXIT_CODES.values()) - {EXIT_CODES["internal"]}


def cli(argv, out=None):
    """``symcnn argv`` in this process within 10 s: (code, stdout, stderr lines)."""
    err, stdout = io.StringIO(), out if out is not None else io.StringIO()
    with within(10), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv], out=stdout)
    text = stdout.getvalue() if isinstance(stdout, io.StringIO) else ""
    return code, text, err.getvalue().strip().splitlines()


def clean_cli(code, lines):
    assert code in DOCUMENTED, lines
    if code != 0:
        assert len(lines) == 1 and lines[0].startswith("symcnn"), lines
        assert "internal error" not in lines[0] and "Traceback" not in lines[0]


def api(call):
    """``call()`` within 10 s: its result, or the SymcnnError it raised (anything else fails)."""
    with within(10):
        try:
            return call()
        except sc.SymcnnError as err:
            assert "Traceback" not in str(err)
            return err


# ------------------------------------------------------------------ devices and FIFOs

KINDS = ["/dev/zero", "/dev/urandom", "/dev/null", "/dev/full", "fifo", "directory",
         "dangling", "loop", "missing"]


def make_path(folder, kind, suffix):
    path = os.path.join(folder, "model" + suffix)
    if kind.startswith("/dev/"):
        os.symlink(kind, path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        os.mkdir(path)
    elif kind == "dangling":
        os.symlink(os.path.join(folder, "nowhere"), path)
    elif kind == "loop":
        os.symlink(path, path)
    return path


@FAMILY
@given(kind=st.sampled_from(KINDS), suffix=st.sampled_from([".json", ".yaml", ".keras", ".py",
                                                            ".yml", ""]),
       entry=st.sampled_from(["summary", "sweep", "load_spec", "from_keras"]))
def test_paths_to_devices_and_fifos_are_refused_without_reading(kind, suffix, entry):
    with tempfile.TemporaryDirectory() as folder:
        path = make_path(folder, kind, suffix)
        if entry in ("summary", "sweep"):
            code, _, lines = cli([entry, path] + (["n=1:3"] if entry == "sweep" else []))
            clean_cli(code, lines)
            assert code == EXIT_CODES["file"], lines
        else:
            fn = sc.load_spec if entry == "load_spec" else sc.from_keras
            result = api(lambda: fn(path))
            assert isinstance(result, sc.SymcnnError), result


# ----------------------------------------------------------------------- zip bombs

LIMIT = 10_000_000


@st.composite
def archives(draw):
    members = []
    kind = draw(st.sampled_from(["bomb", "config", "garbage", "deep", "latin1", "many",
                                 "liar", "nested zip"]))
    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    if kind == "bomb":
        size = draw(st.integers(LIMIT + 1, LIMIT + 2_000_000))
        members.append(("config.json", b"{" + b" " * (size - 2) + b"}"))
    elif kind == "config":
        members.append(("config.json", json.dumps(seq(IN, DENSE)).encode()))
    elif kind == "garbage":
        members.append(("config.json", draw(st.binary(max_size=200))))
    elif kind == "deep":
        depth = draw(st.integers(60, 50_000))
        members.append(("config.json", b"[" * depth + b"]" * depth))
    elif kind == "latin1":
        members.append(("config.json", "{\"class_name\": \"Dens\xe9\"}".encode("latin-1")))
    elif kind == "many":
        count = draw(st.integers(1, 60))
        members += [(f"m{i}", b"") for i in range(count)]
    elif kind == "liar":
        members.append(("config.json", b" " * (LIMIT + 100)))
    else:
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as z:
            z.writestr("config.json", b"{}")
        members.append(("config.json", inner.getvalue()))
    return kind, method, members


@FAMILY
@given(archive=archives(), entry=st.sampled_from(["from_keras", "summary"]))
def test_zip_bombs_and_broken_archives_are_bounded(archive, entry):
    kind, method, members = archive
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with zipfile.ZipFile(path, "w", compression=method) as z:
            for name, data in members:
                z.writestr(name, data)
        if kind == "liar":  # headers claim 100 bytes for a member of 10 MB
            data = bytearray(open(path, "rb").read())
            size = (LIMIT + 100).to_bytes(4, "little")
            at = data.find(size)
            while at >= 0:
                data[at:at + 4] = (100).to_bytes(4, "little")
                at = data.find(size, at + 4)
            open(path, "wb").write(bytes(data))
        if entry == "summary":
            code, _, lines = cli(["summary", path])
            clean_cli(code, lines)
            assert (code == 0) == (kind == "config"), lines
        else:
            result = api(lambda: sc.from_keras(path))
            assert isinstance(result, sc.SymcnnError) != (kind == "config"), result


# ------------------------------------------------------------------ exponent towers

bases = st.sampled_from(["2", "3", "10", "n", "(n + 1)", "2*n"])


@st.composite
def towers(draw):
    parts = draw(st.lists(st.sampled_from(["2", "3", "n", "2*n", "(n + 1)", "64"]),
                          min_size=1, max_size=5))
    text = draw(bases)
    for p in parts:
        text = f"{text}**{p}" if draw(st.booleans()) else f"{p}**({text})"
    return text


@FAMILY
@given(text=towers(), value=st.one_of(st.integers(1, 70), st.sampled_from(
    [10**3, 10**6, 10**10, 10**18, 2**64])), entry=st.sampled_from(
    ["subs", "sweep", "solve", "cli summary", "cli sweep"]))
def test_exponent_towers_are_refused_before_they_are_built(text, value, entry):
    if entry.startswith("cli"):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "m.json")
            with open(path, "w") as handle:
                json.dump({**GOOD_SPEC, "layers": [{"Dense": {"units": text}}]}, handle)
            argv = (["summary", path, "--subs", f"n={value}"] if entry == "cli summary"
                    else ["sweep", path, f"n={value}"])
            code, _, lines = cli(argv)
            clean_cli(code, lines)
        return
    expr = api(lambda: sc.parse_expression(text, {"n": n}))
    if isinstance(expr, sc.SymcnnError):
        return
    if entry == "subs":
        api(lambda: sc.Sequential([sc.Input((4,)), sc.Dense(expr)]).subs(n=value))
    elif entry == "sweep":
        api(lambda: sc.sweep(expr, n=[value, value + 1]))
    else:
        api(lambda: sc.solve_budget(expr, value, n))


# ------------------------------------------------------------------- huge literals

@st.composite
def literals(draw):
    digits = draw(st.integers(1234, 60_000))  # beyond the size bound, 2**4096
    form = draw(st.sampled_from(["decimal", "hex", "exponent", "fraction", "negative"]))
    body = "9" * digits
    return form, {"decimal": body, "hex": "0x" + "f" * digits, "exponent": "1e" + body,
                  "fraction": "1." + body, "negative": "-" + body}[form]


@FAMILY
@given(literal=literals(), where=st.sampled_from(["json file", "yaml file", "subs", "parse",
                                                  "python int", "json text"]))
def test_huge_literals_give_clean_errors(literal, where):
    form, text = literal
    with tempfile.TemporaryDirectory() as folder:
        if where in ("json file", "yaml file"):
            suffix = ".json" if where == "json file" else ".yaml"
            path = os.path.join(folder, "m" + suffix)
            value = text if (suffix == ".yaml" or form in ("decimal", "negative")) else f'"{text}"'
            if suffix == ".json":
                body = '{"input": [8], "layers": [{"Dense": {"units": %s}}]}' % value
            else:
                body = "input: [8]\nlayers:\n  - Dense: {units: %s}\n" % value
            with open(path, "w") as handle:
                handle.write(body)
            code, _, lines = cli(["summary", path])
            clean_cli(code, lines)
            assert code == EXIT_CODES["file"], lines
        elif where == "subs":
            path = os.path.join(folder, "m.json")
            with open(path, "w") as handle:
                json.dump(GOOD_SPEC, handle)
            code, _, lines = cli(["summary", path, "--subs", f"n={text}"])
            clean_cli(code, lines)
            assert code in (EXIT_CODES["usage"], EXIT_CODES["error"]), lines
        elif where == "parse":
            assert isinstance(api(lambda: sc.parse_expression(text)), sc.SymcnnError)
        elif where == "python int":
            value = 10 ** min(len(text), 20_000)
            dense = api(lambda: sc.Dense(value))
            assert isinstance(dense, sc.SymcnnError) == (value.bit_length() > 4096), dense
            assert isinstance(api(lambda: sc.Dropout(value)), sc.SymcnnError)
            swept = api(lambda: sc.sweep(n, n=[value]))  # the sizes a layer takes, as subs
            assert isinstance(swept, sc.SymcnnError) == (value.bit_length() > 4096), swept
        else:
            doc = '{"class_name": "Sequential", "config": {"layers": [%s, {"class_name": ' \
                  '"Dense", "config": {"units": %s}}]}}' % (json.dumps(IN), text)
            result = api(lambda: sc.from_keras(doc))
            if form != "decimal" or len(text) > 1233:  # 2**4096 has 1,234 digits
                assert isinstance(result, sc.SymcnnError), result


# ------------------------------------------------------------ malformed Keras configs

hostile = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.just(10**5000),
                    st.just(float("nan")), st.just("__import__('os').system('touch pwned')"),
                    st.text(max_size=5), st.just([]), st.just({}), st.just([[[[[]]]]]),
                    st.just({"class_name": "Sequential", "config": 5}))


def mutate(value, path, replacement):
    if not path:
        return replacement
    key, rest = path[0], path[1:]
    if isinstance(value, dict) and value:
        keys = sorted(value, key=str)
        k = keys[key % len(keys)]
        return {**value, k: mutate(value[k], rest, replacement)}
    if isinstance(value, list) and value:
        i = key % len(value)
        return value[:i] + [mutate(value[i], rest, replacement)] + value[i + 1:]
    return replacement


VALID = [seq(IN, DENSE),
         seq(IN, {"class_name": "Conv1D", "config": {"filters": 2, "kernel_size": 3}}),
         {"class_name": "Functional", "config": {
             "layers": [{**IN, "name": "x", "inbound_nodes": []},
                        {"class_name": "Dense", "name": "d", "config": {"units": 4, "name": "d"},
                         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                                      "config": {"keras_history": ["x", 0, 0]}}],
                                            "kwargs": {}}]}],
             "input_layers": [["x", 0, 0]], "output_layers": [["d", 0, 0]]}}]


@FAMILY
@given(base=st.sampled_from(range(len(VALID))),
       edits=st.lists(st.tuples(st.lists(st.integers(0, 7), max_size=6), hostile), min_size=1,
                      max_size=3),
       as_text=st.booleans())
def test_malformed_keras_configs_never_raise_a_bare_exception(base, edits, as_text):
    config = VALID[base]
    for path, replacement in edits:
        config = mutate(config, path, replacement)
    if as_text:
        try:
            text = json.dumps(config)
        except ValueError:  # 10**5000 cannot be written as JSON by Python either
            return
        with within(10):
            try:
                sc.from_keras(text)
            except sc.SymcnnError:
                pass
    else:
        api(lambda: sc.from_keras(config))


# ------------------------------------------------------------------ strings with code

FRAGMENTS = ["__import__('os').system('touch pwned')", "().__class__.__base__", "lambda: 0",
             "exec('x')", "eval('1')", "open('pwned', 'w')", "n", "2*n", "+", "(", ")", ";",
             "import os", "os.system", "\\x00", "n.__class__", "[1]", "{1: 2}", "`", "\u0663",
             "true", "None", "1e5", "n if n else 1", "getattr(n, 'x')", "*", "**"]

WATCHED = ("__import__", "exec(", "eval(", "open(", "os.system", "lambda", "getattr")


@st.composite
def code_strings(draw):
    return "".join(draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5)))


@FAMILY
@given(text=code_strings(), entry=st.sampled_from(
    ["parse", "sweep", "format_count", "show", "Dense", "Input", "subs", "spec", "cli subs",
     "cli range", "solve"]))
def test_strings_with_code_never_run(text, entry, monkeypatch):
    real_eval, real_exec = builtins.eval, builtins.exec

    def guard(real):
        def check(source, *args, **kwargs):
            if isinstance(source, str) and any(w in source for w in WATCHED):
                raise AssertionError(f"text was evaluated: {source!r}")
            return real(source, *args, **kwargs)
        return check

    monkeypatch.setattr(builtins, "eval", guard(real_eval))
    monkeypatch.setattr(builtins, "exec", guard(real_exec))
    with tempfile.TemporaryDirectory() as folder:
        old = os.getcwd()
        os.chdir(folder)
        try:
            if entry.startswith("cli") or entry == "spec":
                with open("m.json", "w") as handle:
                    units = text if entry == "spec" else "n"
                    json.dump({**GOOD_SPEC, "layers": [{"Dense": {"units": units}}]}, handle)
                argv = {"spec": ["summary", "m.json"],
                        "cli subs": ["summary", "m.json", "--subs", f"n={text}"],
                        "cli range": ["sweep", "m.json", f"n={text}"]}[entry]
                code, _, lines = cli(argv)
                clean_cli(code, lines)
            else:
                call = {
                    "parse": lambda: sc.parse_expression(text, declare=True),
                    "sweep": lambda: sc.sweep({"a": text}, n=[1, 2]),
                    "format_count": lambda: sc.format_count(text),
                    "show": lambda: sc.show(text),
                    "Dense": lambda: sc.Dense(text),
                    "Input": lambda: sc.Input((text, 3)),
                    "subs": lambda: sc.Sequential([sc.Input((4,)), sc.Dense(n)]).subs(n=text),
                    "solve": lambda: sc.solve_budget(160 * n, text, n),
                }[entry]
                api(call)
            assert sorted(os.listdir(".")) in ([], ["m.json"])
        finally:
            os.chdir(old)


# -------------------------------------------------------------------------- full disks

@FAMILY
@given(command=st.sampled_from(["summary", "summary json", "sweep", "latex", "spec yaml",
                                "spec json", "zoo"]),
       target=st.sampled_from(["stdout", "file"]), size=st.integers(1, 10**6))
def test_writing_to_a_full_disk_always_fails_with_one_line(command, target, size):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.json")
        with open(path, "w") as handle:
            json.dump(GOOD_SPEC, handle)
        suffix = {"latex": ".tex", "spec yaml": ".yaml", "spec json": ".json"}.get(command)
        argv = {"summary": ["summary", path, "--subs", f"n={size}"],
                "summary json": ["summary", path, "--format", "json"],
                "sweep": ["sweep", path, f"n=1:{size % 5000 + 1}", "--format", "csv"],
                "latex": ["latex", path], "spec yaml": ["spec", path, "--format", "yaml"],
                "spec json": ["spec", path, "--format", "json"], "zoo": ["zoo"]}[command]
        if target == "file" and suffix:
            full = os.path.join(folder, "full" + suffix)
            os.symlink("/dev/full", full)
            argv += ["-o", full]
        handle = open("/dev/full", "w")
        try:
            code, _, lines = cli(argv, out=handle)
        finally:
            try:
                handle.close()
            except OSError:
                pass
        clean_cli(code, lines)
        if code == EXIT_CODES["unavailable"]:  # e.g. YAML without PyYAML
            return
        assert code == EXIT_CODES["error"], lines  # docs/cli.md: the request failed
        assert "cannot write" in lines[0] and "No space left on device" in lines[0], lines


def test_every_family_runs_its_examples():
    # the decorator count, read back: 200 in CI, 5,000 in the long run
    counts = {f.__name__: f.hypothesis.inner_test and f._hypothesis_internal_use_settings
              .max_examples for f in [
                  test_paths_to_devices_and_fifos_are_refused_without_reading,
                  test_zip_bombs_and_broken_archives_are_bounded,
                  test_exponent_towers_are_refused_before_they_are_built,
                  test_huge_literals_give_clean_errors,
                  test_malformed_keras_configs_never_raise_a_bare_exception,
                  test_strings_with_code_never_run,
                  test_writing_to_a_full_disk_always_fails_with_one_line]}
    assert set(counts.values()) == {fuzz_examples(200)}, counts
