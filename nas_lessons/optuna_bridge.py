"""The search strategies as Optuna samplers: one study, many workers.

Optuna (Akiba et al., KDD 2019) keeps a study's trials in a storage (SQLite, PostgreSQL,
MySQL, a journal file) that any number of processes or machines can share. `StrategySampler`
runs any strategy of `strategies` as a sampler that rebuilds its state from the study's
finished trials, so workers share nothing but the storage; `search_worker` is one such worker
(the CLI's `nas-lessons search --storage URL --study NAME`). `suggest_arch` reads an NB201
arch from a trial's six categorical edge parameters.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import optuna

from .benchmark import NotInBenchmark
from .spaces import ArchLike, NB201Arch, NB201Space
from .strategies import make_strategy

__all__ = ["edge_params", "suggest_arch", "StrategySampler", "storage_for", "search_worker"]


def edge_params(space: NB201Space | None = None) -> list[str]:
    """The names of a trial's six edge parameters, `edgeJI` for the edge i -> j."""
    space = space or NB201Space()
    return [f"edge{j}{i}" for j, i in space.EDGES]


def suggest_arch(trial: optuna.trial.BaseTrial) -> NB201Arch:
    """Read the NB201 arch of an Optuna trial (the six `edgeJI` categorical parameters)."""
    ops = list(NB201Space.OPS)
    return tuple(trial.suggest_categorical(p, ops)  # type: ignore[return-value]
                 for p in edge_params())


class StrategySampler(optuna.samplers.BaseSampler):
    """Run any strategy as an Optuna sampler, so a study can be shared by many workers.

    The sampler keeps no state between trials: for each new trial it builds a fresh strategy
    (`make_strategy(name, seed=seed, **kwargs)`), replays the study's finished trials in order
    (ask, then tell the arch that was actually evaluated — or `discard` it, for a trial that
    failed because a partial benchmark has no record of it, as `run_search` does), and asks
    once more. Regularized evolution thus rebuilds its population — the last
    `population_size` finished trials — from the storage, and with a single worker the
    sequence of archs is exactly that of the plain `run_search` loop with the same seed.
    (For TPE itself use Optuna's `TPESampler`.)
    """

    def __init__(self, name: str, *, seed: int = 0, **kwargs) -> None:
        make_strategy(name, seed=seed, **kwargs)  # validate the name and arguments now
        self.name, self.seed, self.kwargs = name, seed, kwargs
        self._fallback = optuna.samplers.RandomSampler(seed=seed)

    def infer_relative_search_space(self, study, trial):
        dist = optuna.distributions.CategoricalDistribution(list(NB201Space.OPS))
        return {p: dist for p in edge_params()}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        strategy = make_strategy(self.name, seed=self.seed, **self.kwargs)
        finished = [t for t in study.get_trials(deepcopy=False)
                    if t.state == optuna.trial.TrialState.COMPLETE
                    or t.user_attrs.get("not_in_benchmark")]
        for t in sorted(finished, key=lambda t: t.number):
            strategy.ask()
            arch = tuple(t.params[p] for p in edge_params())
            if t.state == optuna.trial.TrialState.COMPLETE:
                strategy.tell(arch, t.value)
            else:  # proposed, but not evaluated: without this the same arch comes back
                strategy.discard(arch)
        return dict(zip(edge_params(), strategy.ask()))

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)


def _check_heartbeat(heartbeat) -> None:
    if heartbeat is not None and (not isinstance(heartbeat, int) or heartbeat < 1):
        raise ValueError(f"heartbeat must be a positive number of seconds, got {heartbeat!r}")


def storage_for(url: str, *, heartbeat: int | None = None, retries: int = 3):
    """The storage behind `url`. A database URL (sqlite:///, postgresql://, mysql://) becomes
    an `RDBStorage` whose connections are checked before use (`pool_pre_ping`), so a worker
    survives a database restart between two of its requests. With `heartbeat` seconds, a
    running trial sends a heartbeat that often; a trial silent for 2 x `heartbeat` (its
    worker was killed, or its machine lost) is marked failed by the next worker that asks for
    a trial, and `RetryHeartbeatStaleTrialCallback` puts its parameters back into the study, up to
    `retries` times, for another worker to evaluate. `journal:///path/file.log` is Optuna's
    journal file storage (many processes on one file system; no heartbeats). Other URLs are
    passed on as they are."""
    _check_heartbeat(heartbeat)
    if url.startswith("journal://"):  # journal:///path/to/study.log: one append-only file
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(url[len("journal://"):]))
    if not url.startswith(("sqlite", "postgresql", "mysql")):
        return url
    with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna since v2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        beat = {} if heartbeat is None else {
            "heartbeat_interval": heartbeat, "grace_period": 2 * heartbeat,
            "heartbeat_stale_trial_callback":
                optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=retries)}
        return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True}, **beat)


