"""The three deep chains of issue 16 and every analysis a user runs on them, timed one by one.

    python benchmarks/chains.py width 200            # one chain, one depth: JSON seconds per step
    python benchmarks/chains.py stride 2000 --steps build,memory

Chains (all on symbolic ``H, W``):

- ``width``: conv-BN-ReLU blocks, a width symbol ``n_i`` per convolution ('same' 3x3);
- ``stride``: conv-BN-ReLU blocks of fixed width 16, stride 2 on every 4th convolution;
- ``valid``: 3x3 'valid' convolutions (width 8): each shrinks H and W by 2.

Steps, in the order a user meets them (each after the previous, on the same model): build
(every layer's shapes and parameters), params, macs and memory (peak activation memory; each
computed and shown with ``sc.show``), receptive (receptive field of the output), summary,
markdown, latex, derivation (``to_latex(style="derivation")``). Before each step the earlier
steps' garbage is collected, untimed (its CPU seconds are reported as ``collect``).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

CHAINS = ("width", "stride", "valid")
STEPS = ("build", "params", "macs", "memory", "receptive", "summary", "markdown", "latex",
         "derivation")


def chain(kind: str, depth: int):
    """The ``kind`` chain with ``depth`` blocks (a block is conv-BN-ReLU, or one conv)."""
    import symcnn as sc

    H, W = sc.symbols("H W")
    x = inputs = sc.Input((H, W, 3))
    for i in range(1, depth + 1):
        if kind == "width":
            x = sc.Conv2D(sc.symbols(f"n_{i}"), 3, padding="same", use_bias=False)(x)
        elif kind == "stride":
            x = sc.Conv2D(16, 3, strides=2 if i % 4 == 0 else 1, padding="same",
                          use_bias=False)(x)
        elif kind == "valid":
            x = sc.Conv2D(8, 3, padding="valid", use_bias=False)(x)
            continue
        else:
            raise ValueError(f"unknown chain {kind!r}; choose from {', '.join(CHAINS)}")
        x = sc.ReLU()(sc.BatchNormalization()(x))
    return sc.Model(inputs, x, name=f"{kind}_{depth}")


def step_functions(holder: dict, kind: str, depth: int) -> dict:
    """One callable per step, sharing the model built by ``build``."""
    def build():
        holder["model"] = model = chain(kind, depth)
        for record in model.layers:
            record.output_shape, record.params

    import symcnn as sc

    m = lambda: holder["model"]  # noqa: E731
    return {  # each closed form computed and shown as symcnn prints it
        "build": build,
        "params": lambda: sc.show(m().params),
        "macs": lambda: sc.show(m().macs),
        "memory": lambda: sc.show(m().peak_activation_memory()),
        "receptive": lambda: str(m().layers[-1].receptive_field),
        "summary": lambda: m().summary_text(columns=["layer", "output_shape", "params", "macs"]),
        "markdown": lambda: m().to_markdown(),
        "latex": lambda: m().to_latex(),
        "derivation": lambda: m().to_latex(style="derivation"),
    }


def measure(kind: str, depth: int, steps=STEPS) -> dict:
    """Seconds per step (wall clock and CPU) and the process' peak RSS in MB afterwards."""
    holder: dict = {}
    funcs = step_functions(holder, kind, depth)
    seconds, cpu, collect = {}, {}, {}
    for name in ("build",) + tuple(s for s in steps if s != "build"):
        # Each step starts with the earlier steps' garbage collected (CPU kept apart, in
        # "collect"): Python's full collections walk every live object, the model's too, and
        # fall in whichever step's allocations cross the threshold that the earlier steps
        # brought near; so each step pays for the collections its own allocations cause.
        start_cpu = time.process_time()
        gc.collect()
        collect[name] = time.process_time() - start_cpu
        start, start_cpu = time.perf_counter(), time.process_time()
        funcs[name]()
        seconds[name] = time.perf_counter() - start
        cpu[name] = time.process_time() - start_cpu
    return {"chain": kind, "depth": depth, "seconds": seconds, "cpu": cpu, "collect": collect,
            "max_rss_mb": peak_rss_mb(), "torch_imported": "torch" in sys.modules}


def peak_rss_mb() -> float:
    """This process' peak resident memory in MB: ``VmHWM``, which starts afresh at ``exec``
    (``ru_maxrss`` would keep a parent's peak, e.g. one that had imported torch)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chain", choices=CHAINS)
    parser.add_argument("depth", type=int)
    parser.add_argument("--steps", default=",".join(STEPS))
    args = parser.parse_args(argv)
    import symcnn  # noqa: F401  (imports are not timed)
    import sympy  # noqa: F401

    steps = [s for s in args.steps.split(",") if s]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    gc.collect()  # the imports' garbage is theirs, not the first step's
    print(json.dumps(measure(args.chain, args.depth, steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
