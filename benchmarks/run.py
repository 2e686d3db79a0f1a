"""symcnn's benchmark harness: every case of issues 9 and 16 against its peers, in one run.

    python benchmarks/run.py            # the full run (about 6 minutes here), exit 1 if a target is missed
    python benchmarks/run.py --quick    # a tiny smoke run: small models, targets not enforced
    python benchmarks/run.py --cases resnet_symbolic,cli --json results.json

Each side of each case runs in fresh processes (``benchmarks/workloads.py``,
``benchmarks/chains.py``), library imports excluded on both sides, peers' models built
outside their timed region as symcnn's imports are. *Cold*: nothing cached (a fresh process'
first run, or a run after every cache of symcnn and SymPy was cleared); *warm*: caches kept.
Every figure is a median with its (min-max) over at least 3 runs in full mode. Ratios against
peers use wall-clock times of interleaved processes; the depth cases use CPU time, which the
other work on a shared machine disturbs far less. Peers: ``torch.export`` with dynamic H, W
and ``torchinfo`` on the plain ``torch.nn`` ResNet-50 of ``tests/support/torch_models.py``,
Keras' own ResNet-50 summary, ``sympy.lambdify`` with NumPy for sweeps and
``python -c "import sympy"`` for the command line.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
CASES = ("resnet_symbolic", "resnet_224", "depth", "memory", "sweep", "solve", "cli")
STEPS = ("build", "params", "macs", "memory", "receptive", "summary", "markdown", "latex",
         "derivation")
ENV = {"KERAS_BACKEND": "torch", **os.environ, "PYTHONPATH": str(ROOT)}


@dataclass
class Row:
    case: str
    ours: str = ""
    peer: str = ""
    ratio: str = ""
    target: str = ""
    ok: bool | None = None  # None: not enforced (--quick, or a row for information)
    note: str = ""
    data: dict = field(default_factory=dict)

    @property
    def result(self) -> str:
        return {True: "ok", False: "MISSED", None: "-"}[self.ok]


class JobFailed(RuntimeError):
    pass


def run_json(cmd: list) -> dict:
    """Run a benchmark process; its last stdout line as JSON."""
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=ENV)
    if proc.returncode != 0:
        raise JobFailed(f"{' '.join(map(str, cmd[1:]))} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def job(name: str, *options: str, quick: bool) -> dict:
    return run_json([PYTHON, str(HERE / "workloads.py"), name, *options]
                    + (["--quick"] if quick else []))


@dataclass
class Runs:
    """Wall-clock and CPU seconds of first, cache-cleared and warm runs, and each process'
    info."""

    warm: list = field(default_factory=list)
    warm_cpu: list = field(default_factory=list)
    infos: list = field(default_factory=list)
    first: list = field(default_factory=list)  # each process' first run: a fresh process
    first_cpu: list = field(default_factory=list)

    cleared: list = field(default_factory=list)  # later runs after every cache was cleared
    cleared_cpu: list = field(default_factory=list)

    def add(self, result: dict, all_cold: bool) -> None:
        split = len(result["times"]) if all_cold else 1
        self.first += result["times"][:1]
        self.first_cpu += result["cpu"][:1]
        self.warm += result["times"][split:]
        self.warm_cpu += result["cpu"][split:]
        if all_cold:
            self.cleared += result["times"][1:]
            self.cleared_cpu += result["cpu"][1:]
        self.infos.append(result["info"])


#: The kinds of runs reported: the issue's cold (a fresh process' first run, imports done;
#: the targets are judged on it), symcnn's runs after every cache was cleared (no
#: first-call costs left: the peers have no such run), and warm runs.
KINDS = (("first", "cold: a fresh process' first run"),
         ("cleared", "cold: caches cleared, a later run"), ("warm", "warm"))


def measure(sides: dict, cfg, clearable=()) -> dict:
    """``{side: Runs}``, the sides' processes interleaved so that load hits all alike.

    A side in ``clearable`` (symcnn's) gets its cold runs from processes that clear every
    cache before each run, and its warm runs from one process that keeps them; the peers'
    cold runs are their processes' first runs (torch and Keras have no cache to clear)."""
    out = {side: Runs() for side in sides}
    for _ in range(cfg.procs):
        for side, name in sides.items():
            if side in clearable:
                out[side].add(job(name, "--repeat", str(cfg.repeat), "--clear",
                                  quick=cfg.quick), all_cold=True)
            else:
                out[side].add(job(name, "--repeat", "2", quick=cfg.quick), all_cold=False)
    for side in clearable:
        out[side].add(job(sides[side], "--repeat", str(cfg.repeat + 1), quick=cfg.quick),
                      all_cold=False)
    return out


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt_time(seconds: float) -> str:
    if seconds != seconds:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.3g} ms"


