"""Building the benchmark: the jobs, worker processes, results files and latency.

A build takes many hours, so nothing may be lost on interruption: `build()` (CLI `nas-lessons
bench build`) appends one JSON line per finished (cell, seed) to DIR/results.jsonl, and a
restart skips what is done; `results.jsonl.gz` is a committed snapshot of finished cells that
a build also reads, so it can continue on another machine. The pilot (`run_pilot`) runs the
same way, one line per (recipe, cell, seed, threads). Latencies are re-measured afterwards
with nothing else running (`remeasure_latency`), because during the build the other worker
competes for the memory system; so are training times (`remeasure_train_seconds`), because
a build's wall-clock also counts the time it was paused or shared the machine.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing as mp
import os
import random
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, replace
from pathlib import Path

import torch

from ..data import Dataset
from ..hardware import cpu_model, machine_info, measure_latency
from ..models import NB201Network
from ..spaces import NB201Space
from ..utils import progress_bar
from .recipe import (
    PILOT_RECIPES,
    PILOT_SEEDS,
    SETTINGS,
    BenchSettings,
    epoch_seconds,
    pilot_jobs,
    train_cell,
)

__all__ = ["build_jobs", "read_jsonl", "read_results", "build", "run_pilot", "read_pilot",
           "snapshot", "remeasure_latency", "remeasure_train_seconds", "read_train_time"]


def build_jobs(*, extra_seeds: tuple[int, ...] = (1, 2), extra_cells: int = 500,
               order_seed: int = 0) -> list[tuple[str, int]]:
    """The (arch string, seed) jobs of a full build: seed 0 for every unique cell and
    `extra_seeds` for a fixed random subset of `extra_cells` cells (the seed-noise estimate).

    The subset comes first, each cell with all its seeds, so a partial build already holds
    the noise estimate; then the other cells. Both parts follow one fixed shuffled order, so
    the seed-0 records of a partial build are a uniform sample of the space."""
    space = NB201Space()
    cells = [space.format(a) for a in space.unique_archs()]
    rng = random.Random(order_seed)
    rng.shuffle(cells)
    subset = set(rng.sample(cells, min(extra_cells, len(cells))))
    first = [(a, s) for a in cells if a in subset for s in (0, *extra_seeds)]
    return first + [(a, 0) for a in cells if a not in subset]


def read_jsonl(out: str | Path, stem: str, key: Callable[[dict], tuple]) -> list[dict]:
    """All records in DIR/STEM.jsonl.gz (a committed snapshot) and DIR/STEM.jsonl,
    de-duplicated by `key`. A truncated last line (a killed writer) is skipped."""
    out = Path(out)
    recs: dict[tuple, dict] = {}
    for path in (out / f"{stem}.jsonl.gz", out / f"{stem}.jsonl"):
        if not path.exists():
            continue
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as fh:
            for line in fh:
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue
                recs[key(r)] = r
    return list(recs.values())


def read_results(out: str | Path) -> list[dict]:
    """The build's records in DIR, one per (arch, seed)."""
    return read_jsonl(out, "results", lambda r: (r["arch"], r["seed"]))


def read_train_time(out: str | Path) -> list[dict]:
    """The re-measured epoch times in DIR (`remeasure_train_seconds`), one per arch."""
    return read_jsonl(out, "train_time", lambda r: (r["arch"],))


def read_pilot(out: str | Path) -> list[dict]:
    """The pilot's records in DIR, one per (recipe, arch, seed, threads)."""
    return read_jsonl(out, "pilot", lambda r: (r["recipe"], r["arch"], r["seed"], r["threads"]))


# ---- worker processes --------------------------------------------------------------------
_DATA: dict[tuple, Dataset] = {}


def _worker_init() -> None:
    torch.set_num_threads(1)


def _data(settings: BenchSettings) -> Dataset:
    """The dataset of `settings`, built once per worker and data settings."""
    key = settings.data_key()
    if key not in _DATA:
        _DATA[key] = settings.data()
    return _DATA[key]


def _train_job(job: tuple[dict, str, int, bool, dict]) -> dict:
    """Train one (settings, arch, seed) job in a worker; the dataset is built once per
    worker and data settings. `extra` is copied into the record."""
    settings_dict, arch, seed, measure, extra = job
    settings = BenchSettings(**settings_dict)
    rec = train_cell(arch, seed, settings=settings, data=_data(settings), measure=measure)
    rec["cpu"] = cpu_model()  # a build may span machines; verify needs to know which
    return {**rec, **extra}


def _time_job(job: tuple[dict, str, int]) -> dict:
    """Time the first `epochs` epochs of one arch in a worker (`epoch_seconds`)."""
    settings_dict, arch, epochs = job
    settings = BenchSettings(**settings_dict)
    return {"arch": arch, "epoch_cpu_seconds": epoch_seconds(
        arch, settings=settings, data=_data(settings), epochs=epochs), "cpu": cpu_model()}


