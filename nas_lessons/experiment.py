"""Experiments a thesis can report: search strategies compared at equal budget over many
seeds, with intervals, tests, figures and a report that follows the NAS best-practice
checklist of Lindauer & Hutter (JMLR 21(243), 2020) — and a class challenge that ranks
submitted strategies on held-out seeds.

    nas-lessons experiment compare --strategies rs,re,tpe --seeds 20 --budget 100 --out runs/cmp
    nas-lessons experiment challenge --strategies rs,re,mine.py:Mine --out runs/challenge

Every run of a strategy with a seed is an Optuna study in one storage (`search_worker`, the
worker of `nas-lessons search`): a killed experiment continues where it stopped and no trial
is counted twice. The course's strategies rebuild their state from the storage
(`StrategySampler`), so a continued experiment's results equal an uninterrupted one's; 'tpe'
runs Optuna's own `TPESampler`, which continues the study but with a freshly seeded random
state. The outputs are written from the storage at the end: `results.csv` (one
row per trial), `anytime.png/pdf` and `ecdf.png/pdf`, `table.md` and `table.tex`, `report.md`.
"""

from __future__ import annotations

import csv
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .search import BenchmarkObjective, TrainingObjective, stream_seed
from .stats import bootstrap_ci, holm, mann_whitney, mean_interval
from .utils import show_progress

__all__ = ["ExperimentConfig", "label", "run_experiment", "load_results", "summarize",
           "write_outputs", "CHALLENGE_SEEDS", "run_challenge", "CHECKLIST"]

#: strategies that take `feasible=` and reject infeasible proposals before evaluating them
CONSTRAINABLE = ("rs", "re")

#: what an experiment searches: NAS-Bench-201 cells (the course's strategies), or the
#: hyperparameters of lesson 08's SVM on digits or CNN on MNIST-1D (Optuna's samplers)
SPACES = ("nb201", "svm", "cnn")
HPO_SAMPLERS = {"svm": ("random", "tpe", "gp", "cmaes", "qmc", "grid"),
                "cnn": ("random", "tpe", "gp", "qmc")}

#: seeds of the class challenge: never the 0..N-1 that students tune their strategies on
CHALLENGE_SEEDS = tuple(range(1000, 1020))

#: Lindauer & Hutter (2020), Sec. 4: the best-practice checklist, condensed to the items an
#: experiment of this harness can satisfy or must leave to its author
CHECKLIST = [
    ("release code for the training pipeline, search space and NAS method",
     "the course's package; the command below reproduces every number"),
    ("use the same training pipeline, evaluation protocol and search space for all methods",
     "one objective for all strategies: {objective}"),
    ("compare at equal budgets", "{budget_text} for every strategy and seed"),
    ("report several runs with different seeds, with their spread",
     "{n_seeds} seeds per strategy; 95% bootstrap intervals; every run in results.csv"),
    ("include random search as a baseline", "{random_baseline}"),
    ("use statistical tests, corrected for multiple comparisons",
     "Mann-Whitney U against {baseline} on final regret (or best validation accuracy), "
     "Holm-adjusted p-values"),
    ("evaluate the returned architecture on data the search never saw",
     "the search selects on validation accuracy; the tables report the incumbent's test "
     "accuracy"),
    ("report the hyperparameters of each method and how they were tuned",
     "the strategies' defaults (see the package's docstrings); none was tuned for this run"),
    ("report the compute used, in time and hardware", "{machine}; wall time {wall:.0f} s"),
    ("ablate the components of a new method",
     "not done by this harness: run it again with each component removed"),
]


