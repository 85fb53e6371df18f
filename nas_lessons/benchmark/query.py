"""Querying the benchmark: `Benchmark` loads the shipped file and answers by arch, and
`verify` retrains cells with the recorded recipe to check that the table is reproducible,
and `stored_results` reads a shipped result file made on it.

Every arch of the 15,625 resolves to the record of its class's representative (the 7,005
`unique_key` classes); `seed=0` is the seed every cell has, a random subset has more, and
`seed="mean"` averages the seeds a cell has.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..spaces import ArchLike, NB201Space
from .pack import BUNDLED, CURVES, READABLE_VERSIONS, checksum
from .recipe import BenchSettings, train_cell

__all__ = ["Benchmark", "NotInBenchmark", "verify", "stored_results"]

Seed = int | str  # a seed of the benchmark, or "mean"


class NotInBenchmark(ValueError):
    """A valid arch whose canonical cell a partial benchmark has not trained yet."""


class Benchmark:
    """Query the packed benchmark by arch string, arch tuple, genotype or index.

    Isomorphic archs share their canonical cell's record. `seed` is one of `seeds` (default
    0, which every cell has) or "mean" (the mean over the seeds that cell has).
    """

    METRICS = ("val_acc", "test_acc", "train_acc", "val_loss", "train_loss",
               "train_seconds", "params", "flops", "latency_ms")

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.meta = meta
        self.version = int(meta["format_version"])
        self.settings = BenchSettings(**meta["settings"])
        self.space = NB201Space()
        self._arrays = arrays
        for a in arrays.values():
            a.setflags(write=False)
        self.seeds = [int(s) for s in arrays["seeds"]]
        canon = self.space.canonical_table()
        u_of = {int(i): u for u, i in enumerate(arrays["unique_index"])}
        #: for each of the 15,625 archs, the row of its canonical cell
        self.row = np.array([u_of[self.space.index(a)] for a in canon], np.int64)
        #: for each row (unique cell): whether seed 0 was trained
        self.trained = ~np.isnan(arrays["test_acc"][:, 0])

    @classmethod
    def load(cls, path: str | Path | None = None, *, verify: bool = True) -> Benchmark:
        """Load the bundled benchmark (or `path`), verifying format version and checksum."""
        path = Path(path) if path is not None else BUNDLED
        if not path.exists():
            raise FileNotFoundError(f"benchmark file {path} not found; build it with "
                                    "`nas-lessons bench build` and `nas-lessons bench pack`")
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "meta"}
            meta = json.loads(str(z["meta"]))
        if meta.get("format_version") not in READABLE_VERSIONS:
            raise ValueError(f"{path} has format version {meta.get('format_version')}, this "
                             f"package reads versions {READABLE_VERSIONS}; rebuild or update")
        if verify and checksum(arrays, meta) != meta.get("sha256"):
            raise ValueError(f"checksum mismatch in {path}: the file is corrupt or was "
                             "modified; reinstall the package or rebuild the benchmark")
        return cls(arrays, meta)

    @property
    def complete(self) -> bool:
        return bool(self.meta.get("complete"))

    @property
    def epochs(self) -> int:
        return self.settings.epochs

    @property
    def tag(self) -> str:
        """Which benchmark a stored result was computed on: version and hash prefix, e.g.
        "v3 1a2b3c4d5e6f"; result files stamp their records with it."""
        return f"v{self.version} {self.meta['sha256'][:12]}"

    def __repr__(self) -> str:
        return (f"Benchmark(mnist1d-201 v{self.version}, {int(self.trained.sum())}/"
                f"{len(self.trained)} unique cells trained, seeds={self.seeds}, "
                f"epochs={self.epochs})")

    # ---- row-level access (one row per unique cell) --------------------------------------
    def per_cell(self, metric: str) -> np.ndarray:
        """The stored array of `metric`, one row per unique cell (`unique_table()` order):
        [row, seed, epoch] for the curves (train/val loss and accuracy), [row, seed] for
        test_acc and train_seconds, [row] for params, flops and latency_ms. NaN (or -1 for
        counts) where not trained. Read-only; the analysis functions work on it."""
        if metric not in self.METRICS:
            raise ValueError(f"unknown metric {metric!r}; allowed: {', '.join(self.METRICS)}")
        return self._arrays[metric]

    def unique_table(self) -> list[str]:
        """Arch strings of the unique (canonical) cells, in row order."""
        return [self.space.format(self.space.from_index(int(i)))
                for i in self._arrays["unique_index"]]

    def trained_with_every_seed(self) -> np.ndarray:
        """Boolean mask over rows: True where every seed of the benchmark was trained."""
        return ~np.isnan(self._arrays["test_acc"]).any(axis=1)

    # ---- queries by arch -----------------------------------------------------------------
    def row_of(self, arch: ArchLike) -> int:
        """The row of `arch`'s network in the `per_cell` arrays (raises `NotInBenchmark` if
        a partial benchmark has no record of it)."""
        try:
            idx = self.space.index(arch)
        except TypeError as e:
            raise ValueError(str(e)) from None
        u = int(self.row[idx])
        if not self.trained[u]:
            raise NotInBenchmark(f"{self.space.format(arch)} is not in this partial benchmark "
                                 f"({int(self.trained.sum())}/{len(self.trained)} cells "
                                 "trained); use `Benchmark.available()` to restrict a search "
                                 "to them")
        return u

    def _seed_col(self, seed: Seed) -> int | None:
        """Column of `seed`, or None for "mean"."""
        if seed == "mean":
            return None
        if isinstance(seed, bool) or seed not in self.seeds:
            raise ValueError(f"seed {seed!r} not in this benchmark; allowed: {self.seeds} "
                             "or 'mean'")
        return self.seeds.index(seed)

    def _epoch(self, epoch: int | None) -> int:
        if epoch is None:
            return self.epochs
        if not isinstance(epoch, (int, np.integer)) or not 1 <= epoch <= self.epochs:
            raise ValueError(f"epoch must be in 1..{self.epochs} or None (last), got {epoch!r}")
        return int(epoch)

    def query(self, arch: ArchLike, *, epoch: int | None = None, seed: Seed = 0) -> dict:
        """The record of `arch` after `epoch` epochs (default: the last) for `seed`.

        `train_seconds` is the measured training time up to that epoch (the simulated cost
        of a search that trains this arch for `epoch` epochs; how it was measured:
        `meta["train_seconds_source"]`); `test_acc` is only recorded
        at the end of training and does not depend on `epoch`. `n_seeds` says how many
        seeds a "mean" averages.
        """
        u = self.row_of(arch)
        e = self._epoch(epoch)
        s = self._seed_col(seed)
        a = self._arrays
        cols = np.flatnonzero(~np.isnan(a["test_acc"][u])) if s is None else [s]
        if s is not None and np.isnan(a["test_acc"][u, s]):
            raise ValueError(f"seed {seed!r} was not trained for {self.space.format(arch)}; "
                             f"every cell has seed {self.seeds[0]}, a subset has "
                             f"{self.seeds[1:]}")
        mean = lambda x: float(np.mean(x[u, cols]))  # noqa: E731
        return {"arch": self.space.format(arch),
                "canonical": self.space.format(self.space.canonical(arch)),
                "epoch": e, "seed": seed, "n_seeds": len(cols),
                **{k: float(np.mean(a[k][u, cols, e - 1])) for k in CURVES},
                "test_acc": mean(a["test_acc"]),
                "train_seconds": mean(a["train_seconds"]) * e / self.epochs,
                "params": int(a["params"][u]), "flops": int(a["flops"][u]),
                "latency_ms": float(a["latency_ms"][u])}

    def array(self, metric: str = "val_acc", *, epoch: int | None = None, seed: Seed = 0
              ) -> np.ndarray:
        """`metric` for all 15,625 archs in index order, after `epoch` epochs as in `query`
        (NaN where not trained; with `seed="mean"`, the mean over the seeds each cell has)."""
        a = self.per_cell(metric)
        s = self._seed_col(seed)
        e = self._epoch(epoch)
        if a.ndim == 3:
            a = a[:, :, e - 1]
        if a.ndim == 2:
            with np.errstate(all="ignore"):
                a = np.nanmean(a, 1) if s is None else a[:, s]
        out = a[self.row].astype(np.float64)
        if metric == "train_seconds":  # as `query`: the time up to that epoch
            out *= e / self.epochs
        if metric in ("params", "flops"):
            out[out < 0] = np.nan
        return out

    def available(self) -> np.ndarray:
        """Boolean mask over the 15,625 archs: True where the benchmark has a record."""
        return self.trained[self.row]

    def optimum(self, metric: str = "val_acc", *, epoch: int | None = None) -> dict:
        """The best arch by `metric` (min for losses/costs, max otherwise), seed 0, with its
        full record — the reference point for regret."""
        vals = self.array(metric, epoch=epoch)
        lower = metric.endswith("loss") or metric in ("train_seconds", "params", "flops",
                                                      "latency_ms")
        idx = int(np.nanargmin(vals) if lower else np.nanargmax(vals))
        return self.query(self.space.from_index(idx), epoch=epoch)


def verify(sample: int = 2, *, seed: int = 0, threads: int | None = None,
           bench: Benchmark | None = None, tolerance: float = 1.5) -> dict:
    """Retrain `sample` random trained cells with the recorded recipe, seed 0, and compare
    with the stored seed-0 values.

    With the recorded thread count on the build's CPU the numbers are bit-identical; with
    another `threads` (a different floating-point path, like another CPU) they differ, and
    the question is whether they land within the benchmark's own noise: `within` counts the
    cells within `tolerance` pp of the stored value, `within_noise` those within the
    resolvable difference of two single runs (1.96 * sqrt(2) * the mean seed sd).
    """
    from .analysis import seed_noise

    if not isinstance(sample, int) or sample < 1:
        raise ValueError(f"sample must be a positive int, got {sample!r}")
    bench = Benchmark.load() if bench is None else bench
    settings = bench.settings if threads is None else replace(bench.settings, threads=threads)
    table = bench.unique_table()
    rows = [table[u] for u in np.flatnonzero(bench.trained)]
    data = settings.data()
    try:
        resolvable = seed_noise(bench)["resolvable"]
    except ValueError:  # fewer than 3 cells with every seed: no noise estimate
        resolvable = None
    cells = []
    for arch in random.Random(seed).sample(rows, min(sample, len(rows))):
        rec = train_cell(arch, 0, settings=settings, data=data, measure=False)
        stored = bench.query(arch)
        as_stored = lambda v: float(np.float32(v))  # noqa: E731  (the file's precision)
        val, test = as_stored(rec["val_acc"][-1]), as_stored(rec["test_acc"])
        cells.append({"arch": arch, "val_acc": val, "stored_val_acc": stored["val_acc"],
                      "diff_val_acc": val - stored["val_acc"], "test_acc": test,
                      "stored_test_acc": stored["test_acc"]})
    diffs = np.abs([c["diff_val_acc"] for c in cells])
    return {"threads": settings.threads, "tolerance": tolerance, "cells": cells,
            "within": int((diffs <= tolerance).sum()),
            "resolvable": resolvable,
            "within_noise": None if resolvable is None else int((diffs <= resolvable).sum()),
            "max_abs_diff": float(diffs.max())}


def stored_results(name: str, *, bench: Benchmark, script: str) -> list[dict]:
    """The records of the shipped result file `nas_lessons/assets/NAME` (JSON lines), after
    checking that every record stamped with a benchmark (`"benchmark": bench.tag`) was made on
    `bench`; records without a stamp do not depend on the benchmark. Raises `ValueError`,
    naming `script` to rerun, when any was made on another benchmark — a lesson must not show
    numbers from a table it does not use."""
    from importlib.resources import files

    with files("nas_lessons.assets").joinpath(name).open() as f:
        rows = [json.loads(line) for line in f]
    stale = sorted({r["benchmark"] for r in rows if r.get("benchmark", bench.tag) != bench.tag})
    if stale:
        raise ValueError(f"{name} holds records made on {stale}, not on the bundled "
                         f"{bench.tag}: rerun {script}")
    return rows