def _join_study(url: str, study_name: str, sampler: optuna.samplers.BaseSampler, *,
                heartbeat: int | None = None) -> optuna.Study:
    """Create or load the study; workers started together race to create the schema (the
    storage object creates its tables, so it is made inside the retry loop too)."""
    _check_heartbeat(heartbeat)  # a bad value is not worth retrying
    for attempt in range(6):
        try:
            return optuna.create_study(storage=storage_for(url, heartbeat=heartbeat),
                                       study_name=study_name, direction="maximize",
                                       sampler=sampler, load_if_exists=True)
        except Exception:
            if attempt == 5:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


class _OverBudget(Exception):
    """This worker lost the race for the study's last trial."""


def search_worker(strategy: str, objective: Callable[[ArchLike], dict], budget: int, *,
                  seed: int = 0, storage: str, study_name: str,
                  heartbeat: int | None = None, seconds: float | None = None,
                  strategy_kwargs: dict | None = None, max_skips: int = 1000) -> int:
    """One worker of a shared architecture search (the CLI's `nas-lessons search`).

    Joins or creates `study_name` in `storage` and runs trials until the study holds
    `budget` trials that are not failed. Trial numbers come from the storage, so workers on
    many processes or machines never evaluate the same trial twice; when workers race for
    the last slot, the trial with the higher number is closed as failed (user attribute
    `over_budget`) without being evaluated.
    Everything told is in the storage: a killed worker loses only its running trial — with
    `heartbeat` (seconds; database storages) that trial is failed and retried by another
    worker (`storage_for`) — and a restarted one continues the study. With `seconds`, the
    study also ends once its completed trials have cost that much (simulated) training time,
    the objective's 'cost' — a budget in time, NAS-Bench-201's protocol; the trial that
    crosses it counts. `strategy_kwargs` go to the strategy's class (e.g. `feasible=` for
    a hardware constraint). On a partial benchmark, a proposal without a record fails its
    trial (user attribute `not_in_benchmark`), is not counted, and the strategy moves on
    (`StrategySampler`); more than `max_skips` of them in a row raise, as in `run_search`.
    Returns the number of trials this worker evaluated.
    """
    if seconds is not None and not seconds > 0:
        raise ValueError(f"seconds must be > 0, got {seconds!r}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.TPESampler(seed=seed, multivariate=True)
               if strategy == "tpe" else StrategySampler(strategy, seed=seed,
                                                         **(strategy_kwargs or {})))
    study = _join_study(storage, study_name, sampler, heartbeat=heartbeat)
    failed = optuna.trial.TrialState.FAIL

    def used(below: int | None = None) -> int:  # trials that count against the budget
        return sum(t.state != failed and (below is None or t.number < below)
                   for t in study.get_trials(deepcopy=False))

    def spent(below: int | None = None) -> float:  # simulated seconds of completed trials
        return sum(t.user_attrs.get("cost", 0.0) for t in study.get_trials(deepcopy=False)
                   if t.state == optuna.trial.TrialState.COMPLETE
                   and (below is None or t.number < below))

    def exhausted(below: int | None = None) -> bool:
        return used(below) >= budget or (seconds is not None and spent(below) >= seconds)

    done, in_a_row = [0], [0]

    def run(trial: optuna.Trial) -> float:
        if exhausted(below=trial.number):  # lost the race for the last slot
            trial.set_user_attr("over_budget", True)
            raise _OverBudget
        arch = suggest_arch(trial)
        try:
            r = objective(arch)
        except NotInBenchmark:  # a partial benchmark: not counted against the budget
            trial.set_user_attr("not_in_benchmark", True)
            in_a_row[0] += 1
            if in_a_row[0] > max_skips:
                raise ValueError(f"{max_skips} proposals in a row had no benchmark record; "
                                 "finish the benchmark build") from None
            raise
        in_a_row[0] = 0
        trial.set_user_attr("test_acc", r["test_acc"])
        trial.set_user_attr("cost", r["cost"])
        done[0] += 1
        return r["score"]

    def stop(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.user_attrs.get("over_budget") or exhausted():
            study.stop()

    if not exhausted():
        study.optimize(run, catch=(_OverBudget, NotInBenchmark), callbacks=[stop])
    return done[0]