@dataclass(frozen=True)
class ExperimentConfig:
    """What an experiment runs: strategies (short names or `file.py:Class`), seeds, a budget
    of `budget` evaluations (and, with `time_budget`, of simulated training seconds as well)
    on `objective` ('bench': the mnist1d-201 table; 'train': really training each cell)."""

    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    budget: int = 100
    time_budget: float | None = None
    objective: str = "bench"
    max_latency_ms: float | None = None
    space: str = "nb201"

    def __post_init__(self) -> None:
        if not self.strategies:
            raise ValueError("give at least one strategy, e.g. rs,re")
        if len(set(self.strategies)) != len(self.strategies):
            raise ValueError(f"a strategy is listed twice: {','.join(self.strategies)}")
        if len(self.seeds) < 2:
            raise ValueError(f"need at least 2 seeds for intervals, got {len(self.seeds)}")
        if not isinstance(self.budget, int) or self.budget < 1:
            raise ValueError(f"budget must be a positive int, got {self.budget!r}")
        if self.time_budget is not None and not self.time_budget > 0:
            raise ValueError(f"time_budget must be > 0 seconds, got {self.time_budget!r}")
        if self.space not in SPACES:
            raise ValueError(f"space must be one of {', '.join(SPACES)}, got {self.space!r}")
        if self.space != "nb201":
            other = [s for s in self.strategies if s not in HPO_SAMPLERS[self.space]]
            if other:
                raise ValueError(f"on the {self.space} space the strategies are Optuna "
                                 f"samplers; allowed: {', '.join(HPO_SAMPLERS[self.space])}; "
                                 f"got {', '.join(other)}")
            if self.max_latency_ms is not None or self.time_budget is not None:
                raise ValueError("max_latency_ms and time_budget apply to the nb201 space")
        if self.objective not in ("bench", "train"):
            raise ValueError(f"objective must be 'bench' or 'train', got {self.objective!r}")
        if self.max_latency_ms is not None:
            if not self.max_latency_ms > 0:
                raise ValueError(f"max_latency_ms must be > 0, got {self.max_latency_ms!r}")
            if self.objective != "bench" or self.space != "nb201":
                raise ValueError("max_latency_ms needs the benchmark's latencies: "
                                 "objective 'bench'")
            other = [s for s in self.strategies if s not in CONSTRAINABLE]
            if other:
                raise ValueError(f"with max_latency_ms, strategies must reject infeasible "
                                 f"cells before evaluating them; allowed: "
                                 f"{', '.join(CONSTRAINABLE)}; got {', '.join(other)}")


def label(spec: str) -> str:
    """How a strategy is named in tables: its short name, or `file.py:Class` without the
    folders of a submitted file."""
    path, _, cls = spec.rpartition(":")
    return f"{Path(path).name}:{cls}" if path.endswith(".py") else spec


def _objective(config: ExperimentConfig):
    """The objective, and the strategies' constructor arguments (a latency constraint)."""
    if config.objective != "bench":
        return TrainingObjective(), {}
    from .benchmark import Benchmark

    bench = Benchmark.load()
    objective = BenchmarkObjective(bench)
    if config.max_latency_ms is None:
        return objective, {}
    limit = config.max_latency_ms
    latency = bench.array("latency_ms")
    allowed = latency <= limit
    if not allowed.any():
        raise ValueError(f"no cell of the benchmark meets {limit} ms; its latencies range "
                         f"{np.nanmin(latency):.3f}-{np.nanmax(latency):.3f} ms")
    # regret against the best *feasible* cell
    best = int(np.nanargmax(np.where(allowed, bench.array("val_acc"), np.nan)))
    objective.optimum = bench.query(bench.space.from_index(best))
    space = bench.space
    return objective, {"feasible": lambda arch: bool(allowed[space.index(arch)])}


def run_experiment(config: ExperimentConfig, out: str | Path, *, storage: str | None = None,
                   progress: bool | None = None) -> list[dict]:
    """Run (or continue) every strategy x seed of `config`, then write the outputs into
    `out`. The storage defaults to Optuna's journal file `out/experiment.log` (about four
    times as fast as SQLite per trial, see README); `config.json` records the settings,
    and continuing an experiment with other settings is refused. `progress`: a line per
    finished run (default: in a notebook, not under `course run`; `utils.show_progress`)."""
    progress = show_progress(progress)
    from .optuna_bridge import search_worker
    from .strategies import make_strategy

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "config.json"
    if saved.exists() and json.loads(saved.read_text()) != json.loads(json.dumps(asdict(config))):
        raise ValueError(f"{out} holds an experiment with other settings "
                         f"({saved.read_text().strip()}); use another --out")
    for name in config.strategies if config.space == "nb201" else ():
        make_strategy(name, seed=0)  # an unknown name or a broken class: fail before running
    saved.write_text(json.dumps(asdict(config)))
    storage = storage or f"journal://{out.resolve() / 'experiment.log'}"
    (out / "storage.txt").write_text(storage + "\n")
    if config.space != "nb201":
        return _run_hpo(config, out, storage, progress=progress)
    objective, kwargs = _objective(config)
    t0 = time.perf_counter()
    for name in config.strategies:
        for seed in config.seeds:
            _fail_interrupted(storage, f"{name} | seed {seed}")
            # the random stream depends on the strategy's label, not on where its file is
            n = search_worker(name, objective, config.budget, seed=stream_seed(label(name), seed),
                              storage=storage, study_name=f"{name} | seed {seed}",
                              seconds=config.time_budget, strategy_kwargs=kwargs)
            if progress:
                print(f"{name:12s} seed {seed:4d}: {n:4d} new trial(s)", flush=True)
    wall = time.perf_counter() - t0
    rows = load_results(config, storage, optimum=getattr(objective, "optimum", None))
    write_outputs(config, rows, out, wall_seconds=wall)
    return rows