def spread(values) -> str:
    """``median (min-max)`` of a list of seconds."""
    if len(values) < 2:
        return fmt_time(median(values))
    return f"{fmt_time(median(values))} ({fmt_time(min(values))}-{fmt_time(max(values))})"


def fmt_rate(rate: float) -> str:
    return f"{rate:.3g}/s"


# ----------------------------------------------------------------------------- cases


def case_resnet_symbolic(cfg) -> list:
    runs = measure({"zoo": "sc_resnet_symbolic", "from_torch": "sc_from_torch_symbolic",
                    "peer": "torch_export"}, cfg, clearable=("zoo", "from_torch"))
    peer = runs["peer"]
    rows = []
    for side, label, goal in (("zoo", "sc.zoo", 50), ("from_torch", "sc.from_torch", 25)):
        ours = runs[side]
        for kind, title in KINDS:
            mine, theirs = getattr(ours, kind), getattr(peer, "first" if kind != "warm" else
                                                                "warm")
            a, b = median(mine), median(theirs)
            judged = kind == "first"
            rows.append(Row(
                f"{cfg.net}, symbolic H, W, through {label}: shapes, params, MACs, table "
                f"({title})", spread(mine),
                f"torch.export {spread(theirs)}" + (" (first runs)" if kind == "cleared" else ""),
                f"{b / a:.1f}x faster", f">= {goal}x faster" if judged else "-",
                b / a >= goal if judged else None,
                f"CPU medians: {fmt_time(median(getattr(ours, kind + '_cpu')))} vs "
                f"{fmt_time(median(getattr(peer, ('first' if kind != 'warm' else 'warm') + '_cpu')))}"
                + ("; tracing included" if side == "from_torch" else ""),
                {"symcnn": mine, "peer": theirs, "info": ours.infos[0],
                 "peer_info": peer.infos[0]}))
    return rows


def case_resnet_224(cfg) -> list:
    sides = {"ours": "sc_resnet_224", "torchinfo": "torchinfo"}
    if not cfg.quick:  # Keras has no small ResNet to match the quick one
        sides["keras"] = "keras_summary"
    runs = measure(sides, cfg, clearable=("ours",))
    ours, info = runs["ours"], runs["ours"].infos[0]
    peer_info = runs["torchinfo"].infos[0]
    agree = info["trainable"] == peer_info["params"]  # torch counts no BatchNorm statistics
    note = "" if agree else f"PARAMS DISAGREE: {info['trainable']:,} vs {peer_info['params']:,}; "
    if info["macs_total"] != peer_info["macs_total"]:
        note += (f"MACs {info['macs_total']:,} (torchinfo {peer_info['macs_total']:,}: it "
                 f"also counts BatchNorm and bias parameters as mult-adds); ")
    rows = []
    for side, label, goal in (("torchinfo", "torchinfo", 0.02), ("keras", "Keras", None)):
        if side not in runs:
            continue
        peer = runs[side]
        for kind, title in KINDS:
            peer_kind = "first" if kind != "warm" else "warm"
            a, b = median(getattr(ours, kind)), median(getattr(peer, peer_kind))
            enforced = goal is not None and kind == "first"
            extra = ("keras.applications.ResNet50 (v1, biased convolutions: "
                     f"{peer.infos[0]['params']:,} params) summarised, built outside the "
                     "timed region; no MACs; " if side == "keras" else note)
            rows.append(Row(
                f"{cfg.net} at 224x224: summary with MACs, against {label} ({title})",
                spread(getattr(ours, kind)), f"{label} {spread(getattr(peer, peer_kind))}",
                f"{a / b:.3f}x its time", f"<= {goal}x" if enforced else "-",
                (a / b <= goal and agree) if enforced else None,
                extra + f"CPU medians: {fmt_time(median(getattr(ours, kind + '_cpu')))} vs "
                f"{fmt_time(median(getattr(peer, peer_kind + '_cpu')))}",
                {"symcnn": getattr(ours, kind), "peer": getattr(peer, peer_kind),
                 "info": info, "peer_info": peer.infos[0], "params_agree": agree}))
    return rows


