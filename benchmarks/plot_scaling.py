"""How the cost grows with depth and with the number of symbols: measure and plot.

    python benchmarks/plot_scaling.py                      # measure, write JSON and the PNG
    python benchmarks/plot_scaling.py --from results.json  # plot earlier measurements

Runs ``benchmarks/chains.py`` in a fresh process per chain and depth (CPU seconds of every
step) and draws one panel per chain, log-log, with a line of slope 1 (linear cost) for
reference. The ``width`` chain has one symbol per block, so its depth *is* its number of
symbols; the ``stride`` and ``valid`` chains keep two symbols (H, W) at any depth: the gap
between the panels is the cost of the symbols. Needs matplotlib (the ``plot`` extra).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEPTHS = (100, 200, 500, 1000, 2000)
CHAINS = {"width": "conv-BN-ReLU, a width symbol per block (n symbols)",
          "stride": "conv-BN-ReLU, stride 2 every 4th conv (H, W only)",
          "valid": "3x3 valid convs (H, W only)"}
STEPS = ("build", "params", "macs", "memory", "receptive", "summary", "markdown", "latex",
         "derivation")


def measure(path: Path, depths=DEPTHS) -> dict:
    """CPU seconds per chain, depth and step; saved to ``path`` after each measurement, and
    measurements already there are kept (an interrupted run resumes)."""
    out: dict = json.loads(path.read_text()) if path.exists() else {}
    for kind in CHAINS:
        for depth in depths:
            if str(depth) in out.get(kind, {}):
                continue
            proc = subprocess.run([sys.executable, str(HERE / "chains.py"), kind, str(depth)],
                                  capture_output=True, text=True, cwd=ROOT)
            if proc.returncode != 0:
                raise SystemExit(f"chains.py {kind} {depth} failed:\n{proc.stderr[-2000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            out.setdefault(kind, {})[str(depth)] = result["cpu"]
            path.write_text(json.dumps(out, indent=1))
            print(kind, depth, f"{sum(result['cpu'].values()):.2f} s", flush=True)
    return out


def plot(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(CHAINS), figsize=(15, 5.8), sharey=True)
    for ax, (kind, title) in zip(axes, CHAINS.items()):
        depths = sorted(int(d) for d in data[kind])
        for step in STEPS:
            ys = [max(data[kind][str(d)][step], 1e-4) for d in depths]
            ax.plot(depths, ys, marker="o", markersize=3, label=step)
        first = sum(data[kind][str(depths[0])].values())
        ax.plot(depths, [first * d / depths[0] for d in depths], "k--", linewidth=1,
                label="linear (all steps' total at the first depth, scaled)")
        ax.plot(depths, [sum(data[kind][str(d)].values()) for d in depths], "k-",
                linewidth=2, label="all steps")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("blocks")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("CPU seconds")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=9, frameon=False)
    fig.suptitle("symcnn: cost of each step against depth (log-log; slope 1 = linear)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", help="plot measurements from this JSON")
    parser.add_argument("--json", default=str(HERE / "scaling.json"))
    parser.add_argument("--png", default=str(ROOT / "docs" / "img" / "performance-scaling.png"))
    args = parser.parse_args(argv)
    if args.source:
        data = json.loads(Path(args.source).read_text())
    else:
        data = measure(Path(args.json))
    plot(data, Path(args.png))
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
