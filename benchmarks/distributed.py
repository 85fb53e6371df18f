"""How fast a shared architecture search runs on each Optuna storage, and how long a killed
worker's trial takes to be evaluated again.

    python benchmarks/distributed.py [--budget 200] [--workers 1 2 4]

For SQLite, the journal file and PostgreSQL (a throwaway local server,
`nas_lessons.postgres.LocalPostgres`; skipped without it), `--workers` processes of
`nas-lessons search --strategy rs --objective bench` share one study of `--budget` trials. On
the benchmark an evaluation is a table lookup, so the figure measures the storage and the
workers' bookkeeping, not training: completed trials per second of wall time (process start
included). Then a worker with 1-second heartbeats is killed inside a trial while another one
runs: the seconds until the killed trial's parameters are evaluated again.
"""

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna

from nas_lessons.optuna_bridge import storage_for

WORKER = [sys.executable, "-m", "nas_lessons.cli", "search", "--strategy", "rs", "--objective",
          "bench"]
SLOW = Path(__file__).resolve().parents[1] / "tests" / "test_distributed.py"


def throughput(url: str, study: str, budget: int, workers: int) -> float:
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*WORKER, "--budget", str(budget), "--seed", str(i), "--storage",
                               url, "--study", study], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for i in range(workers)]
    if any(p.wait() for p in procs):
        raise RuntimeError(f"a worker failed on {url}")
    seconds = time.perf_counter() - t0
    done = sum(t.state == optuna.trial.TrialState.COMPLETE
               for t in optuna.load_study(study_name=study, storage=storage_for(url)).trials)
    return done / seconds


def retry_seconds(url: str) -> float:
    """Kill a worker inside its first trial; time until that trial's retry completes."""
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("t", SLOW)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    script = Path(tempfile.mkdtemp()) / "slow_worker.py"
    script.write_text(module.SLOW_WORKER)
    victim = subprocess.Popen([sys.executable, str(script), url, "retry", "60", "6", "0"],
                              stdout=subprocess.PIPE, text=True)
    victim.stdout.readline()
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = time.time()
    subprocess.run([sys.executable, str(script), url, "retry", "0.2", "6", "1"], check=True,
                   capture_output=True)
    trials = optuna.load_study(study_name="retry", storage=url).trials
    retried = next(t for t in trials
                   if optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == 0)
    return retried.datetime_complete.timestamp() - killed_at


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="nas-lessons-dist-"))
    storages = {"SQLite": lambda k: f"sqlite:///{work / f'{k}.db'}",
                "journal file": lambda k: f"journal://{work / f'{k}.log'}"}
    server = None
    try:
        from nas_lessons.postgres import LocalPostgres

        server = LocalPostgres().__enter__()
        storages["PostgreSQL"] = lambda k: server.url
    except (RuntimeError, ImportError) as e:
        print(f"PostgreSQL skipped: {e}")
    try:
        print(f"{args.budget} trials of random search on the benchmark; completed trials per "
              "second (wall time, process start included)")
        print(f"{'storage':14s}" + "".join(f"{w:>4d} worker(s)" for w in args.workers))
        for name, url_of in storages.items():
            rates = [throughput(url_of(f"w{w}"), f"w{w}", args.budget, w) for w in args.workers]
            print(f"{name:14s}" + "".join(f"{r:14.1f}" for r in rates), flush=True)
        if server is not None:
            print(f"a killed worker's trial evaluated again after {retry_seconds(server.url):.1f}"
                  " s (heartbeat 1 s, grace period 2 s)")
    finally:
        if server is not None:
            server.__exit__()


if __name__ == "__main__":
    main()
