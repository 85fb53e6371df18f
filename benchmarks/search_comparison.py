"""Lesson 03's evidence at full size: every search strategy at equal simulated time, ageing
vs removing the worst under noisy evaluations, and the article's controller fixed one defect
at a time. Resumable: one JSON line per finished run, skipped when already in the file. The
runs on the benchmark carry its stamp (`Benchmark.tag`); those made on another benchmark are
removed first, so the file never mixes two tables (the controller runs do not use it).

    python benchmarks/search_comparison.py [--part strategies ageing controller]
                                           [--seeds 30] [--out PATH]

* `strategies`: RS, RE, LS, REINFORCE, TPE, BANANAS (`nas_lessons.strategies`) and
  Hyperband (`nas_lessons.estimation`) on the bundled benchmark, each run until
  `SECONDS` of simulated training time are spent (NAS-Bench-201's protocol, Dong & Yang 2020,
  Sec. 5: equal simulated time, not equal evaluations), every strategy with its own random
  stream (`stream_seed`). Per run: the incumbent's seed-0 validation score (what the search
  selected on), its regret, its test accuracy, its validation accuracy on held-out seeds
  where the benchmark has them, the number of evaluations, distinct cells and distinct
  networks, and the regret curve on a time grid.
* `ageing`: regularized evolution with ageing vs with removal of the worst member, on
  `NoisyBenchmarkObjective` (a random trained seed per evaluation, plus Gaussian noise of
  0, 1 or 2 pp); the incumbent is judged by its noise-free value (seed mean).
* `controller`: `CellController` on the DARTS cell space against a hidden target cell
  (`cell_similarity`), from the article's sketch through each fix to the fixed controller.

One thread throughout (the course's setting). Lesson 03 reads the file.
"""

import argparse
import math
import time
from pathlib import Path

import numpy as np

from nas_lessons.benchmark import Benchmark
from nas_lessons.cell_controller import CellController, cell_similarity, is_valid_cell
from nas_lessons.estimation import hyperband
from nas_lessons.search import (
    BenchmarkObjective,
    NoisyBenchmarkObjective,
    at_seconds,
    run_search,
    stream_seed,
)
from nas_lessons.spaces import DARTSSpace
from nas_lessons.strategies import make_strategy
from nas_lessons.utils import run_resumable, seed_everything

DEFAULT_OUT = (Path(__file__).resolve().parents[1] / "nas_lessons" / "assets"
               / "search_comparison.jsonl")
STRATEGIES = ("rs", "re", "ls", "reinforce", "tpe", "bananas", "hyperband")
GRID_POINTS = 60
#: the ageing ablation: evaluations per run, the population (NAS-Bench-201 uses 10) and the
#: extra Gaussian noise levels (pp; the seeds' own noise is always there)
AGEING = {"budget": 300, "population_size": 10, "sample_size": 3, "noise_sd": (0.0, 1.0, 2.0)}
#: the controller ablation: samples per run, the hidden target's seed, and the fixes in order
CONTROLLER = {"samples": 500, "target_seed": 1234,
              "variants": {"sketch": {},
                           "+ distinct inputs": {"distinct_inputs": True},
                           "+ feed the previous decision": {"distinct_inputs": True,
                                                            "feed_previous": True},
                           "+ update the baseline": {"distinct_inputs": True,
                                                     "feed_previous": True,
                                                     "update_baseline": True},
                           "+ entropy bonus (fixed)": {"distinct_inputs": True,
                                                       "feed_previous": True,
                                                       "update_baseline": True,
                                                       "use_entropy": True}}}


def equal_time_budget(bench: Benchmark) -> float:
    """The simulated seconds of the comparison: what 100 full trainings of an average
    network cost (rounded to 10 s)."""
    per_cell = float(np.nanmean(bench.per_cell("train_seconds")[:, 0]))
    return round(100 * per_cell, -1)


def judge(bench: Benchmark, arch) -> dict:
    """The incumbent scored on what the search did not select on."""
    r, m = bench.query(arch), bench.query(arch, seed="mean")
    held = ((m["val_acc"] * m["n_seeds"] - r["val_acc"]) / (m["n_seeds"] - 1)
            if m["n_seeds"] > 1 else None)
    return {"arch": r["arch"], "val": r["val_acc"], "test": r["test_acc"],
            "held_out_val": held, "canonical": r["canonical"]}


