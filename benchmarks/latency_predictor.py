"""How well the latency lookup table predicts measured latency on this machine.

    python benchmarks/latency_predictor.py [--archs 40]

Builds a `LatencyTable` for the mnist1d-201 network (C=8, N=1, MNIST-1D signals, batch 1,
one thread), measures random cells (each the minimum over 3 sweeps), fits on half and reports
on the other half: share within ±10% of the measurement (nn-Meter reports 99% for its
kernel-level predictors on mobile CPUs; Zhang et al., MobiSys 2021), mean absolute percentage
error, Kendall's tau — for the
table and for ridge regression on op counts.
"""

import argparse
import random
import time

from nas_lessons.hardware import LatencyTable, prediction_report
from nas_lessons.spaces import NB201Space
from nas_lessons.utils import seed_everything


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--archs", type=int, default=40)
    args = p.parse_args()
    seed_everything(0)
    t0 = time.perf_counter()
    table = LatencyTable().build()
    build_s = time.perf_counter() - t0
    rng = random.Random(0)
    archs = rng.sample(NB201Space().unique_archs(), args.archs)
    measured = table.measure(archs)
    half = len(archs) // 2
    table.fit(archs[:half], measured[:half]).fit_ridge(archs[:half], measured[:half])
    test, truth = archs[half:], measured[half:]
    print(f"table built in {build_s:.1f} s; overhead {table.overhead:.3f} ms, "
          f"scale {table.scale:.2f}; measured latencies {min(measured):.3f}-"
          f"{max(measured):.3f} ms")
    for name, fn in [("lookup table", table.predict), ("ridge on op counts",
                                                       table.predict_ridge)]:
        r = prediction_report([fn(a) for a in test], truth)
        print(f"{name:20s} within ±10%: {r['within_10pct']:.0%}  MAPE {r['mape']:.1%}  "
              f"Kendall tau {r['kendall_tau']:.2f}  ({len(test)} held-out cells)")


if __name__ == "__main__":
    main()
