"""The workloads of ``benchmarks/run.py``, one per side of each case, run in fresh processes.

``python benchmarks/workloads.py JOB [--quick] [--repeat N] [--depth D] [--clear]`` sets the
job up (imports and, for peers, building the ``torch.nn`` or Keras model: excluded from
timing), then times the job ``N`` times in this process: the first run is *cold* (nothing
cached yet, as a user's first call), the later ones *warm*, unless ``--clear`` empties every
cache of symcnn and SymPy before each run (then every run is cold). It prints one JSON line:
``{"times": [...], "cpu": [...], "info": {...}}`` (wall-clock and CPU seconds per run).

Library imports are excluded on both sides, with the garbage they leave (collected before
each timed run); everything the call itself does (SymPy's and torch's lazy imports and
caches, and the garbage collections its own allocations cause, included) is timed.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL_BLOCKS = (3, 4, 6, 3)  # ResNet-50
QUICK_BLOCKS = (1, 1, 1, 1)  # a small bottleneck ResNet for --quick
SWEEP_VALUES = {False: 10**6, True: 10**4}
TORCH_WIDTHS = {False: 100, True: 3}
BUDGETS = {"params": 5_000_000, "macs": 10**9}


# ----------------------------------------------------------------------------- symcnn models


def sc_resnet(input_shape, width=64, blocks=FULL_BLOCKS):
    """ResNet-50 (torchvision's v1.5) from ``sc.zoo``; for ``--quick``, a bottleneck ResNet
    with ``blocks`` per stage built here (the zoo has no such size)."""
    import symcnn as sc

    if tuple(blocks) == FULL_BLOCKS:
        return sc.zoo.resnet50(input_shape, width=width), "sc.zoo.resnet50"

    def bottleneck(x, w, stride, project):
        y = sc.Conv2D(w, 1, use_bias=False)(x)
        y = sc.ReLU()(sc.BatchNormalization()(y))
        y = sc.Conv2D(w, 3, strides=stride, padding=1, use_bias=False)(y)
        y = sc.ReLU()(sc.BatchNormalization()(y))
        y = sc.BatchNormalization()(sc.Conv2D(4 * w, 1, use_bias=False)(y))
        if project:
            x = sc.Conv2D(4 * w, 1, strides=stride, use_bias=False)(x)
            x = sc.BatchNormalization()(x)
        return sc.ReLU()(sc.Add()([x, y]))

    x = inputs = sc.Input(input_shape)
    x = sc.Conv2D(width, 7, strides=2, padding=3, use_bias=False)(x)
    x = sc.ReLU()(sc.BatchNormalization()(x))
    x = sc.MaxPooling2D(3, strides=2, padding=1)(x)
    for i, n in enumerate(blocks):
        for b in range(n):
            x = bottleneck(x, width * 2**i, (1 if i == 0 else 2) if b == 0 else 1, b == 0)
    x = sc.Dense(1000)(sc.GlobalAveragePooling2D()(x))
    return sc.Model(inputs, x, name="resnet"), "built in benchmarks/workloads.py"


def sc_free_width():
    import symcnn as sc

    return sc.zoo.textbook.free_width()


def sc_chain(depth: int):
    """conv-BN-ReLU x depth on (H, W, 3), a width symbol n_i per convolution."""
    import symcnn as sc

    H, W = sc.symbols("H W")
    x = inputs = sc.Input((H, W, 3))
    for i in range(1, depth + 1):
        x = sc.Conv2D(sc.symbols(f"n_{i}"), 3, padding="same", use_bias=False)(x)
        x = sc.ReLU()(sc.BatchNormalization()(x))
    return sc.Model(inputs, x, name=f"chain_{depth}")


def all_facts(model) -> str:
    """Every layer's shapes, parameters and MACs, the totals, and the printed table."""
    for record in model.layers:
        record.output_shape, record.params, record.macs
    model.params, model.trainable_params, model.non_trainable_params, model.macs
    return model.summary_text(columns=["layer", "output_shape", "params", "macs"])


# ----------------------------------------------------------------------------- torch peers


def torch_resnet(blocks, width=64):
    sys.path.insert(0, str(ROOT))
    from tests.support.torch_models import Bottleneck, ResNet

    return ResNet(Bottleneck, list(blocks), width=width)


def torch_free_width(n: int):
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 20, 4, bias=False), nn.MaxPool2d(2), nn.Conv2d(20, 40, 3, bias=False),
        nn.MaxPool2d(2), nn.Conv2d(40, 60, 3, bias=False), nn.MaxPool2d(2),
        nn.Conv2d(60, 80, 2, bias=False), nn.Flatten(), nn.Linear(160, n, bias=False))