def _hpo_objective(space: str, seed: int):
    """Lesson 08's objectives, each trial also recording a held-out test accuracy."""
    from . import hpo
    from .data import load_dataset

    if space == "cnn":
        return hpo.cnn_objective(load_dataset("mnist1d", seed=seed), epochs=4, seed=seed,
                                 prune=False)
    from sklearn.svm import SVC

    d = load_dataset("digits_flat", seed=seed)
    X, y = d.x_train.numpy()[:600], d.y_train.numpy()[:600]
    Xt, yt = d.x_test.numpy(), d.y_test.numpy()
    cv = hpo.svm_objective(X, y, folds=3, seed=seed)

    def objective(trial) -> float:
        value = cv(trial)  # selection: 3-fold CV accuracy on the 600 training images
        trial.set_user_attr("test_acc", 100.0 * SVC(**trial.params).fit(X, y).score(Xt, yt))
        return value

    return objective


def _run_hpo(config: ExperimentConfig, out: Path, storage: str, *, progress: bool
             ) -> list[dict]:
    """`run_experiment` for the HPO spaces: each (sampler, seed) is an Optuna study of
    `budget` completed trials. A continued study resumes with a freshly seeded sampler."""
    import optuna

    from . import hpo
    from .optuna_bridge import storage_for

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0 = time.perf_counter()
    for name in config.strategies:
        objective = None
        for seed in config.seeds:
            study_name = f"{name} | seed {seed}"
            _fail_interrupted(storage, study_name)
            study = optuna.create_study(
                storage=storage_for(storage), study_name=study_name, direction="maximize",
                sampler=hpo.make_sampler(name, seed=stream_seed(name, seed),
                                         n_trials=config.budget),
                pruner=optuna.pruners.NopPruner(), load_if_exists=True)
            left = config.budget - len(study.get_trials(
                states=(optuna.trial.TrialState.COMPLETE,)))
            if left > 0:
                objective = objective or _hpo_objective(config.space, config.seeds[0])
                study.optimize(objective, n_trials=left)
            if progress:
                print(f"{name:12s} seed {seed:4d}: {max(left, 0):4d} new trial(s)", flush=True)
    rows = load_results(config, storage, optimum=None)
    write_outputs(config, rows, out, wall_seconds=time.perf_counter() - t0)
    return rows


def _fail_interrupted(storage: str, study_name: str) -> None:
    """An experiment folder belongs to one process: a trial still RUNNING when it starts was
    left by a run that was killed, and is closed as failed so that it neither counts against
    the budget nor is replayed (the strategy proposes the same cell again)."""
    import optuna

    from .optuna_bridge import storage_for

    store = storage_for(storage)
    try:
        study_id = store.get_study_id_from_name(study_name)
    except KeyError:
        return
    for t in store.get_all_trials(study_id, states=(optuna.trial.TrialState.RUNNING,)):
        store.set_trial_state_values(t._trial_id, state=optuna.trial.TrialState.FAIL)


