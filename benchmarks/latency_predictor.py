"""How well the latency lookup table predicts measured latency on this machine, next to the
ceiling any predictor has: the same networks measured a second time (test-retest).

    python benchmarks/latency_predictor.py [--archs 40] [--rounds 5]

Each round builds a `LatencyTable` for the mnist1d-201 network (C=8, N=1, MNIST-1D signals,
batch 1, one thread), draws `--archs` random different networks (round r uses seed r),
measures each twice (each measurement the minimum over 3 sweeps), fits the table and the ridge
model on half and reports on the other half: share within ±10% of the first measurement
(nn-Meter reports 99% for its kernel-level predictors on mobile CPUs; Zhang et al., MobiSys
2021), mean absolute percentage error and Kendall's tau — for the retest, the table and ridge
regression on op counts. The summary gives the spread over rounds of retest tau minus table
tau: lesson 06's `GATE` (how far the table's tau may trail the retest's) is set above it.
Run it on an idle machine: other programs make every measurement noisier.
"""

import argparse
import random
import time

import numpy as np

from nas_lessons.hardware import CPUContention, LatencyTable, prediction_report
from nas_lessons.spaces import NB201Space
from nas_lessons.utils import seed_everything


def one_round(seed: int, n_archs: int) -> dict:
    seed_everything(seed, threads=1)
    t0 = time.perf_counter()
    with CPUContention() as contention:
        table = LatencyTable().build()
        archs = random.Random(seed).sample(NB201Space().unique_archs(), n_archs)
        measured, retest = table.measure(archs), table.measure(archs)
    half = n_archs // 2
    table.fit(archs[:half], measured[:half]).fit_ridge(archs[:half], measured[:half])
    test, truth = archs[half:], measured[half:]
    reports = {"retest": prediction_report(retest[half:], truth),
               "lookup table": prediction_report([table.predict(a) for a in test], truth),
               "ridge": prediction_report([table.predict_ridge(a) for a in test], truth)}
    return {"seconds": time.perf_counter() - t0, "others": contention.others,
            "overhead": table.overhead, "scale": table.scale, "reports": reports,
            "range": (min(measured), max(measured))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--archs", type=int, default=40)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    gaps = []
    for seed in range(args.rounds):
        r = one_round(seed, args.archs)
        print(f"round {seed}: {r['seconds']:.0f} s, other programs {r['others']:.2f} cores; "
              f"latencies {r['range'][0]:.3f}-{r['range'][1]:.3f} ms; table overhead "
              f"{r['overhead']:.3f} ms, scale {r['scale']:.2f}")
        for name, rep in r["reports"].items():
            print(f"  {name:13s} within ±10%: {rep['within_10pct']:4.0%}  MAPE "
                  f"{rep['mape']:6.1%}  Kendall tau {rep['kendall_tau']:.2f}")
        gaps.append(r["reports"]["retest"]["kendall_tau"]
                    - r["reports"]["lookup table"]["kendall_tau"])
    gaps = np.array(gaps)
    print(f"retest tau - table tau over {len(gaps)} rounds: mean {gaps.mean():+.2f}, "
          f"max {gaps.max():+.2f}, sd {gaps.std(ddof=1) if len(gaps) > 1 else float('nan'):.2f}")


if __name__ == "__main__":
    main()