def strategy_run(bench: Benchmark, name: str, seed: int, seconds: float) -> dict:
    grid = np.linspace(0, seconds, GRID_POINTS + 1)[1:]
    opt = bench.optimum("val_acc")["val_acc"]
    s = stream_seed(name, seed)
    if name == "hyperband":
        run = hyperband(bench, budget_seconds=seconds, seed=s)
        archs = [a for a, _, _ in run.evaluations]
        secs = np.array(run.seconds)
        keep = secs <= seconds
        inc = [a for a, k in zip(run.incumbent, keep) if k]
        regret = np.array([opt - bench.query(a)["val_acc"] for a in inc])
        curve = at_seconds(regret, secs[keep], grid)[0]
        incumbent = inc[-1]
        evals = int(keep.sum())
    else:
        traj = run_search(make_strategy(name, seed=s), BenchmarkObjective(bench),
                          seconds=seconds)
        secs = np.array(traj.seconds)
        keep = secs <= seconds
        curve = at_seconds(np.array(traj.regret)[keep], secs[keep], grid)[0]
        archs = [a for a, k in zip(traj.archs, keep) if k]
        best = int(np.argmax(np.array(traj.scores)[keep]))
        incumbent = archs[best]
        evals = int(keep.sum())
    space = bench.space
    return {"part": "strategies", "benchmark": bench.tag, "variant": name, "seed": seed,
            "stream_seed": s,
            "seconds": seconds, "evaluations": evals,
            "unique": len({space.index(a) for a in archs}),
            "networks": len({space.canonical(a) for a in archs}),
            "regret": opt - bench.query(incumbent)["val_acc"], **judge(bench, incumbent),
            "curve": [None if math.isnan(v) else round(float(v), 4) for v in curve]}


def ageing_variant(ageing: bool, noise_sd: float) -> str:
    return f"{'ageing' if ageing else 'remove worst'}, noise {noise_sd:g}"


def ageing_run(bench: Benchmark, ageing: bool, noise_sd: float, seed: int) -> dict:
    variant = ageing_variant(ageing, noise_sd)
    s = stream_seed(variant, seed)
    objective = NoisyBenchmarkObjective(bench, noise_sd=noise_sd, seed=s)
    strategy = make_strategy("re", seed=s, ageing=ageing,
                             population_size=AGEING["population_size"],
                             sample_size=AGEING["sample_size"])
    traj = run_search(strategy, objective, AGEING["budget"])
    truth = bench.array("val_acc", seed="mean")
    return {"part": "ageing", "benchmark": bench.tag, "variant": variant, "seed": seed,
            "ageing": ageing,
            "noise_sd": noise_sd, "best_true": traj.best_true[-1],
            "true_regret": float(np.nanmax(truth) - traj.best_true[-1]),
            "observed": traj.best_score[-1]}


def controller_run(variant: str, seed: int) -> dict:
    space = DARTSSpace()
    target = space.sample(CONTROLLER["target_seed"])
    flags = dict(feed_previous=False, update_baseline=False, use_entropy=False,
                 distinct_inputs=False)
    flags.update(CONTROLLER["variants"][variant])
    ctrl = CellController(seed=stream_seed(variant, seed), **flags)
    rewards, invalid = [], 0
    for _ in range(CONTROLLER["samples"]):
        cell = ctrl.ask()
        r = cell_similarity(cell, target, space)
        invalid += not is_valid_cell(cell, space)
        ctrl.tell(cell, 100 * r)
        rewards.append(r)
    return {"part": "controller", "variant": variant, "seed": seed,
            "first50": float(np.mean(rewards[:50])), "last50": float(np.mean(rewards[-50:])),
            "invalid_share": invalid / len(rewards),
            "greedy_similarity": cell_similarity(ctrl.greedy(), target, space)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", nargs="+", default=["strategies", "ageing", "controller"],
                    choices=["strategies", "ageing", "controller"])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args()
    if args.seeds < 1:
        ap.error("--seeds must be >= 1")
    out = Path(args.out)
    bench = Benchmark.load()
    seconds = equal_time_budget(bench)
    jobs = []
    if "strategies" in args.part:
        jobs += [("strategies", n, s) for n in STRATEGIES for s in range(args.seeds)]
    ageing = {ageing_variant(a, sd): (a, sd) for sd in AGEING["noise_sd"] for a in (True, False)}
    if "ageing" in args.part:
        jobs += [("ageing", v, s) for v in ageing for s in range(args.seeds)]
    if "controller" in args.part:
        jobs += [("controller", v, s)
                 for v in CONTROLLER["variants"] for s in range(min(args.seeds, 10))]

    def run(part: str, variant: str, seed: int) -> dict:
        seed_everything(0, threads=1)
        t = time.perf_counter()
        if part == "strategies":
            rec = strategy_run(bench, variant, seed, seconds)
        elif part == "ageing":
            rec = ageing_run(bench, *ageing[variant], seed)
        else:
            rec = controller_run(variant, seed)
        return {**rec, "wall_seconds": round(time.perf_counter() - t, 3)}

    def key(r: dict) -> tuple | None:  # controller runs carry no stamp: they always count
        current = r.get("benchmark", bench.tag) == bench.tag
        return (r["part"], r["variant"], r["seed"]) if current else None

    print(f"{len(jobs)} runs; equal-time budget {seconds:.0f} simulated s", flush=True)
    for k, ((part, variant, seed), rec) in enumerate(
            run_resumable(out, jobs, run, key=key, replace_stale=True)):
        if k % 20 == 0:
            print(f"[{k + 1}] {part} {variant} seed {seed}: {rec['wall_seconds']:.1f} s",
                  flush=True)


if __name__ == "__main__":
    main()