def load_results(config: ExperimentConfig, storage: str, *, optimum: dict | None) -> list[dict]:
    """One row per completed trial, in trial order per (strategy, seed): the cell (or the
    hyperparameters, as JSON), its
    validation and test accuracy, its cost, the incumbent (best validation so far) and its
    test accuracy, and regret (the optimum's validation accuracy minus the incumbent's;
    NaN without a known optimum)."""
    import optuna

    from .optuna_bridge import edge_params, storage_for
    from .spaces import NB201Space

    space = NB201Space()
    store = storage_for(storage)
    rows = []
    for name in config.strategies:
        for seed in config.seeds:
            study = optuna.load_study(study_name=f"{name} | seed {seed}", storage=store)
            done = sorted(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)),
                          key=lambda t: t.number)
            best, best_test, spent = -np.inf, np.nan, 0.0
            for k, t in enumerate(done, start=1):
                spent += t.user_attrs.get("cost", (t.datetime_complete
                                                   - t.datetime_start).total_seconds())
                if t.value > best:
                    best, best_test = t.value, t.user_attrs["test_acc"]
                what = (space.format(tuple(t.params[p] for p in edge_params()))
                        if config.space == "nb201" else json.dumps(t.params, sort_keys=True))
                rows.append({"strategy": name, "seed": seed, "trial": k, "arch": what,
                             "val_acc": t.value, "test_acc": t.user_attrs["test_acc"],
                             "cost_seconds": spent, "best_val": best, "best_test": best_test,
                             "regret": optimum["val_acc"] - best if optimum else np.nan})
    return rows


def _final(rows: list[dict], config: ExperimentConfig) -> dict[str, dict[str, np.ndarray]]:
    last = {}
    for r in rows:
        last[r["strategy"], r["seed"]] = r
    return {n: {k: np.array([last[n, s][k] for s in config.seeds])
                for k in ("regret", "best_test", "best_val", "trial", "cost_seconds")}
            for n in config.strategies}


def summarize(config: ExperimentConfig, rows: list[dict]) -> list[dict]:
    """Per strategy: mean final regret and incumbent test accuracy with 95% bootstrap
    intervals, and the Holm-adjusted p-value of a two-sided Mann-Whitney U test of its final
    regret against the baseline (random search if run, else the first strategy). Runs use
    independent random streams (`stream_seed`), so the samples are unpaired."""
    final = _final(rows, config)
    base = next((b for b in ("rs", "random") if b in config.strategies), config.strategies[0])
    others = [n for n in config.strategies if n != base]
    metric = "regret" if not np.isnan(final[base]["regret"]).any() else "best_val"
    p = [mann_whitney(final[n][metric], final[base][metric], alternative="two-sided")
         if np.ptp(np.r_[final[n][metric], final[base][metric]]) > 0 else 1.0 for n in others]
    adj = dict(zip(others, holm(p))) if others else {}
    out = []
    for n in config.strategies:
        f = final[n]
        row = {"strategy": label(n), "runs": len(config.seeds), "trials": float(f["trial"].mean()),
               "test_mean": float(f["best_test"].mean()),
               "test_ci": bootstrap_ci(f["best_test"]),
               "p_holm": adj.get(n, float("nan")), "baseline": label(base)}
        if metric == "regret":
            row |= {"regret_mean": float(f["regret"].mean()),
                    "regret_ci": bootstrap_ci(f["regret"])}
        out.append(row)
    return out


def _row(r: dict, *, has_regret: bool, dash: str) -> list[str]:
    """One table row's cells: strategy, runs, [regret], test accuracy, adjusted p."""
    ci = lambda m, lo_hi: f"{m:.2f} [{lo_hi[0]:.2f}, {lo_hi[1]:.2f}]"  # noqa: E731
    cells = [r["strategy"], str(r["runs"])]
    if has_regret:
        cells.append(ci(r["regret_mean"], r["regret_ci"]))
    return cells + [ci(r["test_mean"], r["test_ci"]),
                    dash if np.isnan(r["p_holm"]) else f"{r['p_holm']:.3g}"]


def _table_md(summary: list[dict]) -> str:
    base = summary[0]["baseline"]
    has_regret = "regret_mean" in summary[0]
    head = "| strategy | runs | final regret (pp), 95% CI | test acc. of incumbent (%), 95% CI | " \
           f"p vs {base} (Holm) |" if has_regret else \
        f"| strategy | runs | test acc. of incumbent (%), 95% CI | p vs {base} (Holm) |"
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in summary:
        lines.append("| " + " | ".join(_row(r, has_regret=has_regret, dash="—")) + " |")
    return "\n".join(lines) + "\n"


