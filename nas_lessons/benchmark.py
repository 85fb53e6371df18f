"""mnist1d-201: a tabular NAS benchmark of the NAS-Bench-201 cell space on MNIST-1D.

Like NAS-Bench-201 (Dong & Yang, ICLR 2020) and NAS-Bench-101 (Ying et al., ICML 2019), every
cell of the space is trained once with one fixed recipe and the results are stored, so a
search strategy "trains" an architecture by looking it up, and strategies can be compared at
equal *simulated* training time (NAS-Bench-201's protocol) in seconds on a laptop.

Here the space is NAS-Bench-201's (15,625 cells); the data is MNIST-1D (Greydanus & Kobak,
2024); the network is `NB201Network` with `SETTINGS`. One representative of each of the 7,005
classes of cells that build the same network (`NB201Space.unique_key`) is trained; every
other arch resolves to its class's record. (NATS-Bench's count of 6,466 "unique" cells merges
networks of different sizes, see `NB201Space.unique_key`, so it is not used here.)

Building: `build()` (CLI `nas-lessons bench build`) appends one JSON line per finished
(cell, seed) to `results.jsonl`, so an interrupted build loses at most the cells in flight
and a restart skips what is done. `pack()` turns the lines into the shipped `.npz` file with a
format version, the settings, the machine and a SHA-256 checksum that `Benchmark.load()`
verifies.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .data import Dataset, load_dataset
from .hardware import count_flops, count_params, measure_latency
from .models import NB201Network
from .spaces import NB201Space
from .training import train
from .utils import seed_everything

__all__ = ["BenchSettings", "SETTINGS", "train_cell", "build", "pack", "Benchmark",
           "read_results", "pilot", "FORMAT_VERSION", "BUNDLED", "op_frequencies",
           "seed_rank_correlation", "seed_noise", "seed_table", "verify", "remeasure_latency",
           "NotInBenchmark"]

FORMAT_VERSION = 2  # 2: rows are the 7,005 `unique_key` classes (1: NATS-Bench's 6,466)


class NotInBenchmark(ValueError):
    """A valid arch whose canonical cell a partial benchmark has not trained yet."""
BUNDLED = Path(__file__).parent / "assets" / "mnist1d201.npz"


@dataclass(frozen=True)
class BenchSettings:
    """Everything that defines a benchmark version: data, network and training recipe."""

    dataset: str = "mnist1d"
    n_samples: int = 8000  # MNIST-1D's own 80/20 split: 6,400 train+val, 1,600 test
    val_fraction: float = 0.5  # -> 3,200 train, 3,200 val (a large val set: less noise)
    split_seed: int = 0
    C: int = 8
    N: int = 1
    reduction: str = "cheap"
    epochs: int = 10
    batch_size: int = 256
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"
    threads: int = 1

    def data(self) -> Dataset:
        return load_dataset(self.dataset, seed=self.split_seed, n_samples=self.n_samples,
                            val_fraction=self.val_fraction)

    def network(self, arch, data: Dataset) -> NB201Network:
        return NB201Network(arch, self.C, self.N, data.num_classes, data.in_channels,
                            data.rank, self.reduction)


SETTINGS = BenchSettings()


def train_cell(arch, seed: int, settings: BenchSettings = SETTINGS,
               data: Dataset | None = None, measure: bool = True) -> dict:
    """Train one cell with the benchmark recipe and return its record (a JSON-able dict).

    `measure=True` adds params, forward FLOPs and batch-1 latency (median of repeats on
    `settings.threads` threads); these depend on the arch only, not on the seed.
    """
    space = NB201Space()
    arch = space.to_arch(arch)
    data = settings.data() if data is None else data
    seed_everything(seed, threads=settings.threads)
    model = settings.network(arch, data)
    hist = train(model, data, settings.epochs, settings.lr, "sgd", settings.weight_decay,
                 settings.batch_size, settings.schedule, seed, momentum=settings.momentum)
    if hist.interrupted:
        raise KeyboardInterrupt
    r4 = lambda xs: [round(float(x), 4) for x in xs]  # noqa: E731
    rec = {"arch": space.format(arch), "seed": seed,
           "train_loss": r4(hist.train_loss), "train_acc": r4(hist.train_acc),
           "val_loss": r4(hist.val_loss), "val_acc": r4(hist.val_acc),
           "test_acc": round(float(hist.test_acc), 4),
           "train_seconds": round(hist.seconds[-1], 4)}
    if measure:
        rec["params"] = count_params(model)
        rec["flops"] = count_flops(model, data.input_shape)
        rec["latency_ms"] = round(measure_latency(model, data.input_shape, 1,
                                                  settings.threads)["median_ms"], 5)
    return rec


def pilot(n_cells: int = 50, seeds=(0, 1), settings: BenchSettings = SETTINGS,
          sample_seed: int = 0) -> dict:
    """Train `n_cells` random unique cells with each seed; report spread vs seed noise.

    spread = std over cells of the seed-mean test accuracy; noise = mean over cells of the
    std over seeds. A usable benchmark needs spread >> noise.
    """
    import random

    space = NB201Space()
    cells = random.Random(sample_seed).sample(space.unique_archs(), n_cells)
    data = settings.data()
    acc = np.zeros((n_cells, len(seeds)))
    secs = np.zeros_like(acc)
    for i, a in enumerate(cells):
        for k, s in enumerate(seeds):
            rec = train_cell(a, s, settings, data, measure=False)
            acc[i, k], secs[i, k] = rec["val_acc"][-1], rec["train_seconds"]
    return {"archs": [space.format(a) for a in cells], "val_acc": acc.tolist(),
            "seconds": secs.tolist(), "spread": float(acc.mean(1).std()),
            "noise": float(acc.std(1, ddof=1).mean()), "mean_seconds": float(secs.mean()),
            "settings": asdict(settings)}


# ---- building ----------------------------------------------------------------------------
def build_jobs(extra_seeds: tuple[int, ...] = (1, 2), extra_cells: int = 500,
               order_seed: int = 0) -> list[tuple[str, int]]:
    """The (arch string, seed) jobs of a full build: seed 0 for every unique cell, in a fixed
    shuffled order (so a partial build is a uniform sample), then `extra_seeds` for a fixed
    random subset of `extra_cells` cells (the seed-noise estimate)."""
    import random

    space = NB201Space()
    cells = [space.format(a) for a in space.unique_archs()]
    rng = random.Random(order_seed)
    rng.shuffle(cells)
    subset = sorted(rng.sample(cells, min(extra_cells, len(cells))))
    return [(a, 0) for a in cells] + [(a, s) for s in extra_seeds for a in subset]


def read_results(out: str | Path) -> list[dict]:
    """All records in DIR/results.jsonl and DIR/results.jsonl.gz (a committed snapshot),
    de-duplicated by (arch, seed). A truncated last line (killed writer) is skipped."""
    out = Path(out)
    recs: dict[tuple[str, int], dict] = {}
    for path in (out / "results.jsonl.gz", out / "results.jsonl"):
        if not path.exists():
            continue
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as fh:
            for line in fh:
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue
                recs[(r["arch"], r["seed"])] = r
    return list(recs.values())


_WORKER_DATA: dict = {}


def _worker_init(settings: BenchSettings) -> None:
    torch.set_num_threads(settings.threads)
    _WORKER_DATA["data"] = settings.data()
    _WORKER_DATA["settings"] = settings


def _worker_job(job: tuple[str, int]) -> dict:
    arch, seed = job
    rec = train_cell(arch, seed, _WORKER_DATA["settings"], _WORKER_DATA["data"],
                     measure=seed == 0)
    rec["cpu"] = cpu_model()  # a build may span machines; verify needs to know which
    return rec


def cpu_model() -> str:
    """The CPU's model name plus a short hash of its instruction-set flags (Linux
    /proc/cpuinfo; platform.processor() elsewhere). Virtual machines often report a generic
    name, and the flags decide which SIMD kernels PyTorch runs, hence which floats come out."""
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())  # the first core's entry
    except OSError:
        pass
    name = info.get("model name") or platform.processor() or platform.machine()
    flags = " ".join(sorted(info.get("flags", "").split()))
    if flags:
        name += f" [flags {hashlib.sha256(flags.encode()).hexdigest()[:8]}]"
    return name


def machine_info() -> dict:
    return {"platform": platform.platform(), "processor": cpu_model(),
            "machine": platform.machine(), "python": platform.python_version(),
            "torch": torch.__version__, "cpu_count": os.cpu_count()}


def build(out: str | Path, workers: int = 2, settings: BenchSettings = SETTINGS,
          limit: int | None = None, jobs: list[tuple[str, int]] | None = None,
          progress: bool = True) -> int:
    """Train every job not yet in DIR/results.jsonl, appending each record as it finishes.

    Each worker process uses `settings.threads` threads. Returns the number of records
    written by this call. Safe to interrupt and restart at any time.
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "settings.json").write_text(json.dumps(asdict(settings), indent=1) + "\n")
    done = {(r["arch"], r["seed"]) for r in read_results(out)}
    todo = [j for j in (jobs if jobs is not None else build_jobs()) if j not in done]
    if limit is not None:
        todo = todo[:limit]
    if not todo:
        return 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="bench build", unit="cell")
    written = 0
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with open(out / "results.jsonl", "a") as fh, ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_worker_init, initargs=(settings,)) as pool:
        pending = set()
        it = iter(todo)
        try:
            for job in it:
                pending.add(pool.submit(_worker_job, job))
                if len(pending) >= 2 * workers:
                    break
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
                        pending.add(pool.submit(_worker_job, nxt))
        except KeyboardInterrupt:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
        finally:
            if bar is not None:
                bar.close()
    return written


