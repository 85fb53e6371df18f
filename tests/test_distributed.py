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


SLOW_WORKER = '''
import sys, time
from nas_lessons.benchmark import Benchmark
from nas_lessons.optuna_bridge import search_worker
from nas_lessons.search import BenchmarkObjective

url, study, pause, budget, seed = sys.argv[1:6]
lookup = BenchmarkObjective(Benchmark.load())

def slow(arch):
    print("started", flush=True)
    time.sleep(float(pause))
    return lookup(arch)

n = search_worker("rs", slow, int(budget), seed=int(seed), storage=url, study_name=study,
                  heartbeat=1)
print("worker evaluated", n, "trial(s)", flush=True)
'''


def test_a_killed_workers_trial_is_failed_and_retried(postgres_url, tmp_path):
    """SIGKILL a worker in the middle of a trial: its trial stops sending heartbeats, the
    other worker fails it after the grace period (2 s) and evaluates it again; the study
    still ends with exactly the budget of completed trials."""
    import signal

    script = tmp_path / "slow_worker.py"
    script.write_text(SLOW_WORKER)
    victim = subprocess.Popen([sys.executable, str(script), postgres_url, "kill", "60", "6",
                               "0"], stdout=subprocess.PIPE, text=True)
    assert victim.stdout.readline().strip() == "started"  # inside its first trial
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    out = subprocess.run([sys.executable, str(script), postgres_url, "kill", "0.5", "6", "1"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    trials = optuna.load_study(study_name="kill", storage=postgres_url).trials
    S = optuna.trial.TrialState
    killed = [t for t in trials if t.state == S.FAIL]
    assert len(killed) == 1 and killed[0].number == 0
    retried = [t for t in trials if optuna.storages.RetryHeartbeatStaleTrialCallback
               .retried_trial_number(t) == 0]
    assert len(retried) == 1 and retried[0].state == S.COMPLETE
    assert retried[0].params == killed[0].params  # the same cell, evaluated again
    assert sum(t.state == S.COMPLETE for t in trials) == 6
    assert not any(t.state == S.RUNNING for t in trials)
    assert "worker evaluated 6 trial(s)" in out


def test_a_worker_survives_a_database_restart(postgres, tmp_path):
    """The server goes away for two seconds while a worker is inside a trial (6 s long, so
    that stopping and starting the server may take seconds on a busy machine); the worker
    reconnects when it reports and finishes the study."""
    import time

    script = tmp_path / "slow_worker.py"
    script.write_text(SLOW_WORKER)
    worker = subprocess.Popen([sys.executable, str(script), postgres.url, "restart", "6", "4",
                               "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert worker.stdout.readline().strip() == "started"
    time.sleep(0.3)
    postgres.restart(pause=2.0)
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err
    assert "worker evaluated 4 trial(s)" in out
    trials = optuna.load_study(study_name="restart", storage=postgres.url).trials
    assert sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials) == 4


def test_a_restarted_worker_proposes_what_an_uninterrupted_one_would(postgres_url):
    """Regularized evolution rebuilds its population from the study's completed trials: a
    worker stopped after 15 trials and started again makes the same 30 trials as one that
    ran straight through."""
    from nas_lessons.optuna_bridge import suggest_arch

    def archs(study):
        trials = optuna.load_study(study_name=study, storage=postgres_url).trials
        return [suggest_arch(t) for t in trials if t.state == optuna.trial.TrialState.COMPLETE]

    _workers(postgres_url, "straight", 30, ["re"])
    _workers(postgres_url, "interrupted", 15, ["re"])
    _workers(postgres_url, "interrupted", 30, ["re"])
    assert archs("interrupted") == archs("straight") and len(archs("straight")) == 30


def test_workers_share_a_journal_file(tmp_path):
    url = f"journal://{tmp_path / 'study.log'}"
    outs = _workers(url, "journal", 20, ["rs", "re"])
    from nas_lessons.optuna_bridge import storage_for

    study = optuna.load_study(study_name="journal", storage=storage_for(url))
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert done == 20 == _evaluated(outs)
