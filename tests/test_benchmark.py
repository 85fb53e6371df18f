"""The mnist1d-201 benchmark: build/pack/load round trip on a tiny build, and the bundled file."""

import gzip
import json
from dataclasses import replace

import numpy as np
import pytest

from nas_lessons.benchmark import (
    BUNDLED,
    SETTINGS,
    Benchmark,
    build,
    build_jobs,
    cpu_model,
    op_frequencies,
    pack,
    read_results,
    remeasure_latency,
    seed_noise,
    seed_rank_correlation,
    seed_table,
    verify,
)
from nas_lessons.spaces import NB201Space

SPACE = NB201Space()
TINY = replace(SETTINGS, n_samples=1000, epochs=2, C=4)


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    cells = [SPACE.format(a) for a in SPACE.unique_archs()[:3]]
    jobs = [(c, 0) for c in cells] + [(cells[0], 1)]
    assert build(out, workers=1, settings=TINY, jobs=jobs, progress=False) == 4
    return out, cells, jobs


def test_build_resumes_and_survives_truncation(tiny_build):
    out, cells, jobs = tiny_build
    assert build(out, workers=1, settings=TINY, jobs=jobs, progress=False) == 0
    with open(out / "results.jsonl", "a") as fh:
        fh.write('{"arch": "|none~0|+|no')  # a writer killed mid-line
    assert len(read_results(out)) == 4
    recs = read_results(out)
    r = next(x for x in recs if x["seed"] == 0)
    assert len(r["val_acc"]) == TINY.epochs and {"params", "flops", "latency_ms"} <= set(r)
    assert "params" not in next(x for x in recs if x["seed"] == 1)


