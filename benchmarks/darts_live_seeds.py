"""Lesson 05's live DARTS search, repeated over seeds and thread counts: what holds for every
run, and what only for the one a reader happens to get.

    python benchmarks/darts_live_seeds.py [--seeds 0 1 2 3 4 5 6 7] [--threads 1 2]

Each run is the lesson's own (`NB201SearchNetwork(C=8, N=1)` on MNIST-1D, 12 first-order
epochs, alpha learning rate 1e-2): PyTorch gives other floats at another thread count, as on
another CPU, so a different thread count stands in for a reader's machine. Recorded per run:
the final softmax(alpha) averaged over edges, the cell DARTS derives (`none` excluded) and
the plain argmax cell (`none` included), and both cells trained once with the benchmark's
recipe (seed 0). Each finished run is appended to the JSON-lines file at once (resumable);
runs trained with another recipe are removed first.
Lesson 05 reads the file and asserts, on the live run, only what held in every run here.
"""

import argparse
import time
from dataclasses import asdict
from pathlib import Path

from nas_lessons.benchmark import SETTINGS
from nas_lessons.darts import NB201SearchNetwork, darts_search, derive_nb201
from nas_lessons.data import load_dataset
from nas_lessons.ops import NB201_OPS
from nas_lessons.search import TrainingObjective
from nas_lessons.spaces import NB201Space
from nas_lessons.utils import run_resumable, seed_everything

DEFAULT_OUT = (Path(__file__).resolve().parents[1] / "nas_lessons" / "assets"
               / "darts_live_seeds.jsonl")
EPOCHS, ARCH_LR = 12, 1e-2  # lesson 05's defaults


def run(seed: int, threads: int) -> dict:
    space = NB201Space()
    data = load_dataset("mnist1d")
    seed_everything(seed, threads=threads)
    net = NB201SearchNetwork(C=8, N=1, num_classes=10, in_channels=1, rank=1)
    t = time.perf_counter()
    h = darts_search(net, data, epochs=EPOCHS, order=1, arch_lr=ARCH_LR, seed=seed)
    seconds = time.perf_counter() - t
    alpha = net.alpha.detach()
    cell, naive = derive_nb201(alpha), derive_nb201(alpha, exclude_none=False)
    train = TrainingObjective(seed=0)
    seed_everything(seed, threads=threads)
    return {"seed": seed, "threads": threads, "epochs": EPOCHS, "arch_lr": ARCH_LR,
            "search_seconds": seconds,
            "mean_weights": dict(zip(NB201_OPS, h["alpha"][-1][0].mean(0).tolist())),
            "supernet_val_acc": h["val_acc"][-1],
            "cell": space.format(cell), "naive": space.format(naive),
            "cell_trained_val": train(cell)["score"], "naive_trained_val": train(naive)["score"],
            "recipe": asdict(SETTINGS)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args()
    jobs = [(seed, threads) for seed in args.seeds for threads in args.threads]
    recipe = asdict(SETTINGS)
    for _, r in run_resumable(args.out, jobs, run, replace_stale=True,
                              key=lambda r: (r["seed"], r["threads"]) if r["recipe"] == recipe
                              else None):
        w = r["mean_weights"]
        print(f"seed {r['seed']} threads {r['threads']}: {r['search_seconds']:.0f} s, skip "
              f"{w['skip_connect']:.3f} none {w['none']:.3f}, cell {r['cell']} trained "
              f"{r['cell_trained_val']:.2f}%, naive {r['naive_trained_val']:.2f}%",
              flush=True)


if __name__ == "__main__":
    main()
