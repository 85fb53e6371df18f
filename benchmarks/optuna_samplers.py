"""Lesson 08's evidence on the bundled benchmark: Optuna's samplers at equal trials and its
pruners at equal compute, over `--seeds` seeds (`hpo.benchmark_run`).

- samplers (`hpo.BENCHMARK_SAMPLERS`: random, TPE, Gaussian-process BO, CMA-ES, QMC), each
  100 fully trained cells of the NB201 space (`hpo.benchmark_objective`, no pruning);
- pruners (`hpo.BENCHMARK_PRUNERS`: none, median, successive halving, Hyperband) behind the
  same TPE sampler, each given the compute of 50 fully trained cells
  (`hpo.run_with_epoch_budget`): the epochs a pruner saves buy more trials.

Resumable: one JSON line per finished (kind, name, seed), skipped when already in the file;
records made on another benchmark (the `benchmark` stamp) are removed first.
Each record keeps the benchmark index, state and epochs of every trial in order, so the
lesson recomputes any curve, incumbent or test accuracy from the benchmark (`hpo.incumbent`).
One thread (the Gaussian process runs on torch); the GP runs take about 15 s each, the rest
under 3 s. To split the seeds over processes, give each a `--seed-list` and its own `--out`,
then concatenate the files.

    python benchmarks/optuna_samplers.py [--seeds 20 | --seed-list 0,2,4] [--out PATH]
"""

import argparse
import warnings
from importlib.resources import files
from pathlib import Path

import optuna

from nas_lessons import hpo
from nas_lessons.benchmark import Benchmark
from nas_lessons.utils import run_resumable, seed_everything

DEFAULT_OUT = Path(str(files("nas_lessons.assets").joinpath(hpo.OPTUNA_RUNS_ASSET)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed-list", type=str, default=None,
                    help="comma-separated seeds (overrides --seeds), to split runs over processes")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    seeds = (list(range(args.seeds)) if args.seed_list is None
             else [int(s) for s in args.seed_list.split(",")])
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # CMA-ES warns on every categorical
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    bench = Benchmark.load()
    tag = bench.tag
    jobs = [(kind, name, seed) for seed in seeds
            for kind, name in ([("sampler", n) for n in hpo.BENCHMARK_SAMPLERS]
                               + [("pruner", n) for n in hpo.BENCHMARK_PRUNERS])]

    def run(kind: str, name: str, seed: int) -> dict:
        seed_everything(seed, threads=1)
        return hpo.benchmark_run(bench, kind=kind, name=name, seed=seed)

    for (kind, name, seed), r in run_resumable(
            args.out, jobs, run,
            key=lambda r: (r["kind"], r["name"], r["seed"]) if r["benchmark"] == tag else None,
            replace_stale=True):
        print(f"{kind:7s} {name:18s} seed {seed:2d}: {len(r['index'])} trials, "
              f"{r['seconds']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
