"""Seconds per 1,000 ask/tell steps of each search strategy (toy objective, no training), and
the wall time of lesson 03's full comparison (5 strategies x 20 seeds x 100 evaluations on the
bundled benchmark; target: under 60 s on a 2-core laptop CPU).

    python benchmarks/strategies.py
"""

import time

from nas_lessons.benchmark import Benchmark
from nas_lessons.search import BenchmarkObjective, compare_strategies, run_search
from nas_lessons.strategies import STRATEGIES, make_strategy
from nas_lessons.utils import seed_everything


def toy(arch) -> dict:
    score = 50.0 + 8 * arch.count("nor_conv_3x3") - 5 * arch.count("none")
    return {"score": score, "test_acc": score, "cost": 1.0}


def main() -> None:
    seed_everything(0, threads=1)  # the course's setting; more threads slow the tiny LSTM
    for name in STRATEGIES:
        n = 1000 if name != "tpe" else 200  # TPE refits its model every trial
        t = time.perf_counter()
        run_search(make_strategy(name, seed=0), toy, n)
        dt = time.perf_counter() - t
        print(f"{name:10s} {dt / n * 1e3:8.3f} ms per ask/tell step = {dt / n * 1e3:.2f} s per "
              f"1,000 (measured on {n})")


    bench = Benchmark.load()
    t = time.perf_counter()
    res = compare_strategies(list(STRATEGIES), BenchmarkObjective(bench), 100, range(20))
    kind = "complete" if bench.complete else "partial"
    per = ", ".join(f"{k} {v['wall_seconds']:.1f} s" for k, v in res.items())
    print(f"lesson 03 comparison (5 strategies x 20 seeds x 100 evaluations, {kind} "
          f"benchmark): {time.perf_counter() - t:.1f} s; per strategy: {per}")


if __name__ == "__main__":
    main()
