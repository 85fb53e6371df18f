"""Load time of the bundled mnist1d-201 benchmark and the time to query all 15,625 archs.

    python benchmarks/bench_query.py

Targets: load under 0.5 s, vectorised access to all 15,625 archs under 50 ms.
"""

import time

import numpy as np

from nas_lessons.benchmark import Benchmark
from nas_lessons.spaces import NB201Space


def main() -> None:
    NB201Space().canonical_table()  # built once per process; not part of the load
    t = time.perf_counter()
    bench = Benchmark.load()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    vals = bench.array("val_acc")
    tests = bench.array("test_acc")
    vec_s = time.perf_counter() - t
    space = NB201Space()
    archs = space.enumerate()
    avail = bench.available()
    t = time.perf_counter()
    n = 0
    for i in np.flatnonzero(avail):
        bench.query(archs[i])
        n += 1
    loop_s = time.perf_counter() - t
    print(bench)
    print(f"load (with checksum): {load_s * 1e3:.1f} ms (target < 500 ms)")
    print(f"all 15,625 archs, val_acc + test_acc arrays: {vec_s * 1e3:.2f} ms (target < 50 ms);"
          f" {np.isfinite(vals).sum()} resolved, best test {np.nanmax(tests):.2f}%")
    each_us = loop_s / max(n, 1) * 1e6
    print(f"{n} single queries one by one: {loop_s * 1e3:.0f} ms ({each_us:.0f} µs each)")


if __name__ == "__main__":
    main()