def _run_jobs(path: Path, jobs: list[tuple], *, workers: int, desc: str,
              progress: bool, fn: Callable[[tuple], dict] = _train_job) -> int:
    """Run `fn` on `jobs` in `workers` spawned processes, appending each record to `path`
    (fsync'd) as it finishes, at most 2 x workers in flight. Ctrl-C cancels what has not
    started; finished records are kept. Returns the number of records written."""
    if not jobs:
        return 0
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    bar = progress_bar(total=len(jobs), desc=desc, unit="cell", progress=progress)
    written = 0
    ctx = mp.get_context("spawn")
    with open(path, "a") as fh, ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_worker_init) as pool:
        it: Iterable = iter(jobs)
        pending = {pool.submit(fn, j) for _, j in zip(range(2 * workers), it)}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    fh.write(json.dumps(f.result()) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                    written += 1
                    if bar is not None:
                        bar.update(1)
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.add(pool.submit(fn, nxt))
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
        finally:
            if bar is not None:
                bar.close()
    return written


def _claim(out: Path, settings: dict, name: str = "settings.json") -> None:
    """Record `settings` in DIR/NAME, or refuse to mix: a folder holds one recipe's records."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    if path.exists():
        stored = json.loads(path.read_text())
        if stored != settings:
            diff = {k: (stored.get(k), settings.get(k)) for k in {*stored, *settings}
                    if stored.get(k) != settings.get(k)}
            raise ValueError(f"{path} was built with other settings (stored, asked): {diff}; "
                             "use another --out folder or the stored settings")
    else:
        path.write_text(json.dumps(settings, indent=1) + "\n")


def build(out: str | Path, *, workers: int = 2, settings: BenchSettings = SETTINGS,
          limit: int | None = None, jobs: list[tuple[str, int]] | None = None,
          progress: bool = True) -> int:
    """Train every job not yet in DIR/results.jsonl, appending each record as it finishes.

    Each worker process uses `settings.threads` threads. Returns the number of records
    written by this call. Safe to interrupt and restart at any time; refuses a folder that
    holds records of other settings.
    """
    out = Path(out)
    _claim(out, asdict(settings))
    done = {(r["arch"], r["seed"]) for r in read_results(out)}
    todo = [j for j in (jobs if jobs is not None else build_jobs()) if j not in done]
    if limit is not None:
        todo = todo[:limit]
    work = [(asdict(settings), a, s, s == 0, {}) for a, s in todo]
    return _run_jobs(out / "results.jsonl", work, workers=workers, desc="bench build",
                     progress=progress)


def run_pilot(out: str | Path, cells: list[str] | None = None, *, workers: int = 2,
              recipes: dict[str, BenchSettings] | None = None,
              seeds: tuple[int, ...] = PILOT_SEEDS, other_threads: int = 2,
              progress: bool = True) -> int:
    """Run (or continue) the recipe pilot in DIR: `pilot_jobs` on `cells` (stored in
    DIR/cells.json on the first call; later calls continue with the stored cells), the
    1-thread phase with `workers` processes, then the `other_threads` phase one at a time.
    `recipes` maps names to settings (default: `PILOT_RECIPES`). Returns the number of
    records written by this call."""
    recipes = PILOT_RECIPES if recipes is None else recipes
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stored = out / "cells.json"
    if stored.exists():
        cells = json.loads(stored.read_text())
    elif cells is None:
        raise ValueError(f"no cells.json in {out}: pass the pilot's cells (pilot_cells())")
    else:
        stored.write_text(json.dumps(cells, indent=0) + "\n")
    done = {(r["recipe"], r["arch"], r["seed"], r["threads"]) for r in read_pilot(out)}
    written = 0
    for phase, n in zip(pilot_jobs(cells, recipes=tuple(recipes), seeds=seeds,
                                   other_threads=other_threads), (workers, 1)):
        work = [(asdict(replace(recipes[r], threads=t)), a, s, False,
                 {"recipe": r, "threads": t}) for r, a, s, t in phase
                if (r, a, s, t) not in done]
        n_new = _run_jobs(out / "pilot.jsonl", work, workers=n, desc="pilot",
                          progress=progress)
        written += n_new
        if n_new < len(work):  # interrupted: do not start the next phase
            break
    return written


def snapshot(out: str | Path, stem: str = "results") -> Path:
    """Merge DIR/STEM.jsonl into the compressed snapshot DIR/STEM.jsonl.gz (the file to
    commit), atomically; the .jsonl is left as it is, so a running build is not disturbed."""
    out = Path(out)
    key = {"results": lambda r: (r["arch"], r["seed"]),
           "pilot": lambda r: (r["recipe"], r["arch"], r["seed"], r["threads"]),
           "train_time": lambda r: (r["arch"],)}.get(stem)
    if key is None:
        raise ValueError(f"unknown records {stem!r}; allowed: results, pilot, train_time")
    recs = read_jsonl(out, stem, key)
    tmp = out / f"{stem}.jsonl.gz.tmp"
    with gzip.open(tmp, "wt") as fh:
        for r in sorted(recs, key=key):
            fh.write(json.dumps(r) + "\n")
    tmp.replace(out / f"{stem}.jsonl.gz")
    return out / f"{stem}.jsonl.gz"


# ---- training time -----------------------------------------------------------------------
def remeasure_train_seconds(out: str | Path, *, settings: BenchSettings = SETTINGS,
                            workers: int = 2, epochs: int = 2, progress: bool = True) -> int:
    """Re-measure the training cost of every seed-0 cell in `out`: the CPU seconds of its
    first `epochs` epochs (`epoch_seconds`), in `workers` one-thread processes as the build
    ran, with nothing else running. `pack` then stores settings.epochs x the fastest epoch
    as each cell's training time, for every seed (the work per epoch depends on the arch,
    not the seed). Appends one line per cell to DIR/train_time.jsonl; resumable like
    `build`. Returns the number of cells timed by this call."""
    out = Path(out)
    _claim(out, asdict(settings))
    archs = [a for a, s in build_jobs() if s == 0]  # the build's shuffled order
    have = {r["arch"] for r in read_results(out) if r["seed"] == 0}
    if not have:
        raise ValueError(f"no seed-0 records in {out}")
    done = {r["arch"] for r in read_train_time(out)}
    work = [(asdict(settings), a, epochs) for a in archs if a in have and a not in done]
    return _run_jobs(out / "train_time.jsonl", work, workers=workers, desc="train time",
                     progress=progress, fn=_time_job)


# ---- latency -----------------------------------------------------------------------------
def remeasure_latency(out: str | Path, *, settings: BenchSettings = SETTINGS, passes: int = 3,
                      min_run_time: float = 0.05, progress: bool = True,
                      save_every: int = 250) -> Path:
    """Re-measure the batch-1 latency of every seed-0 cell in `out`, in this one process and
    with nothing else running. Each value is the minimum over `passes` sweeps over all cells,
    so a slow phase of the machine does not bias a subset. Writes DIR/latency.json, which
    `pack` prefers.

    Resumable: every `save_every` cells the sweeps so far go to DIR/latency.partial.json, and
    a restart with the same cells continues where it stopped.
    """
    out = Path(out)
    archs = sorted({r["arch"] for r in read_results(out) if r["seed"] == 0})
    if not archs:
        raise ValueError(f"no seed-0 records in {out}")
    if not isinstance(passes, int) or passes < 1:
        raise ValueError(f"passes must be a positive int, got {passes!r}")
    partial = out / "latency.partial.json"
    sweeps: list[list[float | None]] = []
    if partial.exists():
        saved = json.loads(partial.read_text())
        if saved["archs"] == archs and saved["min_run_time"] == min_run_time:
            sweeps = saved["sweeps"][:passes]
    sweeps += [[None] * len(archs) for _ in range(passes - len(sweeps))]
    todo = [(p, i) for p in range(passes) for i in range(len(archs)) if sweeps[p][i] is None]
    torch.set_num_threads(settings.threads)
    data = settings.data()
    nets: dict[int, NB201Network] = {}
    bar = progress_bar(total=passes * len(archs), initial=passes * len(archs) - len(todo),
                       desc="latency", unit="net", progress=progress)

    def save() -> None:
        tmp = partial.with_suffix(".tmp")
        tmp.write_text(json.dumps({"archs": archs, "min_run_time": min_run_time,
                                   "sweeps": sweeps}))
        tmp.replace(partial)

    try:
        for n, (p, i) in enumerate(todo, 1):
            if i not in nets:
                nets[i] = settings.network(archs[i], data)
            sweeps[p][i] = measure_latency(nets[i], data.input_shape, threads=settings.threads,
                                           min_run_time=min_run_time)["median_ms"]
            if bar is not None:
                bar.update(1)
            if n % save_every == 0:
                save()
    except KeyboardInterrupt:
        save()
        raise
    finally:
        if bar is not None:
            bar.close()
    best = [min(sw[i] for sw in sweeps) for i in range(len(archs))]
    path = out / "latency.json"
    path.write_text(json.dumps({"passes": passes, "min_run_time": min_run_time,
                                "machine": machine_info(),
                                "latency_ms": dict(zip(archs, [round(b, 5) for b in best]))},
                               indent=0) + "\n")
    partial.unlink(missing_ok=True)
    return path