# ----------------------------------------------------------------------------- caches


def clear_caches() -> int:
    """Empty every cache symcnn and SymPy keep between calls (for *cold* runs in a process):
    ``functools`` caches of symcnn's modules, symcnn's per-signature layer cache and SymPy's
    cache. Returns how many caches were cleared."""
    import sympy.core.cache

    cleared = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("symcnn") or module is None:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()
                cleared += 1
        # plain dicts: layers.base's results by signature, costs' per object and per
        # result, render.exprs' texts and shown atoms by identity
        for attr in ("_COMPUTED", "_CACHE", "_MACS_BY_RESULT", "_SHOWN", "_ATOMS_SHOWN"):
            cache = vars(module).get(attr)
            if hasattr(cache, "clear"):
                cache.clear()
                cleared += 1
    sympy.core.cache.clear_cache()
    return cleared + 1


# ----------------------------------------------------------------------------- jobs


def job_sc_resnet_symbolic(args):
    """ResNet-50 on (H, W, 3): layer definitions to per-layer facts, totals and the table."""
    import symcnn as sc

    H, W = sc.symbols("H W")
    info, last = {}, {}

    def run():
        last["model"], last["source"] = sc_resnet((H, W, 3), blocks=args.blocks)
        last["text"] = all_facts(last["model"])

    def finish():  # not timed
        model = last["model"]
        info.update(source=last["source"], layers=len(model.layers),
                    params=str(model.params), lines=len(last["text"].splitlines()),
                    macs_total=str(model.macs))

    run.finish = finish
    return run, info


def job_sc_from_torch_symbolic(args):
    """The plain torch.nn ResNet through sc.from_torch on (3, H, W), tracing included:
    per-layer facts, totals and the table (the torch.nn module is built outside timing)."""
    import symcnn as sc
    import symcnn.interop.torch  # noqa: F401  (the bridge's import is not timed)

    module = torch_resnet(args.blocks).eval()
    info, last = {}, {}

    def run():
        last["model"] = sc.from_torch(module, (3, "H", "W"))
        last["text"] = all_facts(last["model"])

    def finish():  # not timed
        model = last["model"]
        info.update(layers=len(model.layers), params=str(model.params),
                    lines=len(last["text"].splitlines()))

    run.finish = finish
    return run, info


def job_torch_export(args):
    """torch.export of the plain torch.nn ResNet with dynamic H and W, every node's shape read."""
    import torch

    model = torch_resnet(args.blocks).eval()
    example = (torch.randn(1, 3, 224, 224),)
    info = {"torch": torch.__version__}

    def run():
        h = torch.export.Dim("H", min=64, max=4096)
        w = torch.export.Dim("W", min=64, max=4096)
        program = torch.export.export(model, example, dynamic_shapes={"x": {2: h, 3: w}})
        shapes = [tuple(str(d) for d in node.meta["val"].shape)
                  for node in program.graph.nodes
                  if isinstance(node.meta.get("val"), torch.Tensor)]
        info.update(nodes=len(shapes), last_feature_map=shapes[-4] if len(shapes) > 4 else None)

    return run, info


def job_sc_resnet_224(args):
    """ResNet-50 at 224x224: every number, the table with MACs."""
    info, last = {}, {}

    def run():
        last["model"], last["source"] = sc_resnet((224, 224, 3), blocks=args.blocks)
        last["text"] = all_facts(last["model"])

    def finish():  # not timed
        model = last["model"]
        info.update(source=last["source"], params=int(model.params),
                    trainable=int(model.trainable_params), macs_total=int(model.macs),
                    lines=len(last["text"].splitlines()))

    run.finish = finish
    return run, info


def job_torchinfo(args):
    """torchinfo's summary of the same torch.nn ResNet at 224x224, with mult-adds, as text."""
    import torchinfo

    model = torch_resnet(args.blocks).eval()
    info = {"torchinfo": getattr(torchinfo, "__version__", "?")}

    def run():
        stats = torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0,
                                  col_names=("output_size", "num_params", "mult_adds"))
        text = str(stats)
        info.update(params=stats.total_params, macs_total=stats.total_mult_adds,
                    lines=len(text.splitlines()))

    return run, info


