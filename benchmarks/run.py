"""symcnn's benchmark harness: every case of issue 9 against its peers, measured in one run.

    python benchmarks/run.py            # the full run (a few minutes), exit 1 if a target is missed
    python benchmarks/run.py --quick    # a tiny smoke run: small models, targets not enforced
    python benchmarks/run.py --cases resnet_symbolic,cli --json results.json

Each side of each case runs in fresh processes (``benchmarks/workloads.py``), with library
imports excluded on both sides. *Cold* is a process' first run (what a user meets once),
*warm* a later run in the same process; the table gives medians over processes and runs.
Peers run for real in the same run: ``torch.export`` with dynamic H and W and ``torchinfo``
on the plain ``torch.nn`` ResNet-50 of ``tests/support/torch_models.py``, Keras' own
ResNet-50 summary, rebuilding torch models per width, and ``python -c "import sympy"`` for
the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
CASES = ("resnet_symbolic", "resnet_224", "depth", "memory", "sweep", "solve", "cli")


@dataclass
class Row:
    case: str
    ours: str = ""
    peer: str = ""
    ratio: str = ""
    target: str = ""
    ok: bool | None = None  # None: not enforced (--quick)
    note: str = ""
    data: dict = field(default_factory=dict)

    @property
    def result(self) -> str:
        return {True: "ok", False: "MISSED", None: "-"}[self.ok]


class JobFailed(RuntimeError):
    pass


def job(name: str, *options: str, quick: bool) -> dict:
    """Run one workload in a fresh process; its JSON line."""
    cmd = [PYTHON, str(HERE / "workloads.py"), name, *options] + (["--quick"] if quick else [])
    env = {"KERAS_BACKEND": "torch", **os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode != 0:
        raise JobFailed(f"{' '.join(cmd[1:])} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@dataclass
class Runs:
    """Wall-clock seconds of first (cold) and later (warm) runs, CPU seconds alike, infos."""

    cold: list = field(default_factory=list)
    warm: list = field(default_factory=list)
    cold_cpu: list = field(default_factory=list)
    warm_cpu: list = field(default_factory=list)
    infos: list = field(default_factory=list)

    def __iter__(self):  # cold, warm, infos = runs(...)
        return iter((self.cold, self.warm, self.infos))

    def cpu_note(self, other: "Runs", peer: str) -> str:
        return (f"CPU time, cold/warm: symcnn {fmt_time(median(self.cold_cpu))}/"
                f"{fmt_time(median(self.warm_cpu))}, {peer} {fmt_time(median(other.cold_cpu))}/"
                f"{fmt_time(median(other.warm_cpu))}")


def runs(name: str, processes: int, repeat: int, *options: str, quick: bool) -> Runs:
    """``processes`` fresh processes of ``repeat`` runs each."""
    out = Runs()
    for _ in range(processes):
        result = job(name, "--repeat", str(repeat), *options, quick=quick)
        out.cold.append(result["times"][0])
        out.warm.extend(result["times"][1:])
        out.cold_cpu.append(result["cpu"][0])
        out.warm_cpu.extend(result["cpu"][1:])
        out.infos.append(result["info"])
    return out


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt_time(seconds: float) -> str:
    if seconds != seconds:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.3g} ms"


def fmt_rate(rate: float) -> str:
    return f"{rate:.3g}/s"


# ----------------------------------------------------------------------------- cases


def case_resnet_symbolic(cfg) -> list:
    ours = runs("sc_resnet_symbolic", cfg.procs, cfg.repeat, quick=cfg.quick)
    peer = runs("torch_export", cfg.peer_procs, cfg.peer_repeat, quick=cfg.quick)
    info = ours.infos[0]
    rows = []
    for kind in ("cold", "warm"):
        mine, theirs = getattr(ours, kind), getattr(peer, kind)
        a, b = median(mine), median(theirs)
        rows.append(Row(f"{cfg.net}, symbolic H, W: shapes, params, MACs, table ({kind})",
                        fmt_time(a), f"torch.export {fmt_time(b)}", f"{b / a:.1f}x faster",
                        ">= 20x faster", b / a >= 20,
                        ours.cpu_note(peer, "torch.export") if kind == "cold" else "",
                        {"symcnn": mine, "peer": theirs, "info": info,
                         "peer_info": peer.infos[0]}))
    return rows


def case_resnet_224(cfg) -> list:
    ours = runs("sc_resnet_224", cfg.procs, cfg.repeat, quick=cfg.quick)
    peer = runs("torchinfo", cfg.peer_procs, cfg.repeat, quick=cfg.quick)
    info, peer_info = ours.infos[0], peer.infos[0]
    agree = info["trainable"] == peer_info["params"]  # torch counts no BatchNorm statistics
    note = ""
    if not agree:
        note += f"PARAMS DISAGREE: {info['trainable']:,} vs {peer_info['params']:,}; "
    if info["macs_total"] != peer_info["macs_total"]:
        note += (f"MACs {info['macs_total']:,} (torchinfo {peer_info['macs_total']:,}: it "
                 f"also counts BatchNorm and bias parameters as mult-adds); ")
    rows = []
    for kind in ("cold", "warm"):
        mine, theirs = getattr(ours, kind), getattr(peer, kind)
        a, b = median(mine), median(theirs)
        rows.append(Row(f"{cfg.net} at 224x224: full summary with MACs ({kind})",
                        fmt_time(a), f"torchinfo {fmt_time(b)}", f"{a / b:.3f}x its time",
                        "<= 0.5x", a / b <= 0.5 and agree,
                        note + (ours.cpu_note(peer, "torchinfo") if kind == "cold" else ""),
                        {"symcnn": mine, "peer": theirs, "info": info,
                         "peer_info": peer_info, "params_agree": agree}))
    if cfg.quick:  # Keras has no small ResNet to match the quick one
        return rows
    keras = runs("keras_summary", cfg.peer_procs, cfg.peer_repeat, quick=cfg.quick)
    for kind in ("cold", "warm"):
        mine, theirs = getattr(ours, kind), getattr(keras, kind)
        a, b = median(mine), median(theirs)
        rows.append(Row(f"{cfg.net} at 224x224: summary, against Keras ({kind})",
                        fmt_time(a), f"Keras {fmt_time(b)}", f"{a / b:.3f}x its time",
                        "<= 0.5x", a / b <= 0.5,
                        "keras.applications.ResNet50 (v1, biased convolutions: "
                        f"{keras.infos[0]['params']:,} params) built and summarised, no MACs; "
                        + (ours.cpu_note(keras, "Keras") if kind == "cold" else ""),
                        {"symcnn": mine, "peer": theirs, "peer_info": keras.infos[0]}))
    return rows


def case_depth(cfg) -> list:
    depths = cfg.depths
    times, ops = {}, {}
    for d in depths:
        cold, _, infos = runs("sc_chain", cfg.chain_procs, 1, "--depth", str(d),
                              quick=cfg.quick)
        times[d] = median(cold)
        ops[d] = {k: v for k, v in infos[0].items() if k.startswith("ops_")}
    small, big = depths[0], depths[-1]
    growth = times[big] / times[small]
    limit = 1.2 * big / small
    rows = [Row(f"Depth scaling: {'/'.join(map(str, depths))} conv-BN-ReLU blocks, symbolic "
                f"H, W, a width symbol per convolution",
                " / ".join(fmt_time(times[d]) for d in depths), "-",
                f"t({big})/t({small}) = {growth:.1f}", f"<= {limit:g}", growth <= limit,
                "build, per-layer facts and totals (params, MACs), cold",
                {"times": times, "ops": ops})]
    for key in sorted(ops[small]):
        per_layer = [ops[d][key] / d for d in depths]
        # linear: a*d + b with a constant per layer; compare the increments' slopes
        slopes = [(ops[b][key] - ops[a][key]) / (b - a) for a, b in zip(depths, depths[1:])]
        linear = max(slopes) <= 1.05 * min(slopes) and ops[big][key] <= limit * ops[small][key]
        rows.append(Row(f"  count_ops of total {key[4:]} by depth",
                        " / ".join(str(ops[d][key]) for d in depths), "-",
                        f"{per_layer[-1]:.2f} ops/layer", "linear in depth", linear,
                        f"increments per layer: {', '.join(f'{s:.2f}' for s in slopes)}"))
    return rows


def case_memory(cfg) -> list:
    d = cfg.depths[-1]
    _, _, infos = runs("sc_chain_memory", 1, 1, "--depth", str(d), quick=cfg.quick)
    info = infos[0]
    rss, peak = info["max_rss_mb"], info["tracemalloc_peak_mb"]
    return [Row(f"Peak memory, {d} conv-BN-ReLU blocks ({3 * d} layers)",
                f"{rss:.0f} MB max RSS", "-",
                f"{peak:.0f} MB traced peak", "< 500 MB", rss < 500,
                "max RSS of the whole process (interpreter and SymPy included); traced "
                "peak = Python allocations during the case", info)]


def case_sweep(cfg) -> list:
    _, _, infos = runs("sc_sweep", cfg.sweep_procs, 1, quick=cfg.quick)
    _, _, peer_infos = runs("torch_rebuild", 1, 1, quick=cfg.quick)
    peer = peer_infos[0]
    per = {}
    for info in infos:
        for key, item in info["per_target"].items():
            per.setdefault(key, []).append(item)
    rows = []
    values = infos[0]["values"]
    for key, items in per.items():
        target, quantity = key.split(".")
        rate = median([i["rate"] for i in items])
        exact = all(i["exact"] for i in items)
        peer_rate = peer[target]["rate"]
        rows.append(Row(f"Sweep: {quantity} of {target.replace('_', '-')} over {values:,} values",
                        f"{fmt_rate(rate)} ({fmt_time(values / rate)})",
                        f"torch rebuild {fmt_rate(peer_rate)}",
                        f"{rate / peer_rate:,.0f}x", ">= 1e6/s, exact",
                        rate >= 1e6 and exact,
                        "" if exact else "NOT EXACT",
                        {"items": items, "peer": peer[target]}))
    return rows


def case_solve(cfg) -> list:
    _, _, infos = runs("sc_solve", cfg.procs, cfg.repeat, quick=cfg.quick)
    rows = []
    for quantity in infos[0]["per_budget"]:
        seconds = [i["per_budget"][quantity]["seconds"] for i in infos]
        first = median([s[0] for s in seconds])
        later = median([t for s in seconds for t in s[1:]])
        item = infos[0]["per_budget"][quantity]
        correct = all(i["per_budget"][quantity]["correct"] for i in infos)
        fixed = " at 224x224" if quantity == "macs" else ""
        rows.append(Row(f"solve_budget: {cfg.net} by width w, {quantity} <= "
                        f"{item['budget']:,}{fixed}",
                        f"{fmt_time(first)} cold, {fmt_time(later)} warm", "-",
                        f"w = {item['answer']}", "<= 50 ms (cold)",
                        first <= 0.050 and correct, "" if correct else "WRONG ANSWER",
                        {"cold": first, "warm": later}))
    return rows


def whole_process(cmd) -> tuple:
    """(wall-clock, CPU) seconds of a whole process, start-up to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise JobFailed(f"{' '.join(map(str, cmd))} failed: {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def case_cli(cfg) -> list:
    script = Path(PYTHON).parent / "symcnn"
    files = ["examples/models/free_width.json", "examples/models/free_width.py"]
    floor_cmd = [PYTHON, "-c", "import sympy"]
    samples = {"floor": [], **{f: [] for f in files}}
    for _ in range(cfg.cli_runs):  # interleaved, so load on the machine hits all alike
        samples["floor"].append(whole_process(floor_cmd))
        for f in files:
            samples[f].append(whole_process([str(script), "summary", f]))
    floor = median([w for w, _ in samples["floor"]])
    floor_cpu = median([c for _, c in samples["floor"]])
    rows = []
    for f in files:
        t = median([w for w, _ in samples[f]])
        cpu = median([c for _, c in samples[f]])
        rows.append(Row(f"symcnn summary {f}, whole process", fmt_time(t),
                        f"import sympy {fmt_time(floor)}", f"{t / floor:.2f}x", "<= 2x",
                        t / floor <= 2,
                        f"medians of {cfg.cli_runs} interleaved runs; CPU time {fmt_time(cpu)} "
                        f"vs {fmt_time(floor_cpu)} ({cpu / floor_cpu:.2f}x)",
                        {"runs": samples[f], "floor": samples["floor"]}))
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


def machine() -> str:
    import sympy

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover
        torch_version = "not installed"
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, "
            f"Python {platform.python_version()}, SymPy {sympy.__version__}, "
            f"torch {torch_version}")


class Config:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.net = "small ResNet (1-1-1-1 bottlenecks)" if quick else "ResNet-50"
        self.procs, self.repeat = (1, 2) if quick else (5, 5)
        self.peer_procs, self.peer_repeat = (1, 2) if quick else (3, 3)
        self.depths = (5, 10, 20) if quick else (100, 300, 1000)
        self.chain_procs = 1 if quick else 3
        self.sweep_procs = 1 if quick else 3
        self.cli_runs = 2 if quick else 15


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
