"""The shipped experiment results are what their scripts compute: the rows that depend on no
floating-point path (pure Python and NumPy lookups) are recomputed here and must match exactly;
every file has the runs its lesson reads."""

import importlib.util
import json
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest

from nas_lessons.benchmark import Benchmark, stored_results

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _records(name: str) -> list[dict]:
    return [json.loads(line) for line in files("nas_lessons.assets").joinpath(name).open()]


def test_search_comparison_is_complete_and_made_on_the_bundled_benchmark():
    recs = stored_results("search_comparison.jsonl", bench=Benchmark.load(),
                          script="benchmarks/search_comparison.py")
    # every run that used the table carries its stamp (the controller runs do not use it)
    assert all(("benchmark" in r) == (r["part"] != "controller") for r in recs)
    counts = Counter((r["part"], r["variant"]) for r in recs)
    script = _script("search_comparison")
    for name in script.STRATEGIES:
        assert counts["strategies", name] >= 30, name
    for variant in script.CONTROLLER["variants"]:
        assert counts["controller", variant] >= 10, variant
    assert sum(n for (part, _), n in counts.items() if part == "ageing") >= 6 * 30


@pytest.mark.parametrize("name", ["rs", "re", "ls", "hyperband"])
def test_search_comparison_rows_reproduce(name):
    """Random search, evolution, local search and Hyperband are pure Python on the table:
    their rows reproduce bit for bit on any machine."""
    script = _script("search_comparison")
    bench = Benchmark.load()
    seconds = script.equal_time_budget(bench)
    for rec in [r for r in _records("search_comparison.jsonl")
                if r["part"] == "strategies" and r["variant"] == name][:3]:
        again = script.strategy_run(bench, name, rec["seed"], seconds)
        for key in ("arch", "evaluations", "unique", "networks", "regret", "curve"):
            assert again[key] == rec[key], (name, rec["seed"], key)


def test_ageing_rows_reproduce():
    script = _script("search_comparison")
    bench = Benchmark.load()
    rec = next(r for r in _records("search_comparison.jsonl")
               if r["part"] == "ageing" and r["noise_sd"] == 1.0 and not r["ageing"])
    again = script.ageing_run(bench, rec["ageing"], rec["noise_sd"], rec["seed"])
    assert again["best_true"] == rec["best_true"] and again["observed"] == rec["observed"]


def test_automl_levels_is_complete():
    script = _script("automl_levels")
    rows = _records("automl_levels.jsonl")
    for part, n in script.SEEDS.items():
        assert sorted(r["seed"] for r in rows if r["part"] == part) == list(range(n)), part
    assert all((r["trials"], r["epochs"]) == (script.NAS["trials"], script.NAS["epochs"])
               for r in rows if r["part"] == "nas")
    assert all((r["trials"], r["n_train"]) == (script.CASH["trials"], script.CASH["n_train"])
               for r in rows if r["part"] == "cash")


def test_automl_levels_cash_row_reproduces():
    """Level 4's seed 0 again: the same configuration chosen, the same test accuracy (up to
    one test image, for another CPU's floating point)."""
    script = _script("automl_levels")
    rec = next(r for r in _records("automl_levels.jsonl") if r["part"] == "cash"
               and r["seed"] == 0)
    again = script.cash_row(0)
    assert again["configs"] == rec["configs"] and again["defaults"] == rec["defaults"]
    for key in ("cash_cv", "cash_test", "default_cv", "default_test"):
        assert abs(again[key] - rec[key]) < 0.3, key


