"""Lesson 06's multi-objective evidence at full size: NSGA-II, multi-objective TPE and random
sampling on (validation accuracy, latency) over the bundled benchmark, for budgets up to
`BUDGET` completed trials and `--seeds` seeds, and NSGA-II and random sampling once more with
duplicate networks skipped (`dedup`: the budget then counts distinct networks). Resumable: one
JSON line per finished (sampler, dedup, seed), skipped when already in the file; records made on
another benchmark (the `benchmark` stamp) are removed first, so the file never mixes two tables.

    python benchmarks/hw_search.py [--seeds 10] [--out PATH]

Each record keeps the benchmark index of every completed trial in order (the objectives are
the benchmark's, so the lesson recomputes any hypervolume from them, for any reference point
and any budget up to `BUDGET`), how many trials were drawn in all (pruned duplicates
included) and the seconds the search took. One thread.
"""

import argparse
import time
from pathlib import Path

from nas_lessons.benchmark import Benchmark
from nas_lessons.multiobjective import SAMPLERS, nsga2_search
from nas_lessons.optuna_bridge import suggest_arch
from nas_lessons.spaces import NB201Space
from nas_lessons.utils import run_resumable, seed_everything

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "nas_lessons" / "assets" / "hw_search.jsonl"
BUDGET = 500
POPULATION = 20
RUNS = [(s, False) for s in SAMPLERS] + [("nsga2", True), ("random", True)]


def run(bench: Benchmark, sampler: str, dedup: bool, seed: int) -> dict:
    seed_everything(seed, threads=1)
    space = NB201Space()

    def evaluate(arch):
        r = bench.query(arch)
        return r["val_acc"], r["latency_ms"]

    t0 = time.perf_counter()
    study = nsga2_search(evaluate, BUDGET, seed=seed, population_size=POPULATION,
                         sampler=sampler, dedup=dedup)
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    return {"benchmark": bench.tag, "sampler": sampler,
            "dedup": dedup, "seed": seed, "budget": BUDGET, "population_size": POPULATION,
            "trials_drawn": len(study.trials), "seconds": time.perf_counter() - t0,
            "index": [space.index(suggest_arch(t)) for t in done]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    bench = Benchmark.load()
    jobs = [(sampler, dedup, seed) for seed in range(args.seeds) for sampler, dedup in RUNS]
    for (sampler, dedup, seed), row in run_resumable(
            args.out, jobs, lambda *job: run(bench, *job),
            key=lambda r: (r["sampler"], r["dedup"], r["seed"]) if r["benchmark"] == bench.tag
            else None, replace_stale=True):
        print(f"{sampler}{' dedup' if dedup else ''} seed {seed}: {row['seconds']:.0f} s, "
              f"{row['trials_drawn']} trials drawn", flush=True)


if __name__ == "__main__":
    main()
