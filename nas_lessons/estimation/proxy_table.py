"""Every zero-cost proxy for every network of the benchmark, computed once and shipped.

`compute_proxies` (CLI `nas-lessons proxies`) scores each of the 7,005 networks of
mnist1d-201 — built with the benchmark's settings, initialised with one seed, on one fixed
training batch — with every proxy, appending one JSON line per network so that an interrupted
run continues where it stopped. `pack_proxies` writes the shipped file (values, seconds,
the batch and seed used, the machine, a checksum); `ProxyTable` reads it with the benchmark's
row order, so a proxy and the accuracy it should predict line up.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from ..benchmark import SETTINGS, BenchSettings
from ..benchmark.build import read_jsonl
from ..benchmark.pack import checksum
from ..hardware import machine_info
from ..spaces import ArchLike, NB201Space
from ..utils import progress_bar, seed_everything
from .proxies import PROXIES, score

__all__ = ["PROXY_BATCH", "proxy_batch", "BUNDLED_PROXIES", "compute_proxies", "pack_proxies",
           "ProxyTable"]

PROXY_BATCH = {"size": 64, "seed": 0, "init_seed": 0}  # the batch and init every proxy sees
BUNDLED_PROXIES = Path(__file__).resolve().parent.parent / "assets" / "mnist1d201_proxies.npz"


def proxy_batch(settings: BenchSettings = SETTINGS):
    """The data, and the one training batch (`PROXY_BATCH`) every proxy in the table saw."""
    data = settings.data()
    gen = torch.Generator().manual_seed(PROXY_BATCH["seed"])
    x, y = next(iter(data.loader("train", PROXY_BATCH["size"], generator=gen)))
    return data, x, y


def compute_proxies(out: str | Path, *, settings: BenchSettings = SETTINGS,
                    proxies: tuple[str, ...] = tuple(PROXIES), limit: int | None = None,
                    progress: bool = True) -> int:
    """Score every unique network not yet in DIR/proxies.jsonl with every proxy (1 thread),
    appending a line per network. Returns the number of networks scored by this call."""
    unknown = [p for p in proxies if p not in PROXIES]
    if unknown:
        raise ValueError(f"unknown proxies {unknown}; allowed: {', '.join(PROXIES)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    space = NB201Space()
    done = {r["arch"] for r in read_jsonl(out, "proxies", lambda r: r["arch"])}
    todo = [space.format(a) for a in space.unique_archs() if space.format(a) not in done]
    todo = todo[:limit] if limit is not None else todo
    data, x, y = proxy_batch(settings)
    bar = progress_bar(total=len(todo), desc="proxies", unit="net", progress=progress)
    n = 0
    with open(out / "proxies.jsonl", "a") as fh:
        for arch in todo:
            seed_everything(PROXY_BATCH["init_seed"], threads=1)
            net = settings.network(arch, data)
            values, seconds = {}, {}
            for p in proxies:
                t = time.perf_counter()
                values[p] = score(net, x, y, p)
                seconds[p] = time.perf_counter() - t
            fh.write(json.dumps({"arch": arch, "values": values, "seconds": seconds}) + "\n")
            fh.flush()
            n += 1
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return n


def pack_proxies(out: str | Path, dest: str | Path = BUNDLED_PROXIES, *,
                 settings: BenchSettings = SETTINGS) -> Path:
    """Write the shipped proxy table from DIR/proxies.jsonl(.gz); every network required."""
    space = NB201Space()
    uniq = [space.format(a) for a in space.unique_archs()]
    recs = {r["arch"]: r for r in read_jsonl(out, "proxies", lambda r: r["arch"])}
    missing = [a for a in uniq if a not in recs]
    if missing:
        raise ValueError(f"{len(missing)} of {len(uniq)} networks have no proxies in {out}; "
                         "run `nas-lessons proxies` to finish (it resumes)")
    names = sorted(recs[uniq[0]]["values"])
    arrays = {"values": np.array([[recs[a]["values"][p] for p in names] for a in uniq]),
              "seconds": np.array([[recs[a]["seconds"][p] for p in names] for a in uniq],
                                  np.float32)}
    meta = {"name": "mnist1d-201 zero-cost proxies", "proxies": names, "batch": PROXY_BATCH,
            "settings": asdict(settings), "machine": machine_info(), "threads": 1}
    meta["sha256"] = checksum(arrays, meta)
    dest = Path(dest)
    np.savez_compressed(dest, meta=np.array(json.dumps(meta)), **arrays)
    return dest


class ProxyTable:
    """The shipped proxy values, one row per unique network in the benchmark's row order."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.meta, self.names = meta, list(meta["proxies"])
        self._values, self._seconds = arrays["values"], arrays["seconds"]
        self.space = NB201Space()
        self._row = {self.space.format(a): u for u, a in enumerate(self.space.unique_archs())}

    @classmethod
    def load(cls, path: str | Path | None = None) -> ProxyTable:
        path = Path(path) if path is not None else BUNDLED_PROXIES
        if not path.exists():
            raise FileNotFoundError(f"proxy table {path} not found; compute it with "
                                    "`nas-lessons proxies` (resumable) and `--pack`")
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "meta"}
            meta = json.loads(str(z["meta"]))
        if checksum(arrays, meta) != meta.get("sha256"):
            raise ValueError(f"checksum mismatch in {path}: the file is corrupt or modified")
        return cls(arrays, meta)

    def _col(self, proxy: str) -> int:
        if proxy not in self.names:
            raise ValueError(f"unknown proxy {proxy!r}; allowed: {', '.join(self.names)}")
        return self.names.index(proxy)

    def per_cell(self, proxy: str) -> np.ndarray:
        """`proxy` for the 7,005 networks, in `Benchmark.unique_table()` order."""
        return self._values[:, self._col(proxy)].copy()

    def seconds(self, proxy: str) -> np.ndarray:
        return self._seconds[:, self._col(proxy)].astype(np.float64)

    def value(self, arch: ArchLike, proxy: str) -> float:
        """`proxy` of the network `arch` builds (its canonical cell's record)."""
        key = self.space.format(self.space.canonical(arch))
        return float(self._values[self._row[key], self._col(proxy)])
