"""Weight sharing at full scale: how well do inherited weights rank the subnets of a
single-path supernet over the NAS-Bench-201 space (MNIST-1D)? Several seeds.

    python benchmarks/supernet.py [--epochs 100] [--seeds 0 1 2 3 4] [--subnets 300]

For each seed: train a `Supernet` (C=8, N=1, the benchmark's network) with single-path uniform
sampling for `--epochs` epochs, then score the same `--subnets` random networks (one fixed
sample of the 7,005) with inherited weights, with and without BatchNorm recalibration, on the
whole validation set. One thread. Each finished seed is appended to the JSON-lines file at
once (resumable). Lesson 04 reads the file and compares the estimates with the benchmark.
"""

import argparse
import json
import random
import time
from pathlib import Path

from nas_lessons.benchmark import SETTINGS
from nas_lessons.estimation import Supernet, evaluate_subnet, train_supernet
from nas_lessons.spaces import NB201Space
from nas_lessons.utils import seed_everything

DEFAULT_OUT = (Path(__file__).resolve().parents[1] / "nas_lessons" / "assets"
               / "supernet_ranking.jsonl")


def subnets(n: int) -> list[str]:
    """The fixed sample of networks every seed scores (sample seed 0)."""
    space = NB201Space()
    return [space.format(a) for a in random.Random(0).sample(space.unique_archs(), n)]


def run(seed: int, epochs: int, archs: list[str]) -> dict:
    seed_everything(seed, threads=1)
    data = SETTINGS.data()
    sup = Supernet(C=SETTINGS.C, N=SETTINGS.N, num_classes=data.num_classes,
                   in_channels=data.in_channels, rank=data.rank, reduction=SETTINGS.reduction)
    t = time.perf_counter()
    h = train_supernet(sup, data, epochs=epochs, seed=seed)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    recal = [evaluate_subnet(sup, a, data, recalibrate=True, seed=seed) for a in archs]
    plain = [evaluate_subnet(sup, a, data, recalibrate=False) for a in archs]
    return {"seed": seed, "epochs": epochs, "train_seconds": train_s,
            "eval_seconds": time.perf_counter() - t, "train_loss": h["train_loss"],
            "archs": archs, "recalibrated": recal, "inherited": plain}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--subnets", type=int, default=300)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args()
    done = set()
    if args.out.exists():
        done = {(r["seed"], r["epochs"], len(r["archs"]))
                for r in map(json.loads, args.out.read_text().splitlines())}
    archs = subnets(args.subnets)
    for seed in args.seeds:
        if (seed, args.epochs, len(archs)) in done:
            continue
        r = run(seed, args.epochs, archs)
        with open(args.out, "a") as fh:
            fh.write(json.dumps(r) + "\n")
        print(f"seed {seed}: trained {r['train_seconds']:.0f} s, evaluated "
              f"{r['eval_seconds']:.0f} s, final loss {r['train_loss'][-1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
