"""The shipped benchmark file: packing the build's records, its format version and checksum.

`pack()` turns the build's JSON lines into one compressed `.npz` file with a format version,
the settings, the machine and a SHA-256 checksum over metadata and arrays, which
`Benchmark.load()` verifies (a corrupt or edited file is refused, not silently used).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..hardware import machine_info
from ..spaces import NB201Space
from .build import read_results, read_train_time
from .recipe import SETTINGS, BenchSettings

__all__ = ["FORMAT_VERSION", "READABLE_VERSIONS", "BUNDLED", "CURVES", "checksum", "pack",
           "bundled_pilot"]

#: 2: rows are the 7,005 `unique_key` classes (1: NATS-Bench's 6,466); 3: the v3 recipe,
#: with optimizer, warm-up, label smoothing and clipping in the settings
FORMAT_VERSION = 3
READABLE_VERSIONS = (2, 3)
BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "mnist1d201.npz"
CURVES = ("train_loss", "train_acc", "val_loss", "val_acc")


def checksum(arrays: dict[str, np.ndarray], meta: dict) -> str:
    """SHA-256 over the metadata (except the checksum itself) and every array, in key order."""
    h = hashlib.sha256()
    h.update(json.dumps({k: v for k, v in meta.items() if k != "sha256"},
                        sort_keys=True).encode())
    for k in sorted(arrays):
        h.update(k.encode())
        h.update(np.ascontiguousarray(arrays[k]).tobytes())
    return h.hexdigest()


def pack(out: str | Path, dest: str | Path = BUNDLED, *, allow_partial: bool = False,
         settings: BenchSettings = SETTINGS, pilot_summary: dict | None = None) -> Path:
    """Write the compressed benchmark file from the records in `out`.

    Arrays are indexed by unique cell u (the 7,005 canonical cells in index order) and seed;
    missing (cell, seed) pairs are NaN. Records of archs that are not representatives (from
    a build under an older convention) are left out and counted in the metadata. Refuses a
    partial build unless `allow_partial`, and a folder built with other settings.

    Latency and training time come from their re-measurements where the folder has them
    (DIR/latency.json, DIR/train_time.jsonl: settings.epochs x a cell's fastest timed
    epoch), else from the build's records; the metadata says which, and refuses a
    re-measurement of training time that misses cells of a complete build.
    """
    stored = Path(out) / "settings.json"
    if stored.exists() and json.loads(stored.read_text()) != asdict(settings):
        raise ValueError(f"{stored} differs from the settings to pack; pass the settings the "
                         "folder was built with")
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
    timings = [r for r in read_train_time(out) if r["arch"] in u_of]
    timed = {r["arch"]: settings.epochs * min(r["epoch_cpu_seconds"]) for r in timings}
    untimed = sorted({r["arch"] for r in recs} - set(timed))
    if timed and untimed and not allow_partial:
        raise ValueError(f"{len(untimed)} cells of {out} have no re-measured training time; "
                         "finish `nas-lessons bench traintime` (it resumes) or pass "
                         "allow_partial=True / --partial")
    for r in recs:
        u, s = u_of[r["arch"]], seeds.index(r["seed"])
        for k in CURVES:
            arrays[k][u, s] = r[k]
        arrays["test_acc"][u, s] = r["test_acc"]
        arrays["train_seconds"][u, s] = timed.get(r["arch"], r["train_seconds"])
        if "params" in r:
            arrays["params"][u], arrays["flops"][u] = r["params"], r["flops"]
            arrays["latency_ms"][u] = remeasured.get(r["arch"], r["latency_ms"])
    arrays["seeds"] = np.array(seeds, np.int64)
    arrays["unique_index"] = np.array([space.index(a) for a in uniq], np.int64)
    meta = {"format_version": FORMAT_VERSION, "name": "mnist1d-201",
            "settings": asdict(settings), "machine": machine_info(),
            "build_cpus": dict(Counter(r.get("cpu", "unrecorded") for r in recs)),
            "n_records": len(recs), "complete": n_seed0 == len(uniq),
            "records_not_representative": len(every) - len(recs),
            "latency_source": ("remeasured after the build (latency.json)" if remeasured
                               else "measured during the build"),
            "train_seconds_source": (
                f"epochs x the fastest of {max(len(r['epoch_cpu_seconds']) for r in timings)}"
                " epochs, CPU time, re-measured "
                f"after the build (train_time.jsonl) for {len(timed)} cells" if timed
                else "wall-clock of the build"),
            "pilot": pilot_summary if pilot_summary is not None else bundled_pilot(settings)}
    meta["sha256"] = checksum(arrays, meta)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(dest)
    return dest


def bundled_pilot(settings: BenchSettings) -> dict:
    """The shipped pilot summary that chose `settings` (empty if none did): v2's pilot
    (`mnist1d201_pilot.json`, one recipe) or the v3 pilot (`mnist1d201_pilot_v3.json`, the
    candidate recipes and the chosen one)."""
    for name in ("mnist1d201_pilot.json", "mnist1d201_pilot_v3.json"):
        path = BUNDLED.parent / name
        if not path.exists():
            continue
        pilot = json.loads(path.read_text())
        chose = (pilot["recipes"][pilot["chosen"]]["settings"] if "chosen" in pilot
                 else pilot.get("settings"))
        if chose is not None and BenchSettings(**chose) == settings:  # older files: defaults
            return pilot
    return {}
