"""The thesis harness: `nas-lessons experiment compare|challenge` end to end on the benchmark."""

import csv
import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import optuna
import pytest

from nas_lessons.cli import main
from nas_lessons.experiment import ExperimentConfig, run_challenge, run_experiment
from nas_lessons.optuna_bridge import storage_for
from nas_lessons.strategies import load_strategy_class

WEAK = textwrap.dedent("""
    from nas_lessons.strategies import Strategy


    class OnlyPooling(Strategy):
        '''Proposes cells built from pooling and skips only: no convolution ever.'''

        def ask(self):
            return tuple(self.rng.choice(["avg_pool_3x3", "skip_connect"]) for _ in range(6))
""")

BROKEN = {
    "no_tell": "class S:\n    def __init__(self, seed=0): pass\n    def ask(self): "
               "return ('none',) * 6\n",
    "bad_ask": "from nas_lessons.strategies import Strategy\nclass S(Strategy):\n"
               "    def ask(self): return 'conv7x7'\n",
    "no_seed": "from nas_lessons.strategies import Strategy\nclass S(Strategy):\n"
               "    def __init__(self): super().__init__()\n"
               "    def ask(self): return ('none',) * 6\n",
    "unseeded": "import random\nfrom nas_lessons.strategies import Strategy\n"
                "class S(Strategy):\n    def ask(self):\n"
                "        return tuple(random.choice(self.space.OPS) for _ in range(6))\n",
}


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_compare_writes_every_output(tmp_path):
    config = ExperimentConfig(strategies=("rs", "re"), seeds=(0, 1, 2), budget=12)
    run_experiment(config, tmp_path, progress=False)
    rows = _rows(tmp_path / "results.csv")
    assert len(rows) == 2 * 3 * 12
    for name in ("anytime.png", "anytime.pdf", "ecdf.png", "ecdf.pdf"):
        assert (tmp_path / name).stat().st_size > 1000
    table = (tmp_path / "table.md").read_text().splitlines()
    assert len(table) == 4 and table[2].startswith("| rs | 3 |")
    assert "\\begin{tabular}" in (tmp_path / "table.tex").read_text()
    report = (tmp_path / "report.md").read_text()
    assert "Lindauer & Hutter" in report and "nas-lessons experiment compare" in report
    for r in rows:  # regret is the optimum minus the incumbent, never negative
        assert float(r["regret"]) >= 0 and float(r["best_val"]) >= float(r["val_acc"]) - 1e-9
    # running it again adds nothing and rewrites the same results
    run_experiment(config, tmp_path, progress=False)
    assert _rows(tmp_path / "results.csv") == rows