def remeasure_latency(out: str | Path, settings: BenchSettings = SETTINGS, passes: int = 3,
                      min_run_time: float = 0.05, progress: bool = True,
                      save_every: int = 250) -> Path:
    """Re-measure the batch-1 latency of every seed-0 cell in `out`, in this one process and
    with nothing else running (during the build the other worker competes for the memory
    system). Each value is the minimum over `passes` sweeps over all cells, so a slow phase of
    the machine does not bias a subset. Writes DIR/latency.json, which `pack` prefers.

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
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=passes * len(archs), initial=passes * len(archs) - len(todo),
                   desc="latency", unit="net")

    def save() -> None:
        tmp = partial.with_suffix(".tmp")
        tmp.write_text(json.dumps({"archs": archs, "min_run_time": min_run_time,
                                   "sweeps": sweeps}))
        tmp.replace(partial)

    try:
        for n, (p, i) in enumerate(todo, 1):
            if i not in nets:
                nets[i] = settings.network(archs[i], data)
            sweeps[p][i] = measure_latency(nets[i], data.input_shape, 1, settings.threads,
                                           min_run_time)["median_ms"]
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


# ---- packing -----------------------------------------------------------------------------
CURVES = ("train_loss", "train_acc", "val_loss", "val_acc")


def _checksum(arrays: dict[str, np.ndarray], meta: dict) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({k: v for k, v in meta.items() if k != "sha256"},
                        sort_keys=True).encode())
    for k in sorted(arrays):
        h.update(k.encode())
        h.update(np.ascontiguousarray(arrays[k]).tobytes())
    return h.hexdigest()


def pack(out: str | Path, dest: str | Path = BUNDLED, allow_partial: bool = False,
         settings: BenchSettings = SETTINGS, pilot_summary: dict | None = None) -> Path:
    """Write the compressed benchmark file from the records in `out`.

    Arrays are indexed by unique cell u (the 7,005 canonical cells in index order) and seed;
    missing (cell, seed) pairs are NaN. Records of archs that are not representatives (from
    a build under an older convention) are left out and counted in the metadata. Refuses a
    partial build unless `allow_partial`.
    """
    space = NB201Space()
    uniq = space.unique_archs()
    u_of = {space.format(a): u for u, a in enumerate(uniq)}
    every = read_results(out)
    recs = [r for r in every if r["arch"] in u_of]
    if not recs:
        raise ValueError(f"no results found in {out}; run `nas-lessons bench build` first")
    seeds = sorted({r["seed"] for r in recs})
    n_seed0 = sum(r["seed"] == 0 for r in recs)
    if n_seed0 < len(uniq) and not allow_partial:
        raise ValueError(f"only {n_seed0} of {len(uniq)} cells have seed 0 in {out}; finish "
                         "the build (it resumes) or pass allow_partial=True / --partial")
    E = settings.epochs
    U, S = len(uniq), len(seeds)
    arrays = {k: np.full((U, S, E), np.nan, np.float32) for k in CURVES}
    arrays["test_acc"] = np.full((U, S), np.nan, np.float32)
    arrays["train_seconds"] = np.full((U, S), np.nan, np.float32)
    for k in ("params", "flops"):
        arrays[k] = np.full(U, -1, np.int64)
    arrays["latency_ms"] = np.full(U, np.nan, np.float32)
    remeasured = {}
    if (Path(out) / "latency.json").exists():
        remeasured = json.loads((Path(out) / "latency.json").read_text())["latency_ms"]
    for r in recs:
        u, s = u_of[r["arch"]], seeds.index(r["seed"])
        for k in CURVES:
            arrays[k][u, s] = r[k]
        arrays["test_acc"][u, s] = r["test_acc"]
        arrays["train_seconds"][u, s] = r["train_seconds"]
        if "params" in r:
            arrays["params"][u], arrays["flops"][u] = r["params"], r["flops"]
            arrays["latency_ms"][u] = remeasured.get(r["arch"], r["latency_ms"])
    arrays["seeds"] = np.array(seeds, np.int64)
    arrays["unique_index"] = np.array([space.index(a) for a in uniq], np.int64)
    from collections import Counter

    cpus = Counter(r.get("cpu", "unrecorded") for r in recs)
    meta = {"format_version": FORMAT_VERSION, "name": "mnist1d-201",
            "settings": asdict(settings), "machine": machine_info(),
            "build_cpus": dict(cpus),
            "n_records": len(recs), "complete": n_seed0 == len(uniq),
            "records_not_representative": len(every) - len(recs),
            "latency_source": ("remeasured after the build (latency.json)" if remeasured
                               else "measured during the build"),
            "pilot": pilot_summary if pilot_summary is not None else _bundled_pilot()}
    meta["sha256"] = _checksum(arrays, meta)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(dest)
    return dest


def _bundled_pilot() -> dict:
    path = BUNDLED.parent / "mnist1d201_pilot.json"
    return json.loads(path.read_text()) if path.exists() else {}


# ---- querying ----------------------------------------------------------------------------
class Benchmark:
    """Query the packed benchmark by arch string, arch tuple, genotype or index.

    Isomorphic archs share their canonical cell's record. `seed=None` means seed 0 (every
    cell has it); `seed="mean"` averages the seeds available for that cell.
    """

    METRICS = ("val_acc", "test_acc", "train_acc", "val_loss", "train_loss",
               "train_seconds", "params", "flops", "latency_ms")

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.meta = meta
        self.settings = BenchSettings(**meta["settings"])
        self.space = NB201Space()
        self._a = arrays
        self.seeds = [int(s) for s in arrays["seeds"]]
        canon = self.space.canonical_table()
        u_of = {int(i): u for u, i in enumerate(arrays["unique_index"])}
        #: for each of the 15,625 archs, the row of its canonical cell
        self.row = np.array([u_of[self.space.index(a)] for a in canon], np.int64)
        self.trained = ~np.isnan(arrays["test_acc"][:, 0])

    @classmethod
    def load(cls, path: str | Path | None = None, verify: bool = True) -> Benchmark:
        """Load the bundled benchmark (or `path`), verifying format version and checksum."""
        path = Path(path) if path is not None else BUNDLED
        if not path.exists():
            raise FileNotFoundError(f"benchmark file {path} not found; build it with "
                                    "`nas-lessons bench build` and `nas-lessons bench pack`")
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "meta"}
            meta = json.loads(str(z["meta"]))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path} has format version {meta.get('format_version')}, this "
                             f"package reads version {FORMAT_VERSION}; rebuild or update")
        if verify and _checksum(arrays, meta) != meta.get("sha256"):
            raise ValueError(f"checksum mismatch in {path}: the file is corrupt or was "
                             "modified; reinstall the package or rebuild the benchmark")
        return cls(arrays, meta)

    @property
    def complete(self) -> bool:
        return bool(self.meta.get("complete"))

    @property
    def epochs(self) -> int:
        return self.settings.epochs

    def __repr__(self) -> str:
        return (f"Benchmark(mnist1d-201 v{FORMAT_VERSION}, {int(self.trained.sum())}/"
                f"{len(self.trained)} unique cells trained, seeds={self.seeds}, "
                f"epochs={self.epochs})")

    def _row(self, arch) -> int:
        try:
            idx = self.space.index(arch)
        except TypeError as e:
            raise ValueError(str(e)) from None
        u = int(self.row[idx])
        if not self.trained[u]:
            raise NotInBenchmark(f"{self.space.format(arch)} is not in this partial benchmark "
                             f"({int(self.trained.sum())}/{len(self.trained)} cells trained); "
                             "use `Benchmark.available()` to restrict a search to them")
        return u

    def _seed_col(self, seed) -> int | None:
        if seed is None:
            return 0
        if seed == "mean":
            return None
        if seed not in self.seeds:
            raise ValueError(f"seed {seed!r} not in this benchmark; seeds: {self.seeds} "
                             "or 'mean'")
        return self.seeds.index(seed)

    def _epoch(self, epoch: int | None) -> int:
        if epoch is None:
            return self.epochs
        if not isinstance(epoch, (int, np.integer)) or not 1 <= epoch <= self.epochs:
            raise ValueError(f"epoch must be in 1..{self.epochs} or None (last), got {epoch!r}")
        return int(epoch)

    def query(self, arch, epoch: int | None = None, seed=None) -> dict:
        """The record of `arch` after `epoch` epochs (default: the last) for `seed`.

        `train_seconds` is the measured training time up to that epoch (the simulated cost
        of a search that trains this arch for `epoch` epochs); `test_acc` is only recorded
        at the end of training and does not depend on `epoch`.
        """
        u = self._row(arch)
        e = self._epoch(epoch)
        s = self._seed_col(seed)
        pick = (lambda a: float(a[u, 0]) if s == 0 else  # noqa: E731
                float(np.nanmean(a[u])) if s is None else float(a[u, s]))
        pick_e = (lambda a: float(a[u, 0, e - 1]) if s == 0 else  # noqa: E731
                  float(np.nanmean(a[u, :, e - 1])) if s is None else float(a[u, s, e - 1]))
        rec = {"arch": self.space.format(arch),
               "canonical": self.space.format(self.space.canonical(arch)),
               "epoch": e, **{k: pick_e(self._a[k]) for k in CURVES},
               "test_acc": pick(self._a["test_acc"]),
               "train_seconds": pick(self._a["train_seconds"]) * e / self.epochs,
               "params": int(self._a["params"][u]), "flops": int(self._a["flops"][u]),
               "latency_ms": float(self._a["latency_ms"][u])}
        if any(np.isnan(v) for k, v in rec.items() if isinstance(v, float)):
            raise ValueError(f"seed {seed!r} was not trained for {rec['arch']}; every cell "
                             f"has seed {self.seeds[0]}, a subset has {self.seeds[1:]}")
        return rec

    def array(self, metric: str = "val_acc", epoch: int | None = None, seed=None
              ) -> np.ndarray:
        """`metric` for all 15,625 archs in index order (NaN where not trained)."""
        if metric not in self.METRICS:
            raise ValueError(f"unknown metric {metric!r}; allowed: {', '.join(self.METRICS)}")
        a = self._a[metric]
        s = self._seed_col(seed)
        if a.ndim == 3:
            a = a[:, :, self._epoch(epoch) - 1]
        if a.ndim == 2:
            with np.errstate(all="ignore"):
                a = np.nanmean(a, 1) if s is None else a[:, s]
        out = a[self.row].astype(np.float64)
        if metric in ("params", "flops"):
            out[out < 0] = np.nan
        return out

    def available(self) -> np.ndarray:
        """Boolean mask over the 15,625 archs: True where the benchmark has a record."""
        return self.trained[self.row]

    def optimum(self, metric: str = "val_acc", epoch: int | None = None) -> dict:
        """The best arch by `metric` (min for losses/costs, max otherwise), seed 0, with its
        full record — the reference point for regret."""
        vals = self.array(metric, epoch)
        lower = metric.endswith("loss") or metric in ("train_seconds", "params", "flops",
                                                      "latency_ms")
        idx = int(np.nanargmin(vals) if lower else np.nanargmax(vals))
        return self.query(self.space.from_index(idx), epoch)

    def unique_table(self) -> list[str]:
        """Arch strings of the unique (canonical) cells, row order."""
        return [self.space.format(self.space.from_index(int(i)))
                for i in self._a["unique_index"]]


def verify(sample: int = 2, seed: int = 0, bench: Benchmark | None = None) -> list[dict]:
    """Retrain `sample` random trained cells with the recorded settings and compare with the
    stored seed-0 values (bit-identical on the same CPU and thread count)."""
    import random

    bench = Benchmark.load() if bench is None else bench
    rows = [bench.unique_table()[u] for u in np.flatnonzero(bench.trained)]
    data = bench.settings.data()
    out = []
    for arch in random.Random(seed).sample(rows, sample):
        rec = train_cell(arch, 0, bench.settings, data, measure=False)
        stored = bench.query(arch)
        as_stored = lambda v: float(np.float32(v))  # noqa: E731  (the file's precision)
        val, test = as_stored(rec["val_acc"][-1]), as_stored(rec["test_acc"])
        out.append({"arch": arch, "val_acc": val, "stored_val_acc": stored["val_acc"],
                    "diff_val_acc": val - stored["val_acc"], "test_acc": test,
                    "stored_test_acc": stored["test_acc"]})
    return out


# ---- analysis ----------------------------------------------------------------------------
def op_frequencies(bench: Benchmark, top: float = 0.01, metric: str = "val_acc") -> dict:
    """How often each op appears on each edge among the best `top` share of the trained
    unique cells, vs. the whole trained set: {op: (share in top, share overall)}."""
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top!r}")
    space = bench.space
    rows = np.flatnonzero(bench.trained)
    archs = [space.from_index(int(bench._a["unique_index"][u])) for u in rows]
    vals = np.array([bench.query(a)[metric] for a in archs])
    k = max(1, int(round(top * len(rows))))
    best = np.argsort(-vals)[:k]

    def share(idx) -> dict:
        ops = [op for i in idx for op in archs[i]]
        return {op: ops.count(op) / len(ops) for op in space.OPS}

    top_share, all_share = share(best), share(range(len(archs)))
    return {op: (top_share[op], all_share[op]) for op in space.OPS}


def seed_table(bench: Benchmark, metric: str = "val_acc") -> np.ndarray:
    """Final `metric` [cell, seed] of the cells trained with every seed of `bench`, in the
    benchmark's row order — the same rows for every metric, since all metrics come from the
    same runs."""
    if len(bench.seeds) < 2:
        raise ValueError("this benchmark has a single seed; seed statistics need two or more")
    if metric not in (*CURVES, "test_acc"):
        raise ValueError(f"unknown metric {metric!r}; allowed: {', '.join((*CURVES, 'test_acc'))}")
    a = bench._a[metric][:, :, -1] if bench._a[metric].ndim == 3 else bench._a[metric]
    return a[~np.isnan(a).any(axis=1)].astype(np.float64)


def _multi_seed(bench: Benchmark, metric: str, top: float) -> np.ndarray:
    """`seed_table` restricted to the best `top` share of its cells by their mean over seeds."""
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top!r}")
    a = seed_table(bench, metric)
    order = np.argsort(a.mean(axis=1))
    if not metric.endswith("loss"):
        order = order[::-1]
    a = a[order[:max(1, int(round(top * len(a))))]]
    if len(a) < 3:
        raise ValueError(f"only {len(a)} cells were trained with every seed (need 3)")
    return a


def seed_rank_correlation(bench: Benchmark, metric: str = "val_acc", top: float = 1.0) -> dict:
    """Kendall's tau and Spearman's rho between the rankings that two seeds give to the cells
    trained with every seed, averaged over all pairs of seeds: the benchmark's own noise floor
    for comparing architectures. `top` < 1 keeps only the best share of those cells (by their
    mean over seeds), where cells differ little and the seeds agree less."""
    from itertools import combinations

    from scipy.stats import kendalltau, spearmanr

    a = _multi_seed(bench, metric, top)
    pairs = list(combinations(range(a.shape[1]), 2))
    return {"n_cells": len(a), "n_pairs": len(pairs),
            "kendall_tau": float(np.mean([kendalltau(a[:, i], a[:, j])[0] for i, j in pairs])),
            "spearman_rho": float(np.mean([spearmanr(a[:, i], a[:, j])[0] for i, j in pairs])),
            "mean_abs_diff": float(np.mean([np.abs(a[:, i] - a[:, j]).mean()
                                            for i, j in pairs]))}


def seed_noise(bench: Benchmark, metric: str = "val_acc", top: float = 1.0) -> dict:
    """Seed-to-seed noise vs the spread between cells, on the cells trained with every seed,
    with the pilot's definitions (`pilot()`), so the two can be compared.

    `within_sd`: mean over cells of the standard deviation over seeds (ddof=1); `between_sd`:
    standard deviation over cells of the seed means; `ratio`: between / within (the pilot
    required at least 5) with `ratio_ci`, a 95% bootstrap interval over cells; `resolvable`:
    about how far apart two single-seed results must be to differ at the 5% level,
    1.96 * sqrt(2) * within_sd; `seed_means`: each seed's mean over the cells — a shift
    common to all cells (every cell trained with one seed sees the same batch order).
    """
    from .stats import bootstrap_ci

    a = _multi_seed(bench, metric, top)

    def ratio(x: np.ndarray) -> float:
        within = x.std(axis=1, ddof=1).mean()
        return float(x.mean(axis=1).std() / within) if within > 0 else float("inf")

    within = float(a.std(axis=1, ddof=1).mean())
    return {"n_cells": len(a), "n_seeds": a.shape[1], "within_sd": within,
            "between_sd": float(a.mean(axis=1).std()), "ratio": ratio(a),
            "ratio_ci": bootstrap_ci(a, ratio, n_resamples=2000),
            "resolvable": float(1.96 * np.sqrt(2) * within),
            "seed_means": dict(zip(bench.seeds, a.mean(axis=0).tolist()))}
