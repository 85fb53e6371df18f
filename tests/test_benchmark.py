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
    NotInBenchmark,
    build,
    build_jobs,
    noise_report,
    op_frequencies,
    pack,
    pilot_jobs,
    pilot_report,
    read_pilot,
    read_results,
    read_train_time,
    remeasure_latency,
    remeasure_train_seconds,
    run_pilot,
    seed_noise,
    seed_rank_correlation,
    seed_table,
    selection_bias,
    snapshot,
    verify,
)
from nas_lessons.hardware import cpu_model
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


@pytest.fixture(scope="module")
def tiny(tiny_bench):
    return Benchmark.load(tiny_bench)


def test_pack_marks_a_partial_build(tiny):
    assert not tiny.complete and int(tiny.trained.sum()) == 3 and tiny.seeds == [0, 1]
    assert tiny.version == 3 and "v3" in repr(tiny)


def test_query_returns_the_last_epoch_by_default(tiny, tiny_build):
    _, cells, _ = tiny_build
    r = tiny.query(cells[0])
    rec = next(x for x in read_results(tiny_build[0]) if x["arch"] == cells[0]
               and x["seed"] == 0)
    assert r["epoch"] == TINY.epochs and r["params"] == rec["params"] > 0
    assert r["val_acc"] == pytest.approx(rec["val_acc"][-1], abs=1e-4)
    assert r["n_seeds"] == 1 and r["seed"] == 0


def test_query_at_an_earlier_epoch_costs_its_share_of_the_time(tiny, tiny_build):
    _, cells, _ = tiny_build
    full, half = tiny.query(cells[0]), tiny.query(cells[0], epoch=1)
    assert half["train_seconds"] == pytest.approx(full["train_seconds"] / 2)
    rec = next(x for x in read_results(tiny_build[0]) if x["arch"] == cells[0]
               and x["seed"] == 0)
    for curve in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert half[curve] == pytest.approx(rec[curve][0], abs=1e-4), curve
        assert full[curve] == pytest.approx(rec[curve][-1], abs=1e-4), curve
    assert rec["train_loss"][0] != rec["train_loss"][-1]  # the epochs differ


def test_query_by_seed_reads_that_seeds_run(tiny, tiny_build):
    out, cells, _ = tiny_build
    recs = {x["seed"]: x for x in read_results(out) if x["arch"] == cells[0]}
    for seed in (0, 1):
        assert tiny.query(cells[0], seed=seed)["test_acc"] == pytest.approx(
            recs[seed]["test_acc"], abs=1e-4)


def test_query_mean_averages_the_seeds_a_cell_has(tiny, tiny_build):
    _, cells, _ = tiny_build
    m = tiny.query(cells[0], seed="mean")
    want = (tiny.query(cells[0], seed=0)["test_acc"] + tiny.query(cells[0], seed=1)["test_acc"])
    assert m["test_acc"] == pytest.approx(want / 2) and m["n_seeds"] == 2
    single = tiny.query(cells[1], seed="mean")  # a cell trained with seed 0 only
    assert single["n_seeds"] == 1 and single["test_acc"] == tiny.query(cells[1])["test_acc"]