def test_a_killed_experiment_continues_to_the_same_results(tmp_path):
    args = ["experiment", "compare", "--strategies", "rs,re", "--seeds", "2",
            "--budget", "60"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "nas_lessons.cli", *args, "--out", str(cut)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill it inside the second strategy's runs
        try:
            if optuna.load_study(study_name="re | seed 0",
                                 storage=storage_for(f"journal://{cut / 'experiment.log'}")
                                 ).trials:
                break
        except (KeyError, FileNotFoundError, ValueError):
            pass
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (cut / "results.csv").exists()
    assert main([*args, "--out", str(cut)]) == 0
    assert _rows(cut / "results.csv") == _rows(tmp_path / "whole" / "results.csv")


@pytest.mark.parametrize("argv, message", [
    (["--strategies", "rs,foo"], "unknown strategy 'foo'"),
    (["--strategies", "rs", "--seeds", "1"], "--seeds must be at least 2"),
    (["--strategies", "rs", "--budget", "0"], "budget must be a positive int"),
    (["--strategies", "rs,rs"], "listed twice"),
    (["--strategies", "rs", "--time-budget", "-5"], "time_budget must be > 0"),
    (["--strategies", "missing.py:Mine"], "no file missing.py"),
])
def test_bad_arguments_give_one_line_errors(tmp_path, capsys, argv, message):
    assert main(["experiment", "compare", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("error:")


def test_continuing_with_other_settings_is_refused(tmp_path, capsys):
    base = ["experiment", "compare", "--strategies", "rs", "--seeds", "2", "--out",
            str(tmp_path)]
    assert main([*base, "--budget", "5"]) == 0
    assert main([*base, "--budget", "6"]) == 2
    assert "other settings" in capsys.readouterr().err


def test_time_budget_stops_each_run(tmp_path):
    config = ExperimentConfig(strategies=("rs",), seeds=(0, 1), budget=500, time_budget=100.0)
    rows = run_experiment(config, tmp_path, progress=False)
    for seed in (0, 1):
        costs = [r["cost_seconds"] for r in rows if r["seed"] == seed]
        assert costs[-1] >= 100.0 > costs[-2]  # the trial that crosses the budget counts
        assert len(costs) < 500


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_class_that_breaks_the_interface_is_rejected(tmp_path, kind):
    path = tmp_path / f"{kind}.py"
    path.write_text(BROKEN[kind])
    with pytest.raises(TypeError, match="breaks the ask/tell interface"):
        load_strategy_class(f"{path}:S")


def test_challenge_ranks_a_weak_strategy_below_evolution(tmp_path, capsys):
    weak = tmp_path / "weak.py"
    weak.write_text(WEAK)
    board = run_challenge(["re", "rs", f"{weak}:OnlyPooling"], tmp_path / "out", budget=25,
                          seeds=(1000, 1001, 1002, 1003), progress=False)
    rank = {b["strategy"]: b["rank"] for b in board}
    assert rank["weak.py:OnlyPooling"] == 3 and rank["re"] < 3  # shown without its folders
    text = (tmp_path / "out" / "leaderboard.md").read_text()
    assert "held-out seeds" in text and "OnlyPooling" in text
    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN["bad_ask"])
    assert main(["experiment", "challenge", "--strategies", f"re,{broken}:S", "--seeds", "2",
                 "--out", str(tmp_path / "x")]) == 2
    assert "breaks the ask/tell interface" in capsys.readouterr().err


def test_a_latency_limit_is_never_exceeded_and_regret_is_against_feasible_cells(tmp_path):
    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    limit = float(np.nanmedian(bench.array("latency_ms")))
    config = ExperimentConfig(strategies=("rs", "re"), seeds=(0, 1), budget=15,
                              max_latency_ms=limit)
    rows = run_experiment(config, tmp_path, progress=False)
    assert all(bench.query(r["arch"])["latency_ms"] <= limit for r in rows)
    assert all(r["regret"] >= 0 for r in rows)
    unconstrained = bench.optimum("val_acc")["val_acc"]
    assert max(r["val_acc"] + r["regret"] for r in rows) < unconstrained  # a lower optimum
    assert "latency limit" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("kw, message", [
    ({"strategies": ("tpe",), "max_latency_ms": 1.0}, "allowed: rs, re"),
    ({"strategies": ("rs",), "max_latency_ms": 1.0, "objective": "train"}, "objective 'bench'"),
    ({"strategies": ("rs",), "max_latency_ms": -1.0}, "must be > 0"),
])
def test_latency_limit_errors(kw, message):
    with pytest.raises(ValueError, match=message):
        ExperimentConfig(seeds=(0, 1), **kw)


def test_an_impossible_latency_limit_says_the_range(tmp_path):
    with pytest.raises(ValueError, match="latencies range"):
        run_experiment(ExperimentConfig(strategies=("rs",), seeds=(0, 1), max_latency_ms=1e-6),
                       tmp_path, progress=False)


def test_hpo_samplers_on_the_svm_space(tmp_path):
    config = ExperimentConfig(strategies=("random", "tpe"), seeds=(0, 1), budget=6,
                              space="svm")
    rows = run_experiment(config, tmp_path, progress=False)
    assert len(rows) == 2 * 2 * 6
    assert all(set(json.loads(r["arch"])) == {"C", "gamma", "tol"} for r in rows)
    assert all(0 < r["test_acc"] <= 100 and np.isnan(r["regret"]) for r in rows)
    table = (tmp_path / "table.md").read_text()
    assert "p vs random" in table and "regret" not in table
    # continuing adds nothing
    assert len(run_experiment(config, tmp_path, progress=False)) == len(rows)


def test_hpo_space_errors(capsys):
    with pytest.raises(ValueError, match="Optuna samplers; allowed: random"):
        ExperimentConfig(strategies=("re",), seeds=(0, 1), space="svm")
    with pytest.raises(ValueError, match="space must be one of"):
        ExperimentConfig(strategies=("rs",), seeds=(0, 1), space="darts")