def chain_run(kind: str, depth: int, steps=STEPS) -> dict:
    return run_json([PYTHON, str(HERE / "chains.py"), kind, str(depth),
                     "--steps", ",".join(steps)])


def case_depth(cfg) -> list:
    small, big = cfg.depths
    rows = []
    for kind, label in (("width", "conv-BN-ReLU, a width symbol each"),
                        ("stride", "conv-BN-ReLU, stride 2 every 4th conv"),
                        ("valid", "3x3 valid convs")):
        cpu = {small: {s: [] for s in STEPS}, big: {s: [] for s in STEPS}}
        for _ in range(cfg.chain_runs):  # the two depths interleaved
            for depth in (small, big):
                result = chain_run(kind, depth)
                for step in STEPS:
                    cpu[depth][step].append(result["cpu"][step])
        for step in STEPS:
            a, b = median(cpu[small][step]), median(cpu[big][step])
            growth = b / a if a > 0 else float("inf")
            rows.append(Row(
                f"Depth {small} -> {big}, {label}: {step}",
                f"{fmt_time(a)} -> {spread(cpu[big][step])}", "-",
                f"{growth:.1f}x", "<= 15x (or <= 50 ms), < 10 s",
                (growth <= 15 or b <= 0.05) and b < 10,
                "", {"cpu": {small: cpu[small][step], big: cpu[big][step]}}))
    rows[0].note = (f"CPU seconds, medians (min-max) of {cfg.chain_runs} fresh processes per "
                    f"depth; each step after the previous on the same model, the earlier "
                    f"steps' garbage collected before it (untimed)")
    return rows


def case_memory(cfg) -> list:
    depth = cfg.depths[-1]
    peaks = [chain_run("width", depth, ("build", "summary")) for _ in range(cfg.mem_runs)]
    rss = [p["max_rss_mb"] for p in peaks]
    torch_free = not any(p["torch_imported"] for p in peaks)
    return [Row(f"Peak memory: summary of {depth} conv-BN-ReLU blocks, {depth} width symbols",
                f"{median(rss):.0f} MB ({min(rss):.0f}-{max(rss):.0f})", "-", "-", "< 300 MB",
                median(rss) < 300 and torch_free,
                "peak RSS (VmHWM) of a process that never imported torch, interpreter and "
                "SymPy included" + ("" if torch_free else "; TORCH WAS IMPORTED"),
                {"rss_mb": rss})]


def case_sweep(cfg) -> list:
    ours, peer = {}, {}
    for _ in range(cfg.sweep_procs):
        for side, name in ((ours, "sc_sweep"), (peer, "lambdify_sweep")):
            info = job(name, "--repeat", "1", quick=cfg.quick)["info"]
            for key, item in info["per_target"].items():
                side.setdefault(key, []).append(item)
            values = info["values"]
    rows = []
    for key, items in ours.items():
        target, quantity = key.split(".")
        rates = [i["rate"] for i in items]
        peer_rates = [i["rate"] for i in peer[key]]
        exact = all(i["exact"] for i in items)
        peer_exact = all(i["exact"] for i in peer[key])
        ratio = median(rates) / median(peer_rates)
        rows.append(Row(
            f"Sweep: {quantity} of {target.replace('_', '-')} over {values:,} values",
            f"{fmt_rate(median(rates))} ({fmt_time(values / median(rates))})",
            f"lambdify+NumPy {fmt_rate(median(peer_rates))}", f"{ratio:.2f}x",
            ">= 1x, exact", ratio >= 1 and exact,
            ("" if exact else "NOT EXACT; ") + f"lambdify {'exact' if peer_exact else 'NOT exact'}"
            f" ({peer[key][0]['dtype']}); rates min-max {min(rates):.3g}-{max(rates):.3g} vs "
            f"{min(peer_rates):.3g}-{max(peer_rates):.3g}",
            {"items": items, "peer": peer[key]}))
    return rows