@pytest.mark.parametrize("kwargs,match", [
    (dict(seed=7), "seed 7 not in this benchmark"),
    (dict(seed=True), "not in this benchmark"),
    (dict(epoch=3), "epoch must be in 1..2"),
    (dict(epoch=0), "epoch must be in 1..2"),
])
def test_query_rejects_bad_seeds_and_epochs(tiny, tiny_build, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny.query(tiny_build[1][0], **kwargs)


def test_query_says_which_seed_a_cell_lacks(tiny, tiny_build):
    with pytest.raises(ValueError, match="seed 1 was not trained"):
        tiny.query(tiny_build[1][1], seed=1)


def test_query_of_an_untrained_cell_raises_not_in_benchmark(tiny):
    with pytest.raises(NotInBenchmark, match="partial benchmark"):
        tiny.query(SPACE.unique_archs()[-1])


def test_query_rejects_an_unknown_op(tiny):
    with pytest.raises(ValueError, match="unknown op 'conv'"):
        tiny.query("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_array_covers_every_arch_and_nan_where_untrained(tiny):
    v = tiny.array("val_acc")
    assert v.shape == (15_625,) and np.isfinite(v).sum() == tiny.available().sum() > 0
    assert tiny.optimum("val_acc")["val_acc"] == np.nanmax(v)
    with pytest.raises(ValueError, match="unknown metric 'accuracy'; allowed"):
        tiny.array("accuracy")


def test_per_cell_is_a_read_only_view(tiny):
    a = tiny.per_cell("val_acc")
    assert a.shape == (7_005, 2, TINY.epochs)
    with pytest.raises(ValueError, match="read-only"):
        a[0, 0, 0] = 1.0
    assert tiny.trained_with_every_seed().sum() == 1


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
    assert len(set(jobs)) == len(jobs) == 7_005 + 2 * 500
    # the noise subset (all its seeds) comes first, so a partial build already measures noise
    assert {s for _, s in jobs[:1_500]} == {0, 1, 2}
    assert {a for a, _ in jobs[:1_500]} == {a for a, s in jobs if s == 1}


# ---- the bundled benchmark -------------------------------------------------------------------
bundled = pytest.mark.skipif(not BUNDLED.exists(), reason="bundled benchmark not packed yet")


@bundled
def test_bundled_schema_and_resolution():
    b = Benchmark.load()
    assert b.meta["name"] == "mnist1d-201" and b.settings == SETTINGS
    assert b.row.shape == (15_625,) and b.trained.shape == (7_005,)
    assert b.complete, "the bundled benchmark must hold every network (seed 0)"
    assert b.available().all() and len(b.seeds) >= 3
    for metric in ("val_acc", "test_acc", "train_seconds", "latency_ms", "params", "flops"):
        assert np.isfinite(b.array(metric)).all(), metric
    assert (b.array("train_seconds") > 0).all()
    if b.meta["format_version"] >= 3:  # costs not stretched by what else ran during the build
        assert b.meta["train_seconds_source"].startswith("epochs x the fastest")
        assert b.meta["latency_source"].startswith("remeasured")
    assert BUNDLED.stat().st_size < 10e6


@bundled
def test_bundled_retrain_two_cells():
    """Retraining reproduces stored values bit for bit on the CPU model that built the
    benchmark (same torch, 1 thread); elsewhere within seed noise."""
    b = Benchmark.load()
    rows = verify(2, seed=0, bench=b)["cells"]
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
    path = remeasure_latency(work, settings=TINY, passes=2, min_run_time=0.01, progress=False)
    lat = json.loads(path.read_text())["latency_ms"]
    assert set(lat) == set(cells) and all(v > 0 for v in lat.values())
    b = Benchmark.load(pack(work, tmp_path / "b.npz", allow_partial=True, settings=TINY))
    assert b.meta["latency_source"].startswith("remeasured")
    assert b.query(cells[0])["latency_ms"] == pytest.approx(lat[cells[0]], rel=1e-6)


def test_remeasured_training_time_is_packed_for_every_seed(tiny_build, tmp_path, monkeypatch):
    import shutil

    out, cells, _ = tiny_build
    work = tmp_path / "b"
    shutil.copytree(out, work)
    assert remeasure_train_seconds(work, settings=TINY, workers=1, progress=False) == 3
    assert remeasure_train_seconds(work, settings=TINY, workers=1, progress=False) == 0
    assert snapshot(work, "train_time").name == "train_time.jsonl.gz"
    tt = {r["arch"]: r["epoch_cpu_seconds"] for r in read_train_time(work)}
    assert set(tt) == set(cells) and all(len(v) == 2 and min(v) > 0 for v in tt.values())
    b = Benchmark.load(pack(work, tmp_path / "b.npz", allow_partial=True, settings=TINY))
    assert b.meta["train_seconds_source"].startswith("epochs x the fastest of 2 epochs")
    for c in cells:
        assert b.query(c)["train_seconds"] == pytest.approx(TINY.epochs * min(tt[c]), rel=1e-5)
    # the cost of a cell is the same for every seed it was trained with
    assert b.query(cells[0], seed=1)["train_seconds"] == b.query(cells[0])["train_seconds"]
    without = Benchmark.load(pack(out, tmp_path / "w.npz", allow_partial=True, settings=TINY))
    assert without.meta["train_seconds_source"] == "wall-clock of the build"
    # a complete build (here: a space of these three cells) whose timings miss a cell
    (work / "train_time.jsonl.gz").unlink()
    lines = (work / "train_time.jsonl").read_text().splitlines()
    (work / "train_time.jsonl").write_text("\n".join(lines[:2]) + "\n")
    monkeypatch.setattr(NB201Space, "unique_archs",
                        lambda self: [SPACE.to_arch(c) for c in sorted(cells)])
    with pytest.raises(ValueError, match="1 cells of .* have no re-measured training time"):
        pack(work, tmp_path / "c.npz", settings=TINY)


def test_latency_remeasure_resumes(tiny_build, tmp_path, monkeypatch):
    import importlib
    import shutil

    # the module, not the function `build` that the package re-exports under its name
    B = importlib.import_module("nas_lessons.benchmark.build")

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
        remeasure_latency(work, settings=TINY, passes=2, min_run_time=0.01, progress=False)
    saved = json.loads((work / "latency.partial.json").read_text())
    assert [v is not None for v in saved["sweeps"][1]] == [True, False, False]
    saved["sweeps"][0][2] = 1e-6  # a planted pass-0 value: the result must keep it
    (work / "latency.partial.json").write_text(json.dumps(saved))
    counted = []
    monkeypatch.setattr(B, "measure_latency", lambda *a, **k: counted.append(1) or real(*a, **k))
    path = remeasure_latency(work, settings=TINY, passes=2, min_run_time=0.01, progress=False)
    assert len(counted) == 2  # only the two missing pass-1 measurements
    lat = json.loads(path.read_text())["latency_ms"]
    assert lat[sorted(cells)[2]] == pytest.approx(1e-6, abs=1e-5)
    assert not (work / "latency.partial.json").exists()
    with pytest.raises(ValueError, match="passes"):
        remeasure_latency(work, settings=TINY, passes=0, progress=False)


@bundled
def test_cli_bench_info(capsys):
    from nas_lessons.cli import main

    assert main(["bench", "info"]) == 0
    out = capsys.readouterr().out
    assert "unique cells trained" in out and "best trained cell: |" in out
    assert ("seed noise: over" in out) == (len(Benchmark.load().seeds) > 1)


# ---- the recipe pilot ------------------------------------------------------------------------
def _pilot_records(rng, *, noise: dict[str, float], thread_gap: dict[str, float],
                   n_cells: int = 40, epochs: int = 5, seconds: dict[str, float]) -> list:
    """Pilot records with known seed noise, thread gaps and costs per recipe."""
    cells = [SPACE.format(a) for a in SPACE.unique_archs()[:n_cells]]
    means = np.linspace(70, 98, n_cells)
    recs = []
    for name in noise:
        for c, m in zip(cells, means):
            for seed in (0, 1, 2):
                v = float(m + noise[name] * rng.standard_normal())
                curve = [v - 2 * (epochs - 1 - e) for e in range(epochs)]  # gains 2 pp/epoch
                recs.append({"recipe": name, "arch": c, "seed": seed, "threads": 1,
                             "val_acc": curve, "train_seconds": seconds[name]})
                if seed == 0:
                    recs.append({**recs[-1], "threads": 2,
                                 "val_acc": [*curve[:-1], v + thread_gap[name]]})
    return recs


def test_pilot_report_recovers_known_noise_and_picks_the_cheapest_that_meets_targets():
    rng = np.random.default_rng(0)
    recs = _pilot_records(rng, noise={"v2": 3.0, "good": 0.2, "better": 0.1, "noisy": 1.0},
                          thread_gap={"v2": 4.0, "good": 0.5, "better": 0.1, "noisy": 0.5},
                          seconds={"v2": 4.0, "good": 8.0, "better": 9.0, "noisy": 5.0})
    targets = {"within_sd": 0.5, "within_sd_top": 0.5, "thread_agreement": 0.95,
               "last_gain": 2.5, "cost_ratio": 2.5, "thread_tolerance": 1.5}
    rep = pilot_report(recs, targets=targets)
    rows = rep["recipes"]
    assert rows["v2"]["within_sd"] == pytest.approx(3.0 * 0.886, rel=0.15)
    assert rows["good"]["within_sd"] == pytest.approx(0.2 * 0.886, rel=0.15)
    assert rows["v2"]["thread_agreement"] == 0 and rows["good"]["thread_agreement"] == 1
    assert rows["good"]["cost_ratio"] == pytest.approx(2.0)
    assert rows["good"]["last_gain"] == pytest.approx(2.0)  # last 20% of 5 epochs: 1 epoch
    assert rows["better"]["spearman"] > rows["v2"]["spearman"]
    assert rows["noisy"]["missed"] == ["within_sd", "within_sd_top"]
    assert rep["chosen"] == "good" and "cheapest" in rep["reason"]


def test_pilot_report_takes_the_best_trade_off_when_nothing_meets_the_targets():
    rng = np.random.default_rng(1)
    recs = _pilot_records(rng, noise={"v2": 3.0, "slow": 0.1, "fast": 1.0},
                          thread_gap={"v2": 4.0, "slow": 0.1, "fast": 0.1},
                          seconds={"v2": 4.0, "slow": 20.0, "fast": 5.0})
    rep = pilot_report(recs)  # the real targets: median gain 2 pp > 0.5 misses everywhere
    assert rep["recipes"]["slow"]["missed"] == ["last_gain", "cost_ratio"]
    assert rep["chosen"] == "slow" and "no recipe meets every target" in rep["reason"]


def test_pilot_jobs_interleave_recipes_then_rerun_seed0_on_more_threads():
    one, other = pilot_jobs(["a", "b"], recipes=("r1", "r2"), seeds=(0, 1))
    assert one[:4] == [("r1", "a", 0, 1), ("r2", "a", 0, 1), ("r1", "a", 1, 1),
                       ("r2", "a", 1, 1)]
    assert len(one) == 8 and other == [("r1", "a", 0, 2), ("r2", "a", 0, 2),
                                       ("r1", "b", 0, 2), ("r2", "b", 0, 2)]
    with pytest.raises(ValueError, match="other_threads"):
        pilot_jobs(["a"], recipes=("r1",), other_threads=1)


def test_run_pilot_resumes_from_its_records(tmp_path):
    cells = [SPACE.format(a) for a in SPACE.unique_archs()[:2]]
    recipes = {"tiny": TINY, "tinier": replace(TINY, epochs=1)}
    n = run_pilot(tmp_path, cells, workers=1, recipes=recipes, seeds=(0, 1), progress=False)
    assert n == 2 * 2 * 2 + 2 * 2  # cells x seeds x recipes, then seed 0 on 2 threads
    recs = read_pilot(tmp_path)
    assert {(r["recipe"], r["threads"]) for r in recs} == {
        ("tiny", 1), ("tiny", 2), ("tinier", 1), ("tinier", 2)}
    assert all(len(r["val_acc"]) == recipes[r["recipe"]].epochs for r in recs)
    # a restart with no cells reads cells.json and has nothing left to do
    assert run_pilot(tmp_path, workers=1, recipes=recipes, seeds=(0, 1), progress=False) == 0
    with pytest.raises(ValueError, match="cells.json"):
        run_pilot(tmp_path / "other", workers=1, recipes=recipes, progress=False)


def test_build_refuses_a_folder_of_other_settings(tiny_build):
    out, _, jobs = tiny_build
    with pytest.raises(ValueError, match="other settings"):
        build(out, workers=1, settings=replace(TINY, epochs=3), jobs=jobs, progress=False)


def test_snapshot_merges_the_records_into_the_gz_file(tiny_build, tmp_path):
    import shutil

    from nas_lessons.benchmark import snapshot

    work = tmp_path / "b"
    shutil.copytree(tiny_build[0], work)
    path = snapshot(work)
    (work / "results.jsonl").unlink()
    assert path.name == "results.jsonl.gz" and len(read_results(work)) == 4


def test_selection_bias_is_the_luck_of_the_selected_cells(tmp_path):
    """Cells with equal true accuracy: the top-k by seed 0 are lucky on seed 0 only."""
    rng = np.random.default_rng(0)
    cells = [SPACE.format(a) for a in SPACE.unique_archs()[:300]]
    (tmp_path / "b").mkdir()
    with open(tmp_path / "b" / "results.jsonl", "w") as fh:
        for c in cells:
            for s in (0, 1, 2):
                v = float(90 + rng.standard_normal())
                rec = {"arch": c, "seed": s, "train_loss": [1, 0.5], "train_acc": [50, v],
                       "val_loss": [1, 0.5], "val_acc": [50, v], "test_acc": v,
                       "train_seconds": 1.0}
                fh.write(json.dumps(rec) + "\n")
    b = Benchmark.load(pack(tmp_path / "b", tmp_path / "b.npz", allow_partial=True,
                            settings=TINY))
    bias = selection_bias(b, ks=(1, 10, 300))
    assert bias["held_out_seeds"] == [1, 2]
    assert bias["by_k"][10]["bias"] > 1.5  # E[top 10 of 300 normals] is about 2.2 sd
    assert abs(bias["by_k"][10]["held_out"] - 90) < 0.5
    assert bias["by_k"][300]["bias"] == pytest.approx(0.0, abs=0.2)
    with pytest.raises(ValueError, match="k must be"):
        selection_bias(b, ks=(0,))


def _noisy_subset(path, *, overfit: bool) -> Benchmark:
    """120 good cells with little seed noise, 60 middling and 20 weak ones with much. The noisy
    runs are under-trained (training accuracy trails with validation) or, with `overfit`,
    over-fitted (training accuracy the same for every seed, validation accuracy not)."""
    rng = np.random.default_rng(0)
    cells = [SPACE.format(a) for a in SPACE.unique_archs()[:200]]
    path.mkdir()
    with open(path / "results.jsonl", "w") as fh:
        for k, c in enumerate(cells):
            level, noise = (97, 0.2) if k < 120 else (88, 2.0) if k < 180 else (70, 3.0)
            for s in (0, 1, 2):
                v = float(level + noise * rng.standard_normal())
                t = level + 5 if overfit else v + 2
                rec = {"arch": c, "seed": s, "train_loss": [1, 0.5], "train_acc": [50, t],
                       "val_loss": [1, 0.5], "val_acc": [50, v], "test_acc": v,
                       "train_seconds": 1.0}
                fh.write(json.dumps(rec) + "\n")
    return Benchmark.load(pack(path, path.with_suffix(".npz"), allow_partial=True,
                               settings=TINY))


def test_noise_report_finds_the_noise_in_the_weak_cells(tmp_path):
    """The bands and the noisiest share find the noise where it is, and the train/validation
    gaps tell an under-trained run from an over-fitted one."""
    rep = noise_report(_noisy_subset(tmp_path / "under", overfit=False), noisiest=0.1)
    assert rep["n_by_band"] == {"weak": 20, "middling": 60, "good": 120}
    assert min(rep["sd_weak"], rep["sd_middling"]) > 5 * rep["sd_good"]
    assert rep["n_noisy"] == 20 and rep["noisy_acc"] < 95  # the noisiest are not good cells
    assert rep["train_gap"] == pytest.approx(rep["val_gap"], abs=1e-3)  # under-trained ...
    assert rep["overfit_worst"] == pytest.approx(rep["overfit_best"], abs=1e-3)  # equal gaps
    over = noise_report(_noisy_subset(tmp_path / "over", overfit=True), noisiest=0.1)
    assert over["train_gap"] < 0.1 * over["val_gap"]  # over-fitted: training does not trail
    assert over["overfit_worst"] > over["overfit_best"] + 0.5 * over["val_gap"]
    with pytest.raises(ValueError, match="noisiest"):
        noise_report(over, noisiest=0)


def test_verify_on_another_thread_count_reports_agreement(tiny):
    rep = verify(1, threads=2, bench=tiny, tolerance=100.0)
    assert rep["threads"] == 2 and rep["within"] == 1 and len(rep["cells"]) == 1
    with pytest.raises(ValueError, match="sample"):
        verify(0, bench=tiny)


def test_each_recipe_is_packed_with_the_pilot_that_chose_it():
    from nas_lessons.benchmark import PILOT_RECIPES, V2_SETTINGS, V3_SETTINGS
    from nas_lessons.benchmark.analysis import pilot_ratio
    from nas_lessons.benchmark.pack import bundled_pilot

    v2, v3 = bundled_pilot(V2_SETTINGS), bundled_pilot(V3_SETTINGS)
    assert v2["n_cells"] == 50 and v3["chosen"] == "e20_b128_warm_clip"
    assert PILOT_RECIPES[v3["chosen"]] == V3_SETTINGS
    assert bundled_pilot(PILOT_RECIPES["e20_b256"]) == {}   # no pilot chose it
    assert pilot_ratio(v2) == v2["spread"] / v2["noise"]
    assert pilot_ratio(v3) == v3["recipes"]["e20_b128_warm_clip"]["ratio"]
    assert pilot_ratio({}) is None
