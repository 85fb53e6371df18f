"""Zero-cost proxies: what each costs per network, and how well it ranks the benchmark.

    python benchmarks/proxies.py [--sample 50] [--threads 1] [--table PATH]

Prints, per proxy,
* the seconds per network stored in the shipped table (median and 90th percentile over all
  7,005 networks, measured on the machine named in the table's metadata, one thread),
* the seconds per network measured now, on this machine, for `--sample` random networks
  (the same batch and initialisation as the table; `--sample 0` skips it),
* Spearman's rho and Kendall's tau (signed) between the proxy and the benchmark's final
  validation accuracy (seed 0) over all 7,005 networks, and the share of the proxy's top 10%
  that lies in the true top 10%.

Every time includes the deep copy of the network `score` makes first — what `params` costs
is almost all copy, so subtract it to see a proxy's own computation. A proxy's worth is its
ranking per second: compare these with the seconds one epoch of training costs (the
benchmark's `train_seconds`). Lesson 04 discusses the numbers.
"""

import argparse
import random
import time

import numpy as np
import torch

from nas_lessons.benchmark import SETTINGS, Benchmark
from nas_lessons.estimation import PROXY_BATCH, ProxyTable, ranking_quality, score
from nas_lessons.estimation.proxy_table import proxy_batch
from nas_lessons.utils import seed_everything


def live_seconds(names: list[str], archs: list[str], *, threads: int) -> dict[str, np.ndarray]:
    """Seconds per network for each proxy, measured now on this machine."""
    data, x, y = proxy_batch(SETTINGS)
    seconds = {p: [] for p in names}
    for arch in archs:
        seed_everything(PROXY_BATCH["init_seed"], threads=threads)
        net = SETTINGS.network(arch, data)
        for p in names:
            t = time.perf_counter()
            score(net, x, y, p)
            seconds[p].append(time.perf_counter() - t)
    return {p: np.array(s) for p, s in seconds.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=50, help="networks timed live (0: none)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--table", default=None, help="proxy table (default: the shipped one)")
    args = ap.parse_args()
    if args.sample < 0 or args.threads < 1:
        ap.error("--sample must be >= 0 and --threads >= 1")

    table = ProxyTable.load(args.table)
    bench = Benchmark.load()
    acc = bench.per_cell("val_acc")[:, 0, -1].astype(float)
    epoch_s = np.nanmedian(bench.per_cell("train_seconds")[:, 0]) / bench.epochs
    archs = random.Random(0).sample(bench.unique_table(), min(args.sample, len(acc)))
    live = live_seconds(table.names, archs, threads=args.threads) if archs else {}
    torch.set_num_threads(args.threads)

    print(f"table measured on: {table.meta['machine'].get('processor', '?')} (1 thread); "
          f"live: {len(archs)} networks, {args.threads} thread(s)")
    print(f"one training epoch of the benchmark: {epoch_s:.2f} s (median, table machine)")
    print(f"{'proxy':10s} {'table ms (med/p90)':>19s} {'live ms (med)':>14s} "
          f"{'rho':>6s} {'tau':>6s} {'top-10%':>8s}")
    for p in table.names:
        v = table.per_cell(p)
        q = ranking_quality(np.where(np.isfinite(v), v, -np.inf), acc)
        s = table.seconds(p) * 1e3
        lv = f"{np.median(live[p]) * 1e3:14.1f}" if live else f"{'-':>14s}"
        print(f"{p:10s} {np.median(s):9.1f}/{np.percentile(s, 90):<9.1f} {lv} "
              f"{q['spearman']:+6.2f} {q['kendall']:+6.2f} {q['top_overlap']:8.0%}")


if __name__ == "__main__":
    main()