def test_automl_levels_manual_training_reproduces():
    """One of level 3's stored trainings again (the widened manual CNN, seed 0, 1 thread):
    bit for bit on the CPU that made it; elsewhere another floating-point path acts like
    another seed, so it must land within the spread of the same network's stored seeds."""
    from nas_lessons.data import load_dataset
    from nas_lessons.models import make_baseline
    from nas_lessons.training import train
    from nas_lessons.utils import seed_everything

    rec = next(r for r in _records("automl_levels.jsonl") if r["part"] == "nas"
               and r["seed"] == 0)
    first = rec["manual"][0]
    data = load_dataset("mnist1d", seed=0)
    seed_everything(first["seed"], threads=1)
    model = make_baseline("cnn", data.input_shape, 10, channels=first["arch"]["channels"])
    h = train(model, data, epochs=rec["epochs"], lr=1e-2, optimizer="adam", weight_decay=0.0,
              batch_size=128, seed=first["seed"])
    for key, got in (("val", h.val_acc[-1]), ("test", h.test_acc)):
        seeds = [m[key] for m in rec["manual"]]   # the same network, other seeds
        assert min(seeds) - 1.0 <= got <= max(seeds) + 1.0, (key, got, seeds)


def test_hw_search_is_complete_and_made_on_the_bundled_benchmark():
    script = _script("hw_search")
    bench = Benchmark.load()
    recs = stored_results("hw_search.jsonl", bench=bench, script="benchmarks/hw_search.py")
    counts = Counter((r["sampler"], r["dedup"]) for r in recs)
    for key in script.RUNS:
        assert counts[key] >= 10, key
    assert {r["benchmark"] for r in recs} == {bench.tag}
    assert all(len(r["index"]) == r["budget"] == script.BUDGET for r in recs)


def test_stored_results_refuse_records_of_another_benchmark():
    bench = Benchmark.load()
    other = Benchmark(dict(bench._arrays), {**bench.meta, "sha256": "0" * 64})
    assert other.tag == f"v{bench.version} 000000000000" != bench.tag
    with pytest.raises(ValueError, match=r"made on \['v\d+ [0-9a-f]{12}'\].*"
                                         r"rerun benchmarks/hw_search.py"):
        stored_results("hw_search.jsonl", bench=other, script="benchmarks/hw_search.py")
    # records without a stamp (the controller runs) count on any benchmark
    with pytest.raises(ValueError, match="search_comparison.py"):
        stored_results("search_comparison.jsonl", bench=other,
                       script="benchmarks/search_comparison.py")


@pytest.mark.parametrize("sampler, dedup", [("random", False), ("nsga2", False)])
def test_hw_search_rows_reproduce(sampler, dedup):
    """Optuna's samplers with a seed on the table: the stored sequence of cells reproduces."""
    script = _script("hw_search")
    rec = next(r for r in _records("hw_search.jsonl")
               if r["sampler"] == sampler and r["dedup"] == dedup and r["seed"] == 1)
    again = script.run(Benchmark.load(), sampler, dedup, 1)
    assert again["index"] == rec["index"] and again["trials_drawn"] == rec["trials_drawn"]


def test_darts_space_is_complete_and_each_genotype_is_what_its_alphas_derive():
    from nas_lessons.ops import DARTS_OPS

    script = _script("darts_space")
    recs = _records("darts_space.jsonl")
    assert Counter((r["variant"], r["seed"]) for r in recs) == {
        (v, s): 1 for v in script.VARIANTS for s in (0, 1, 2)}
    tol = 1e-4   # the stored softmax weights are rounded to 4 decimals: ties within it pass
    for r in recs:
        assert len(r["val_acc"]) == r["epochs_run"] <= r["epochs"]
        for kind in ("normal", "reduce"):
            w = [[p if op != "none" else -1.0 for p, op in zip(row, DARTS_OPS)]
                 for row in r[f"alpha_{kind}"]]
            start = 0
            for node in range(4):
                rows = w[start: start + 2 + node]
                chosen = r[kind][2 * node: 2 * node + 2]
                kept = {j for _, j in chosen}
                for op, j in chosen:   # the strongest non-none op of a strongest edge
                    assert rows[j][DARTS_OPS.index(op)] >= max(rows[j]) - tol
                    assert all(max(rows[j]) >= max(rows[k]) - tol
                               for k in range(len(rows)) if k not in kept)
                start += 2 + node
