"""Lesson 01's evidence over several seeds: is the search better than a fair manual baseline?
Resumable: one JSON line per finished (part, seed), skipped when already in the file.

    python benchmarks/automl_levels.py [--part nas cash] [--seeds 5] [--out PATH]

* `nas` (level 3): random search over the CNN space (`hpo.search_vs_manual`) against the
  hand-designed CNN widened to the winner's parameter count and trained as many times
  (equal trials, equal capacity), both selected on validation; test accuracy reported.
* `cash` (level 4): TPE over the CASH space against the best default algorithm chosen by the
  same cross-validation (`cash.cash_vs_best_default`), on a random 600-image training subset
  of digits per seed, one untouched test set.

One thread throughout (the course's setting). Lesson 01 reads the file.
"""

import argparse
import json
import time
from pathlib import Path

from nas_lessons import cash, hpo
from nas_lessons.data import load_dataset
from nas_lessons.utils import seed_everything

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "nas_lessons" / "assets" / "automl_levels.jsonl"
#: the settings lesson 01 uses by default (its parameters cell)
NAS = {"trials": 8, "epochs": 10}
CASH = {"trials": 40, "n_train": 600}
SEEDS = {"nas": 5, "cash": 10}


def nas_row(seed: int) -> dict:
    """One seed of level 3 (`hpo.search_vs_manual` at the lesson's settings)."""
    seed_everything(seed, threads=1)
    r = hpo.search_vs_manual(load_dataset("mnist1d", seed=0), trials=NAS["trials"],
                             epochs=NAS["epochs"], seed=seed)
    return {"part": "nas", "seed": seed, **NAS, **r}


def cash_row(seed: int) -> dict:
    """One seed of level 4 (`cash.cash_vs_best_default` at the lesson's settings)."""
    d = load_dataset("digits_flat", seed=0)
    r = cash.cash_vs_best_default(d.x_train.numpy(), d.y_train.numpy(), d.x_test.numpy(),
                                  d.y_test.numpy(), n_train=CASH["n_train"], seeds=[seed],
                                  n_trials=CASH["trials"])
    return {"part": "cash", "seed": seed, **CASH,
            **{k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in r.items()}}


ROWS = {"nas": nas_row, "cash": cash_row}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", nargs="+", choices=list(ROWS), default=list(ROWS))
    ap.add_argument("--seeds", type=int, default=None, help="seeds per part (default: "
                    + ", ".join(f"{k} {v}" for k, v in SEEDS.items()) + ")")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    done = set()
    if args.out.exists():
        done = {(r["part"], r["seed"]) for r in map(json.loads, args.out.read_text().splitlines())}
    for part in args.part:
        for seed in range(args.seeds or SEEDS[part]):
            if (part, seed) in done:
                continue
            t0 = time.perf_counter()
            row = ROWS[part](seed)
            with args.out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{part} seed {seed}: {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
