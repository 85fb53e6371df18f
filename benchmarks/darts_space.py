"""DARTS on its own search space (Liu et al., ICLR 2019, Sec. 2.1): normal and reduction cells
of 4 nodes, each node taking two of the earlier nodes through one of 8 ops, searched on digits
(8x8 images) with a small network (C=4, 3 cells: a normal cell, then reductions at 1/3 and
2/3 of the depth, 8x8 -> 4x4 -> 2x2). Lesson 05 draws
the cells and compares the orders and the DARTS+ stop. Resumable.

    python benchmarks/darts_space.py [--epochs 6] [--seeds 0 1 2] [--out FILE]

Variants:
* `first-order`   Alg. 1 with xi = 0 (the architecture gradient at the current weights);
* `second-order`  Alg. 1 with xi = the weight learning rate (one unrolled step, Eq. 7-8,
                  the Hessian-vector product by finite differences);
* `darts+`        first order for up to twice as long, stopped once the normal cell keeps
                  two or more skip connections (DARTS+, Liang et al., 2019).

Each finished (variant, seed) is appended to the JSON-lines file at once. Records: the
genotype, the supernet's validation accuracy per epoch, softmax(alpha) of both cell types at
the end, the epoch DARTS+ stopped at (if it did), and the search's seconds. One thread.
"""

import argparse
import time
from pathlib import Path

from nas_lessons.darts import DARTSSearchNetwork, darts_genotype, darts_search
from nas_lessons.data import load_dataset
from nas_lessons.utils import run_resumable, seed_everything

VARIANTS = {"first-order": (1, 1, None), "second-order": (1, 2, None), "darts+": (2, 1, 2)}
NETWORK = {"C": 4, "layers": 3, "num_classes": 10, "in_channels": 1, "rank": 2}
BATCH_SIZE = 32
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "nas_lessons" / "assets" / "darts_space.jsonl"


def run(variant: str, seed: int, base_epochs: int) -> dict:
    factor, order, stop = VARIANTS[variant]
    seed_everything(seed, threads=1)
    data = load_dataset("digits", seed=0, val_fraction=0.5)
    net = DARTSSearchNetwork(**NETWORK)
    t = time.perf_counter()
    h = darts_search(net, data, epochs=factor * base_epochs, order=order,
                     batch_size=BATCH_SIZE, seed=seed, early_stop_skips=stop)
    g = darts_genotype(net)
    return {"variant": variant, "seed": seed, "epochs": factor * base_epochs,
            "network": NETWORK, "batch_size": BATCH_SIZE, "seconds": time.perf_counter() - t,
            "epochs_run": len(h["val_acc"]), "stopped_at": h.get("stopped_at"),
            "val_acc": [round(float(v), 3) for v in h["val_acc"]],
            "normal": [list(e) for e in g.normal], "normal_concat": list(g.normal_concat),
            "reduce": [list(e) for e in g.reduce], "reduce_concat": list(g.reduce_concat),
            "alpha_normal": [[round(float(p), 4) for p in row] for row in h["alpha"][-1][0]],
            "alpha_reduce": [[round(float(p), 4) for p in row] for row in h["alpha"][-1][1]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    jobs = [(v, s) for s in args.seeds for v in VARIANTS]
    for (variant, seed), r in run_resumable(
            args.out, jobs, lambda v, s: run(v, s, args.epochs),
            key=lambda r: (r["variant"], r["seed"]) if r["epochs"] == (
                VARIANTS[r["variant"]][0] * args.epochs) else None):
        print(f"{variant:13s} seed {seed}: {r['seconds']:.0f} s, {r['epochs_run']} epochs, "
              f"val {r['val_acc'][-1]:.1f}%", flush=True)


if __name__ == "__main__":
    main()