def _table_tex(summary: list[dict]) -> str:
    has_regret = "regret_mean" in summary[0]
    cols = "lr" + ("c" if has_regret else "") + "cc"
    head = ["Strategy", "Runs"] + (["Final regret (pp)"] if has_regret else []) + \
        ["Test accuracy (\\%)", f"$p$ vs {summary[0]['baseline']} (Holm)"]
    lines = ["\\begin{tabular}{" + cols + "}", "\\toprule", " & ".join(head) + " \\\\",
             "\\midrule"]
    for r in summary:
        cells = _row(r, has_regret=has_regret, dash="--")
        cells[0] = cells[0].replace("_", "\\_")
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def _save(fig, ax, stem: Path) -> None:
    """Legend, grid, and the figure as `stem`.png and `stem`.pdf."""
    import matplotlib.pyplot as plt

    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(stem.with_suffix(f".{ext}"), dpi=120)
    plt.close(fig)


def _figures(config: ExperimentConfig, rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = "regret" if not np.isnan(rows[0]["regret"]) else "best_val"
    what = "regret of the incumbent (pp)" if metric == "regret" else "best validation acc. (%)"
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for n in config.strategies:
        curves = [[r[metric] for r in rows if r["strategy"] == n and r["seed"] == s]
                  for s in config.seeds]
        length = min(len(c) for c in curves)
        m, half = mean_interval([c[:length] for c in curves])
        x = np.arange(1, length + 1)
        ax.plot(x, m, label=label(n))
        ax.fill_between(x, m - half, m + half, alpha=0.2)
    ax.set(xscale="log", xlabel="evaluations (log)", ylabel=what,
           title=f"mean and 95% interval over {len(config.seeds)} seeds")
    if metric == "regret":
        ax.set_yscale("symlog", linthresh=0.1)
    _save(fig, ax, out / "anytime")
    final = _final(rows, config)
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for n in config.strategies:
        v = np.sort(final[n][metric])
        ax.step(v, np.arange(1, len(v) + 1) / len(v), where="post", label=label(n))
    ax.set(xlabel=f"final {what}", ylabel="share of runs")
    _save(fig, ax, out / "ecdf")


def _machine() -> str:
    from .hardware import machine_info

    m = machine_info()
    return f"{m['processor']}, {m['cpu_count']} cores, {m['platform']}"


def write_outputs(config: ExperimentConfig, rows: list[dict], out: Path, *,
                  wall_seconds: float) -> list[dict]:
    """results.csv, the figures, table.md, table.tex and report.md (see the module doc)."""
    import optuna
    import torch

    from . import __version__

    with (out / "results.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    summary = summarize(config, rows)
    (out / "table.md").write_text(_table_md(summary))
    (out / "table.tex").write_text(_table_tex(summary))
    _figures(config, rows, out)
    budget_text = f"{config.budget} evaluations" + (
        f" under a latency limit of {config.max_latency_ms:g} ms (infeasible cells rejected "
        "before evaluation; regret against the best feasible cell)"
        if config.max_latency_ms else "") + (
        f" or {config.time_budget:g} s of simulated training, whichever ends first"
        if config.time_budget else "")
    objectives = {"svm": "3-fold CV accuracy of an RBF SVM on 600 digits (test: the digits "
                         "test split)",
                  "cnn": "validation accuracy of a CNN trained 4 epochs on MNIST-1D",
                  "bench": "the mnist1d-201 benchmark (validation accuracy of seed 0, its "
                           "recorded training time as cost)",
                  "train": "training each cell with the benchmark's recipe"}
    fill = {"objective": objectives[config.space if config.space != "nb201"
                                    else config.objective],
            "budget_text": budget_text, "n_seeds": len(config.seeds),
            "random_baseline": "random search is included"
            if {"rs", "random"} & set(config.strategies)
            else "NOT included: add rs (or random) to --strategies",
            "baseline": summary[0]["baseline"],
            "machine": _machine(), "wall": wall_seconds}
    command = ("nas-lessons experiment compare --strategies " + ",".join(config.strategies)
               + f" --seeds {len(config.seeds)} --seed-start {config.seeds[0]}"
               + f" --budget {config.budget}"
               + (f" --time-budget {config.time_budget:g}" if config.time_budget else "")
               + (f" --max-latency-ms {config.max_latency_ms:g}" if config.max_latency_ms
                  else "")
               + (f" --space {config.space}" if config.space != "nb201" else "")
               + f" --objective {config.objective} --out {out.name}")
    lines = [f"# Experiment: {', '.join(config.strategies)}", "",
             f"Written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by nas_lessons "
             f"{__version__} (Python {platform.python_version()}, torch {torch.__version__}, "
             f"optuna {optuna.__version__}).", "", "Reproduce:", "", "```bash", command, "```",
             "", "## Results", "", _table_md(summary).rstrip(), "",
             "![anytime](anytime.png) ![final](ecdf.png)", "",
             "## Best-practice checklist (Lindauer & Hutter, JMLR 2020)", ""]
    for item, how in CHECKLIST:
        text = how.format(**fill)
        done = "NOT" not in text and "not done" not in text
        lines.append(f"- [{'x' if done else ' '}] **{item}** — {text}")
    (out / "report.md").write_text("\n".join(lines) + "\n")
    return summary


def run_challenge(strategies: list[str], out: str | Path, *, budget: int = 100,
                  seeds: tuple[int, ...] = CHALLENGE_SEEDS, storage: str | None = None,
                  progress: bool | None = None) -> list[dict]:
    """A class challenge: every strategy (built-in names and submitted `file.py:Class`) runs
    under one fixed budget on held-out seeds (`CHALLENGE_SEEDS`, never the ones students
    tune on); the leaderboard ranks them by the mean test accuracy of the cell each run
    returns — on the benchmark's held-out split, averaged over the training seeds the
    benchmark has for that cell — with 95% bootstrap intervals and Holm-adjusted p-values
    against the leader. Writes the experiment's outputs plus `leaderboard.md` and `.csv`."""
    progress = show_progress(progress)
    config = ExperimentConfig(strategies=tuple(strategies), seeds=tuple(seeds), budget=budget)
    rows = run_experiment(config, out, storage=storage, progress=progress)
    from .benchmark import Benchmark

    bench = Benchmark.load()
    final = {}
    for r in rows:
        final[r["strategy"], r["seed"]] = r
    score = {}
    for n in config.strategies:
        incumbents = []
        for s in config.seeds:
            last = [r for r in rows if r["strategy"] == n and r["seed"] == s]
            best = max(last, key=lambda r: r["val_acc"])  # first of equals
            incumbents.append(bench.query(best["arch"], seed="mean")["test_acc"])
        score[n] = np.array(incumbents)
    order = sorted(config.strategies, key=lambda n: -score[n].mean())
    leader = order[0]
    rest = order[1:]
    p = [mann_whitney(score[n], score[leader], alternative="two-sided")
         if np.ptp(np.r_[score[n], score[leader]]) > 0 else 1.0 for n in rest]
    adj = dict(zip(rest, holm(p))) if rest else {}
    board = [{"rank": k, "strategy": label(n), "test_mean": float(score[n].mean()),
              "test_ci": bootstrap_ci(score[n]), "p_vs_leader": adj.get(n, float("nan"))}
             for k, n in enumerate(order, start=1)]
    with (Path(out) / "leaderboard.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rank", "strategy", "test_mean", "ci_low", "ci_high", "p_vs_leader_holm"])
        for b in board:
            w.writerow([b["rank"], b["strategy"], f"{b['test_mean']:.3f}",
                        f"{b['test_ci'][0]:.3f}", f"{b['test_ci'][1]:.3f}",
                        f"{b['p_vs_leader']:.4g}"])
    lines = [f"# Leaderboard: {budget} evaluations, {len(seeds)} held-out seeds", "",
             "| rank | strategy | test accuracy of the returned cell (%), 95% CI | "
             "p vs leader (Holm) |", "|---|---|---|---|"]
    for b in board:
        p_txt = "—" if np.isnan(b["p_vs_leader"]) else f"{b['p_vs_leader']:.3g}"
        lines.append(f"| {b['rank']} | {b['strategy']} | {b['test_mean']:.2f} "
                     f"[{b['test_ci'][0]:.2f}, {b['test_ci'][1]:.2f}] | {p_txt} |")
    (Path(out) / "leaderboard.md").write_text("\n".join(lines) + "\n")
    if progress:
        print("\n".join(lines), file=sys.stdout)
    return board