def case_solve(cfg) -> list:
    infos = [job("sc_solve", "--repeat", str(cfg.repeat), quick=cfg.quick)["info"]
             for _ in range(cfg.procs)]
    rows = []
    for quantity in infos[0]["per_budget"]:
        seconds = [i["per_budget"][quantity]["seconds"] for i in infos]
        first = [s[0] for s in seconds]
        later = [t for s in seconds for t in s[1:]]
        item = infos[0]["per_budget"][quantity]
        correct = all(i["per_budget"][quantity]["correct"] for i in infos)
        fixed = " at 224x224" if quantity == "macs" else ""
        rows.append(Row(f"solve_budget: {cfg.net} by width w, {quantity} <= "
                        f"{item['budget']:,}{fixed}",
                        f"{spread(first)} cold, {fmt_time(median(later))} warm", "-",
                        f"w = {item['answer']}", "<= 50 ms (cold)",
                        median(first) <= 0.050 and correct, "" if correct else "WRONG ANSWER",
                        {"cold": first, "warm": later}))
    return rows


def whole_process(cmd, codes=(0,)) -> tuple:
    """(wall-clock seconds, stderr) of a whole process, start-up to exit."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if proc.returncode not in codes:
        raise JobFailed(f"{' '.join(map(str, cmd))} exited {proc.returncode}: "
                        f"{proc.stderr[-2000:]}")
    return elapsed, proc.stderr


def _cli(argv: list) -> list:
    """The installed command line run in a process that reports whether SymPy was imported."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stderr.write("
            "'\\nSYMPY-IMPORTED\\n' if 'sympy' in sys.modules else '\\nNO-SYMPY\\n'))\n"
            f"sys.argv = ['symcnn'] + {argv!r}\n"
            "from symcnn.cli import main\n"
            "sys.exit(main())\n")
    return [PYTHON, "-c", code]


def case_cli(cfg) -> list:
    cases = [("symcnn --help", _cli(["--help"]), (0,), 0.3),
             ("symcnn nope (a usage error)", _cli(["nope"]), (2,), 0.3),
             ("symcnn zoo resnet50 (a zoo model's summary)", _cli(["zoo", "resnet50"]), (0,),
              1.2)]
    floor_cmd = [PYTHON, "-c", "import sympy"]
    samples = {"floor": [], **{name: [] for name, *_ in cases}}
    imported = {name: False for name, *_ in cases}
    for _ in range(cfg.cli_runs):  # interleaved, so load on the machine hits all alike
        samples["floor"].append(whole_process(floor_cmd)[0])
        for name, cmd, codes, _ in cases:
            elapsed, err = whole_process(cmd, codes)
            samples[name].append(elapsed)
            imported[name] |= "SYMPY-IMPORTED" in err
    floor = median(samples["floor"])
    rows = []
    for name, _, _, goal in cases:
        t = median(samples[name])
        rows.append(Row(f"{name}, whole process", spread(samples[name]),
                        f"import sympy {spread(samples['floor'])}", f"{t / floor:.2f}x",
                        f"<= {goal}x", t / floor <= goal,
                        f"{cfg.cli_runs} interleaved runs; SymPy "
                        f"{'imported' if imported[name] else 'not imported'}",
                        {"runs": samples[name], "floor": samples["floor"],
                         "sympy_imported": imported[name]}))
    return rows


