"""Seconds per 1,000 ask/tell steps of each search strategy (toy objective, no training).

    python benchmarks/strategies.py
"""

import time

from nas_lessons.strategies import STRATEGIES, make_strategy, run_search
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


if __name__ == "__main__":
    main()