def job_keras_summary(args):
    """Keras' own ResNet-50 (keras.applications, v1: biased convolutions) at 224x224,
    summarised to text (built outside the timed region, as the torch peers); Keras counts no
    MACs."""
    import keras

    info = {"keras": keras.__version__, "backend": keras.backend.backend()}
    model = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3))  # not timed

    def run():
        lines = []
        model.summary(print_fn=lambda line, *rest, **options: lines.append(line))
        info.update(params=model.count_params(), lines="".join(lines).count("\n"))

    return run, info


def job_sc_chain(args):
    """A conv-BN-ReLU chain of ``--depth`` layers: build, per-layer facts and totals."""
    import sympy

    info = {"depth": args.depth}
    last = {}

    def run():
        model = sc_chain(args.depth)
        for record in model.layers:
            record.output_shape, record.params
        last["params"], last["macs"] = model.params, model.macs

    def finish():
        info["ops_params"] = int(sympy.count_ops(last["params"]))
        info["ops_macs"] = int(sympy.count_ops(last["macs"]))

    run.finish = finish
    return run, info


def job_sc_chain_memory(args):
    """Peak memory of the chain case: tracemalloc's peak and the process' maximum RSS."""
    import resource
    import tracemalloc

    run, info = job_sc_chain(args)

    def measured():
        tracemalloc.start()
        run()
        info["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        info["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    return measured, info


def _exact_values(expr, symbol, values):
    """Exact Python-int values of ``expr`` at ``values`` (the reference for exactness)."""
    import sympy

    return [int(expr.xreplace({symbol: sympy.Integer(v)})) for v in values]


def _sweep(target, symbol, quantity, lo, hi, fixed):
    """``quantity`` of ``target`` for symbol = lo..hi, with sc.sweep."""
    import symcnn as sc

    return sc.sweep(target, quantity, **{symbol.name: range(lo, hi + 1)}, **fixed)[quantity]


def _sym(model, name):
    return next((s for s in model.free_symbols if s.name == name), None)


def job_sc_sweep(args):
    """Parameters and MACs over 10**6 widths: the free-width example, ResNet-50 by width."""
    import numpy  # noqa: F401  (sc.sweep imports NumPy on first use; imports are not timed)

    import symcnn as sc

    hi = SWEEP_VALUES[args.quick]
    w = sc.symbols("w")
    targets = {"free_width": (sc_free_width(), sc.symbols("n"), {}),
               "resnet": (sc_resnet((sc.symbols("H"), sc.symbols("W"), 3), width=w,
                                    blocks=args.blocks)[0], w, {"H": 224, "W": 224})}
    quantities = ["params", "macs"]
    for model, _, _ in targets.values():  # the peer is given these closed forms and symbols
        for quantity in quantities:      # computed outside its timed region: so is symcnn
            getattr(model, quantity)
        model.free_symbols
    info = {"values": hi, "quantities": quantities, "per_target": {}}
    rng = random.Random(0)

    def run():
        for name, (model, symbol, fixed) in targets.items():
            for quantity in quantities:
                start = time.perf_counter()
                column = _sweep(model, symbol, quantity, 1, hi, fixed)
                elapsed = time.perf_counter() - start
                expr = getattr(model, quantity)
                if fixed:
                    expr = expr.xreplace({_sym(model, k): v for k, v in fixed.items()})
                picks = [1, hi] + [rng.randint(1, hi) for _ in range(200)]
                exact = _exact_values(expr, symbol, picks)
                got = [int(column[p - 1]) for p in picks]
                info["per_target"][f"{name}.{quantity}"] = {
                    "seconds": elapsed, "rate": hi / elapsed,
                    "exact": got == exact, "largest": exact[1]}

    return run, info


def job_lambdify_sweep(args):
    """The peer of sc.sweep: sympy.lambdify with NumPy on the same closed forms and grid
    (compiling included, as sc.sweep's own compiling is; the grid array built in the first
    timed call and kept, as sc.sweep builds and keeps a range's), checked for exactness
    alike."""
    import numpy
    import sympy

    import symcnn as sc

    hi = SWEEP_VALUES[args.quick]
    w = sc.symbols("w")
    targets = {"free_width": (sc_free_width(), sc.symbols("n"), {}),
               "resnet": (sc_resnet((sc.symbols("H"), sc.symbols("W"), 3), width=w,
                                    blocks=args.blocks)[0], w, {"H": 224, "W": 224})}
    exprs = {}
    for name, (model, symbol, fixed) in targets.items():
        for quantity in ("params", "macs"):
            expr = getattr(model, quantity)
            if fixed:
                expr = expr.xreplace({_sym(model, k): v for k, v in fixed.items()})
            exprs[f"{name}.{quantity}"] = (expr, symbol)
    info = {"values": hi, "per_target": {}}
    rng = random.Random(0)

    def run():
        grid = None  # built in the first timed call and kept, as sc.sweep keeps a range's
        for key, (expr, symbol) in exprs.items():
            start = time.perf_counter()
            if grid is None:
                grid = numpy.arange(1, hi + 1, dtype=numpy.int64)
            column = sympy.lambdify(symbol, expr, "numpy")(grid)
            elapsed = time.perf_counter() - start
            picks = [1, hi] + [rng.randint(1, hi) for _ in range(200)]
            exact = _exact_values(expr, symbol, picks)
            got = [int(column[p - 1]) for p in picks]
            info["per_target"][key] = {"seconds": elapsed, "rate": hi / elapsed,
                                       "exact": got == exact, "dtype": str(column.dtype)}

    return run, info


def job_torch_rebuild(args):
    """Rebuild the torch.nn model per width and count its parameters (meta device: no
    weights are allocated, the fastest way in torch)."""
    import torch

    widths = list(range(1, TORCH_WIDTHS[args.quick] + 1))
    info = {"widths": len(widths), "device": "meta", "counts": "parameters only"}

    def run():
        for name, build in (("free_width", torch_free_width),
                            ("resnet", lambda k: torch_resnet(args.blocks, width=k))):
            start = time.perf_counter()
            for k in widths:
                with torch.device("meta"):
                    model = build(k)
                sum(p.numel() for p in model.parameters())
            elapsed = time.perf_counter() - start
            info[name] = {"seconds": elapsed, "rate": len(widths) / elapsed}

    return run, info


def job_sc_solve(args):
    """solve_budget on ResNet-50 with its width as a symbol w: parameter and MAC budgets."""
    import symcnn as sc

    w = sc.symbols("w")
    model, source = sc_resnet((sc.symbols("H"), sc.symbols("W"), 3), width=w, blocks=args.blocks)
    problems = [("params", model.params, {}), ("macs", model.macs, {"H": 224, "W": 224})]
    info = {"source": source, "per_budget": {}}

    def run():
        for quantity, expr, fixed in problems:
            start = time.perf_counter()
            answer = sc.solve_budget(expr, BUDGETS[quantity], w, **fixed)
            elapsed = time.perf_counter() - start
            concrete = expr.xreplace({_sym(model, k): v for k, v in fixed.items()})
            at = [int(concrete.xreplace({w: v})) for v in (answer, answer + 1)]
            correct = at[0] <= BUDGETS[quantity] < at[1]
            seen = info["per_budget"].setdefault(quantity, {"seconds": []})
            seen["seconds"].append(elapsed)
            seen.update(answer=answer, correct=correct, budget=BUDGETS[quantity])

    return run, info


JOBS = {
    "sc_resnet_symbolic": job_sc_resnet_symbolic, "torch_export": job_torch_export,
    "sc_resnet_224": job_sc_resnet_224, "torchinfo": job_torchinfo,
    "keras_summary": job_keras_summary,
    "sc_chain": job_sc_chain, "sc_chain_memory": job_sc_chain_memory,
    "sc_sweep": job_sc_sweep, "torch_rebuild": job_torch_rebuild, "sc_solve": job_sc_solve,
    "sc_from_torch_symbolic": job_sc_from_torch_symbolic, "lambdify_sweep": job_lambdify_sweep,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--clear", action="store_true",
                        help="clear every cache before each run: every run is cold")
    args = parser.parse_args(argv)
    args.blocks = QUICK_BLOCKS if args.quick else FULL_BLOCKS
    import symcnn  # noqa: F401  (imports excluded on both sides)
    import sympy  # noqa: F401

    # symcnn loads its modules on first use (PEP 562): the first public name loads the core,
    # sc.zoo.resnet50 the zoo's ResNet module. Those are imports too, excluded as the
    # peers' are; what SymPy and torch import on their first call stays timed.
    symcnn.Model, symcnn.zoo.resnet50  # noqa: B018

    run, info = JOBS[args.job](args)
    times, cpu = [], []
    for _ in range(args.repeat):
        if args.clear:
            clear_caches()
        # The garbage that the untimed set-up left (importing torch leaves a full collection
        # of ~220,000 objects due; clearing caches frees many) is collected before timing,
        # on both sides alike: it is the set-up's cost, not the call's.
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    if hasattr(run, "finish"):
        run.finish()
    print(json.dumps({"times": times, "cpu": cpu, "info": info}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
