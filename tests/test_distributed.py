"""One architecture search shared by many worker processes on a real PostgreSQL server
(`nas-lessons search --storage postgresql://...`): every trial evaluated exactly once, the
budget never exceeded — and a deliberately broken worker shows that the audit catches it."""

import subprocess
import sys

import optuna

WORKER = [sys.executable, "-m", "nas_lessons.cli", "search", "--objective", "bench"]


def _workers(url: str, study: str, budget: int, strategies, timeout: float = 600):
    procs = [subprocess.Popen([*WORKER, "--strategy", s, "--budget", str(budget), "--seed",
                               str(i), "--storage", url, "--study", study],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, s in enumerate(strategies)]
    outs = [p.communicate(timeout=timeout) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), [e for _, e in outs]
    return [o for o, _ in outs]


def _evaluated(outputs) -> int:
    return sum(int(line.split()[2]) for out in outputs for line in out.splitlines()
               if line.startswith("worker evaluated"))


def audit(url: str, study: str, budget: int, evaluated: int) -> list[str]:
    """What is wrong with a finished shared study: more or fewer completed trials than the
    budget, trials left running, or a different number of evaluations than completed
    trials (a trial evaluated twice, or one lost)."""
    trials = optuna.load_study(study_name=study, storage=url).trials
    S = optuna.trial.TrialState
    complete = sum(t.state == S.COMPLETE for t in trials)
    problems = []
    if complete != budget:
        problems.append(f"{complete} completed trials, budget {budget}")
    if any(t.state == S.RUNNING for t in trials):
        problems.append("trials left running")
    if evaluated != complete:
        problems.append(f"{evaluated} evaluations for {complete} completed trials")
    return problems


def test_four_workers_evaluate_each_trial_once_and_stop_at_the_budget(postgres_url):
    outs = _workers(postgres_url, "four", 200, ["re", "rs", "tpe", "re"])
    assert audit(postgres_url, "four", 200, _evaluated(outs)) == []
    trials = optuna.load_study(study_name="four", storage=postgres_url).trials
    over = [t for t in trials if t.user_attrs.get("over_budget")]
    assert len(over) <= 3 and all(t.state == optuna.trial.TrialState.FAIL for t in over)
    # a worker started after the budget is reached exits at once, saying so
    late = _workers(postgres_url, "four", 200, ["re"], timeout=120)[0]
    assert "worker evaluated 0 trial(s)" in late and "already holds its budget" in late
    assert audit(postgres_url, "four", 200, _evaluated(outs)) == []


def test_the_audit_catches_a_worker_that_ignores_the_budget(postgres_url):
    """A broken worker: it counts only its own trials, so two of them overshoot the budget."""
    outs = _workers(postgres_url, "broken", 20, ["rs"])
    broken = ("import optuna, sys; from nas_lessons.benchmark import Benchmark; "
              "from nas_lessons.optuna_bridge import suggest_arch; b = Benchmark.load(); "
              "s = optuna.load_study(study_name='broken', storage=sys.argv[1]); "
              "s.optimize(lambda t: b.query(suggest_arch(t))['val_acc'], n_trials=5); "
              "print('worker evaluated 5 trial(s)')")
    out = subprocess.run([sys.executable, "-c", broken, postgres_url], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    problems = audit(postgres_url, "broken", 20, _evaluated(outs) + _evaluated([out]))
    assert problems == ["25 completed trials, budget 20"]