def test_gz_snapshot_is_merged(tiny_build, tmp_path):
    out, _, _ = tiny_build
    lines = (out / "results.jsonl").read_text().splitlines()[:2]
    with gzip.open(tmp_path / "results.jsonl.gz", "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    assert len(read_results(tmp_path)) == 2


@pytest.fixture(scope="module")
def tiny_bench(tiny_build, tmp_path_factory):
    out, _, _ = tiny_build
    with pytest.raises(ValueError, match="only 3 of 7005"):
        pack(out, tmp_path_factory.mktemp("p") / "b.npz", settings=TINY)
    dest = pack(out, tmp_path_factory.mktemp("p") / "b.npz", allow_partial=True, settings=TINY)
    return dest


def test_pack_load_query(tiny_bench, tiny_build):
    _, cells, _ = tiny_build
    b = Benchmark.load(tiny_bench)
    assert not b.complete and int(b.trained.sum()) == 3 and b.seeds == [0, 1]
    r = b.query(cells[0])
    assert r["epoch"] == TINY.epochs and 0 <= r["val_acc"] <= 100 and r["params"] > 0
    half = b.query(cells[0], epoch=1)
    assert half["train_seconds"] == pytest.approx(r["train_seconds"] / 2)
    assert b.query(cells[0], seed=1)["val_acc"] != r["val_acc"] or True
    m = b.query(cells[0], seed="mean")["test_acc"]
    lo, hi = sorted([r["test_acc"], b.query(cells[0], seed=1)["test_acc"]])
    assert lo <= m <= hi
    with pytest.raises(ValueError, match="seed 1 was not trained"):
        b.query(cells[1], seed=1)
    with pytest.raises(ValueError, match="seeds"):
        b.query(cells[0], seed=7)
    with pytest.raises(ValueError, match="epoch must be in 1..2"):
        b.query(cells[0], epoch=3)
    with pytest.raises(ValueError, match="partial benchmark"):
        b.query(SPACE.unique_archs()[-1])
    with pytest.raises(ValueError, match="unknown op"):
        b.query("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    v = b.array("val_acc")
    assert v.shape == (15_625,) and np.isfinite(v).sum() == b.available().sum()
    assert b.optimum("val_acc")["val_acc"] == np.nanmax(v)
    with pytest.raises(ValueError, match="unknown metric"):
        b.array("accuracy")


def test_isomorphic_archs_share_a_record(tiny_bench):
    b = Benchmark.load(tiny_bench)
    table = SPACE.canonical_table()
    for canon in SPACE.unique_archs()[:3]:
        members = [a for a in SPACE.enumerate() if table[SPACE.index(a)] == canon]
        recs = {json.dumps({k: v for k, v in b.query(a).items() if k != "arch"})
                for a in members[:20]}
        assert len(recs) == 1


def test_checksum_and_version_checked(tiny_bench, tmp_path):
    with np.load(tiny_bench) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["test_acc"] = arrays["test_acc"] + 1
    np.savez_compressed(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="checksum mismatch"):
        Benchmark.load(tmp_path / "bad.npz")
    meta = json.loads(str(arrays["meta"]))
    meta["format_version"] = 99
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(tmp_path / "old.npz", **arrays)
    with pytest.raises(ValueError, match="format version 99"):
        Benchmark.load(tmp_path / "old.npz")
    with pytest.raises(FileNotFoundError, match="bench build"):
        Benchmark.load(tmp_path / "missing.npz")


def test_build_jobs_cover_all_unique_cells():
    jobs = build_jobs()
    seed0 = [a for a, s in jobs if s == 0]
    assert len(seed0) == len(set(seed0)) == 7_005
    assert sum(s == 1 for _, s in jobs) == sum(s == 2 for _, s in jobs) == 500


# ---- the bundled benchmark -------------------------------------------------------------------
bundled = pytest.mark.skipif(not BUNDLED.exists(), reason="bundled benchmark not packed yet")


@bundled
def test_bundled_schema_and_resolution():
    b = Benchmark.load()
    assert b.meta["name"] == "mnist1d-201" and b.settings == SETTINGS
    assert b.row.shape == (15_625,) and b.trained.shape == (7_005,)
    assert b.meta["pilot"]["spread"] > 5 * b.meta["pilot"]["noise"]
    assert b.complete, "the bundled benchmark must hold every network (seed 0)"
    assert b.available().all() and len(b.seeds) >= 3
    for metric in ("val_acc", "test_acc", "train_seconds", "latency_ms", "params", "flops"):
        assert np.isfinite(b.array(metric)).all(), metric
    assert (b.array("train_seconds") > 0).all()
    assert BUNDLED.stat().st_size < 10e6


@bundled
def test_bundled_retrain_two_cells():
    """Retraining reproduces stored values bit for bit on the CPU model that built the
    benchmark (same torch, 1 thread); elsewhere within seed noise."""
    b = Benchmark.load()
    rows = verify(2, seed=0, bench=b)
    same = (b.meta["machine"]["processor"] == cpu_model()
            and b.meta["machine"]["torch"] == __import__("torch").__version__)
    for r in rows:
        if same:
            assert r["diff_val_acc"] == 0 and r["test_acc"] == r["stored_test_acc"], r
        else:
            assert abs(r["diff_val_acc"]) < 5, r


def test_analysis_helpers(tiny_bench):
    b = Benchmark.load(tiny_bench)
    freq = op_frequencies(b, top=0.34)
    assert set(freq) == set(SPACE.OPS)
    assert abs(sum(t for t, _ in freq.values()) - 1) < 1e-9
    assert abs(sum(a for _, a in freq.values()) - 1) < 1e-9
    with pytest.raises(ValueError, match="top"):
        op_frequencies(b, top=0)
    with pytest.raises(ValueError, match="only 1 cells"):
        seed_rank_correlation(b)  # only one cell has two seeds in the tiny build


def _synthetic_build(out, n_cells: int, seeds, noise: float, rng) -> np.ndarray:
    """results.jsonl with known cell means and Gaussian seed noise (TINY's 2 epochs)."""
    cells = [SPACE.format(a) for a in SPACE.unique_archs()[:n_cells]]
    means = np.linspace(80, 98, n_cells)
    out.mkdir()
    with open(out / "results.jsonl", "w") as fh:
        for c, m in zip(cells, means):
            for s in seeds:
                v = float(m + noise * rng.standard_normal())
                rec = {"arch": c, "seed": s, "train_loss": [1, 0.5], "train_acc": [50, v],
                       "val_loss": [1, 0.5], "val_acc": [50, v], "test_acc": v,
                       "train_seconds": 1.0}
                if s == 0:
                    rec.update(params=100, flops=1000, latency_ms=0.1)
                fh.write(json.dumps(rec) + "\n")
    return means


def test_seed_statistics_recover_known_noise(tmp_path):
    rng = np.random.default_rng(0)
    _synthetic_build(tmp_path / "b", 400, (0, 1, 2), noise=0.5, rng=rng)
    b = Benchmark.load(pack(tmp_path / "b", tmp_path / "b.npz", allow_partial=True,
                            settings=TINY))
    table = seed_table(b)
    assert table.shape == (400, 3)  # benchmark row order: here the means rise with the row
    assert np.corrcoef(table.mean(axis=1), np.arange(400))[0, 1] > 0.99
    assert np.array_equal(seed_table(b, "train_acc"), table)  # same runs, same rows
    n = seed_noise(b)
    assert n["n_cells"] == 400 and n["n_seeds"] == 3
    assert n["within_sd"] == pytest.approx(0.5 * 0.886, rel=0.1)  # E[sd] of 3 normals
    assert n["between_sd"] == pytest.approx(np.linspace(80, 98, 400).std(), rel=0.05)
    assert n["ratio_ci"][0] < n["ratio"] < n["ratio_ci"][1]
    assert n["resolvable"] == pytest.approx(1.96 * np.sqrt(2) * n["within_sd"])
    assert set(n["seed_means"]) == {0, 1, 2}
    assert max(n["seed_means"].values()) - min(n["seed_means"].values()) < 0.2
    everything = seed_rank_correlation(b)
    best = seed_rank_correlation(b, top=0.05)  # 20 cells spanning ~0.9 pp: noise dominates
    assert everything["n_pairs"] == 3 and best["n_cells"] == 20
    assert everything["spearman_rho"] > 0.99 and best["spearman_rho"] < 0.8
    assert everything["mean_abs_diff"] == pytest.approx(0.5 * 2 / np.sqrt(np.pi), rel=0.15)
    assert seed_noise(b, top=0.05)["between_sd"] < n["between_sd"]
    for bad in (dict(top=0), dict(top=1.5), dict(metric="params")):
        with pytest.raises(ValueError, match="top|metric"):
            seed_noise(b, **bad)


def test_remeasured_latency_is_packed(tiny_build, tmp_path):
    import shutil

    out, cells, _ = tiny_build
    work = tmp_path / "b"
    shutil.copytree(out, work)
    path = remeasure_latency(work, TINY, passes=2, min_run_time=0.01, progress=False)
    lat = json.loads(path.read_text())["latency_ms"]
    assert set(lat) == set(cells) and all(v > 0 for v in lat.values())
    b = Benchmark.load(pack(work, tmp_path / "b.npz", allow_partial=True, settings=TINY))
    assert b.meta["latency_source"].startswith("remeasured")
    assert b.query(cells[0])["latency_ms"] == pytest.approx(lat[cells[0]], rel=1e-6)


def test_latency_remeasure_resumes(tiny_build, tmp_path, monkeypatch):
    import shutil

    import nas_lessons.benchmark as B

    out, cells, _ = tiny_build
    work = tmp_path / "b"
    shutil.copytree(out, work)
    calls = []
    real = B.measure_latency

    def interrupted(*args, **kw):
        if len(calls) == 4:  # pass 0 done (3 cells), stopped during pass 1
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(B, "measure_latency", interrupted)
    with pytest.raises(KeyboardInterrupt):
        remeasure_latency(work, TINY, passes=2, min_run_time=0.01, progress=False)
    saved = json.loads((work / "latency.partial.json").read_text())
    assert [v is not None for v in saved["sweeps"][1]] == [True, False, False]
    saved["sweeps"][0][2] = 1e-6  # a planted pass-0 value: the result must keep it
    (work / "latency.partial.json").write_text(json.dumps(saved))
    counted = []
    monkeypatch.setattr(B, "measure_latency", lambda *a, **k: counted.append(1) or real(*a, **k))
    path = remeasure_latency(work, TINY, passes=2, min_run_time=0.01, progress=False)
    assert len(counted) == 2  # only the two missing pass-1 measurements
    lat = json.loads(path.read_text())["latency_ms"]
    assert lat[sorted(cells)[2]] == pytest.approx(1e-6, abs=1e-5)
    assert not (work / "latency.partial.json").exists()
    with pytest.raises(ValueError, match="passes"):
        remeasure_latency(work, TINY, passes=0, progress=False)


@bundled
def test_cli_bench_info(capsys):
    from nas_lessons.cli import main

    assert main(["bench", "info"]) == 0
    out = capsys.readouterr().out
    assert "unique cells trained" in out and "best trained cell: |" in out
    assert ("seed noise over" in out) == (len(Benchmark.load().seeds) > 1)