RUNNERS = {"resnet_symbolic": case_resnet_symbolic, "resnet_224": case_resnet_224,
           "depth": case_depth, "memory": case_memory, "sweep": case_sweep,
           "solve": case_solve, "cli": case_cli}


# ----------------------------------------------------------------------------- report


def table(rows) -> str:
    headers = ["case", "symcnn (median)", "peer (median)", "ratio", "target", "result"]
    cells = [[r.case, r.ours, r.peer, r.ratio, r.target, r.result] for r in rows]
    widths = [max(len(c[i]) for c in [headers] + cells) for i in range(len(headers))]
    line = lambda c: "  ".join(x.ljust(w) for x, w in zip(c, widths)).rstrip()  # noqa: E731
    out = [line(headers), "  ".join("-" * w for w in widths)]
    for r, c in zip(rows, cells):
        out.append(line(c))
        if r.note.strip("; "):
            out.append(" " * 4 + "note: " + r.note.strip("; "))
    return "\n".join(out)


def markdown(rows, header: str) -> str:
    """The table as Markdown (for docs/performance.md), notes as a list under it."""
    out = [header, "", "| case | symcnn (median) | peer (median) | ratio | target | result |",
           "|---|---|---|---|---|---|"]
    notes = []
    for r in rows:
        cells = [r.case.strip(), r.ours, r.peer, r.ratio, r.target, r.result]
        out.append("| " + " | ".join(c.replace("|", "/") or "-" for c in cells) + " |")
        if r.note.strip("; "):
            notes.append(f"- {r.case.strip()}: {r.note.strip('; ')}")
    return "\n".join(out + ([""] + notes if notes else [])) + "\n"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    """The machine and the versions, read without importing torch or SymPy here (a child
    process would inherit this process' peak memory)."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, "
            f"load {load:.1f}, Python {platform.python_version()}, SymPy {_version('sympy')}, "
            f"torch {_version('torch')}, torchinfo {_version('torchinfo')}, "
            f"Keras {_version('keras')}")


class Config:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.net = "small ResNet (1-1-1-1 bottlenecks)" if quick else "ResNet-50"
        self.procs, self.repeat = (1, 2) if quick else (7, 3)
        self.depths = (5, 20) if quick else (200, 2000)
        self.chain_runs = 1 if quick else 5
        self.mem_runs = 1 if quick else 3
        self.sweep_procs = 1 if quick else 7
        self.cli_runs = 2 if quick else 9


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--quick", action="store_true",
                        help="tiny cases, one process each; targets shown, not enforced")
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"comma-separated subset of: {', '.join(CASES)}")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement here")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    args = parser.parse_args(argv)
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in RUNNERS]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    cfg = Config(args.quick)
    # Bytecode as an installed package has it: with PYTHONDONTWRITEBYTECODE set, every
    # process would compile the modules edited since their last .pyc again.
    compileall.compile_dir(ROOT / "symcnn", quiet=1)
    start = time.perf_counter()
    header = (f"symcnn benchmarks{' (--quick: targets not enforced)' if args.quick else ''}, "
              f"{time.strftime('%Y-%m-%d')}, {machine()}")
    print(header, flush=True)
    rows, failed = [], []
    for name in chosen:
        print(f"  running {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(RUNNERS[name](cfg))
        except JobFailed as err:
            failed.append(name)
            rows.append(Row(name, "ERROR", note=str(err).splitlines()[-1]))
            print(err, file=sys.stderr)
    if args.quick:
        for r in rows:
            r.ok = None
    print(table(rows))
    missed = [r.case for r in rows if r.ok is False]
    print(f"\n{len(rows) - len(missed)} rows ok or not enforced, {len(missed)} missed, "
          f"{len(failed)} failed; {time.perf_counter() - start:.0f} s")
    if args.markdown:
        Path(args.markdown).write_text(markdown(rows, header))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "quick": args.quick,
             "rows": [r.__dict__ for r in rows]}, indent=1, default=str))
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
