"""Search strategies with one ask/tell interface: `arch = s.ask(); s.tell(arch, score)`.

* `RandomSearch` — uniform samples (Li & Talwalkar, UAI 2019, show it is a strong baseline).
* `RegularizedEvolution` — aging evolution (Real, Aggarwal, Huang & Le, AAAI 2019, Alg. 1):
  a tournament of `sample_size` random members picks a parent, its one-edge mutation is the
  child, and the *oldest* member (not the worst) dies. With `feasible=`, proposals that
  violate a hardware constraint are rejected before evaluation and counted.
* `LocalSearch` — first-improvement hill climbing over one-edge neighbours with random
  restarts, a strong NAS-Bench-201 baseline (White, Nolen, Savani, UAI 2021).
* `ReinforceController` — the LSTM controller of Zoph & Le (ICLR 2017) as in ENAS (Pham et al.,
  ICML 2018): each step's input is the embedding of the previous decision, the LSTM state
  (h, c) is carried between steps, one softmax head per decision; trained with REINFORCE
  (Williams, 1992) against an exponential-moving-average baseline, plus an entropy bonus.
* `BayesianOptimization` — Optuna's TPE (Bergstra et al., NeurIPS 2011) over the six per-edge
  categorical choices.

Scores are maximised (validation accuracy in %). All randomness comes from `seed`.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import optuna
import torch
from torch import nn

from .spaces import NB201Arch, NB201Space, as_rng

__all__ = ["Strategy", "RandomSearch", "RegularizedEvolution", "LocalSearch",
           "ReinforceController", "BayesianOptimization", "STRATEGIES", "make_strategy",
           "BenchmarkObjective", "Trajectory", "run_search", "compare_strategies", "at_seconds",
           "StrategySampler", "suggest_arch", "TrainingObjective", "search_worker",
           "nsga2_search"]


class Strategy:
    """Base class: propose with `ask()`, learn with `tell(arch, score)`."""

    name = "strategy"

    def __init__(self, space: NB201Space | None = None, seed: int = 0) -> None:
        self.space = space or NB201Space()
        self.seed = seed
        self.rng = as_rng(seed)

    def ask(self) -> NB201Arch:
        raise NotImplementedError

    def tell(self, arch, score: float) -> None:
        """Default: nothing to learn."""

    def discard(self, arch) -> None:
        """`arch` was asked but cannot be evaluated (not in a partial benchmark): forget it.
        Default: nothing to undo."""


class RandomSearch(Strategy):
    """Uniform random architectures."""

    name = "rs"

    def ask(self) -> NB201Arch:
        return self.space.sample(self.rng)


class RegularizedEvolution(Strategy):
    """Aging evolution: the population is a queue of the last `population_size` told archs."""

    name = "re"

    def __init__(self, population_size: int = 20, sample_size: int = 5,
                 space: NB201Space | None = None, seed: int = 0, feasible=None,
                 max_tries: int = 1000) -> None:
        super().__init__(space, seed)
        if not 2 <= sample_size <= population_size:
            raise ValueError(f"need 2 <= sample_size <= population_size, got sample_size="
                             f"{sample_size}, population_size={population_size}")
        self.population_size, self.sample_size = population_size, sample_size
        self.population: deque[tuple[NB201Arch, float]] = deque()
        #: optional hardware constraint: proposals with feasible(arch) False are rejected
        #: before evaluation and counted in `rejected` (never dropped silently)
        self.feasible, self.max_tries, self.rejected = feasible, max_tries, 0

    def _propose(self) -> NB201Arch:
        if len(self.population) < self.population_size:
            return self.space.sample(self.rng)  # initial population: random
        contenders = self.rng.sample(list(self.population), self.sample_size)
        parent = max(contenders, key=lambda m: m[1])[0]
        return self.space.mutate(parent, self.rng)

    def ask(self) -> NB201Arch:
        for _ in range(self.max_tries):
            arch = self._propose()
            if self.feasible is None or self.feasible(arch):
                return arch
            self.rejected += 1
        raise ValueError(f"no feasible architecture in {self.max_tries} proposals; the "
                         "constraint may be unsatisfiable — relax it")

    def tell(self, arch, score: float) -> None:
        self.population.append((self.space.to_arch(arch), float(score)))
        if len(self.population) > self.population_size:
            self.population.popleft()  # the oldest dies, whatever its score


class LocalSearch(Strategy):
    """First-improvement hill climbing with random restarts at local optima."""

    name = "ls"

    def __init__(self, space: NB201Space | None = None, seed: int = 0) -> None:
        super().__init__(space, seed)
        self.current: tuple[NB201Arch, float] | None = None
        self.queue: list[NB201Arch] = []
        self.restarts = 0

    def _move_to(self, arch: NB201Arch, score: float) -> None:
        self.current = (arch, score)
        self.queue = self.space.neighbours(arch)
        self.rng.shuffle(self.queue)

    def ask(self) -> NB201Arch:
        if self.current is None:
            return self.space.sample(self.rng)
        if not self.queue:  # local optimum: every neighbour tried, none better
            self.current = None
            self.restarts += 1
            return self.space.sample(self.rng)
        return self.queue.pop()

    def tell(self, arch, score: float) -> None:
        arch = self.space.to_arch(arch)
        if self.current is None or score > self.current[1]:
            self._move_to(arch, float(score))


class ReinforceController(nn.Module, Strategy):
    """An LSTM policy over the 6 edge decisions, trained with REINFORCE.

    Step t receives the embedding of decision t-1 (a learned start token at t=0) and the
    LSTM state carried from step t-1; head t turns the hidden state into logits over the 5
    ops. Update after each reward R: advantage A = R - b with the baseline b from *before*
    this reward, then b <- decay * b + (1 - decay) * R; loss = -A * sum log p(a_t)
    - entropy_weight * sum H_t; one Adam step.
    """

    name = "reinforce"

    def __init__(self, hidden: int = 32, lr: float = 0.05, baseline_decay: float = 0.9,
                 entropy_weight: float = 0.01, space: NB201Space | None = None,
                 seed: int = 0) -> None:
        nn.Module.__init__(self)
        Strategy.__init__(self, space, seed)
        n_ops, n_steps = len(self.space.OPS), len(self.space.EDGES)
        torch_gen = torch.Generator().manual_seed(seed)
        self.sampler = torch.Generator().manual_seed(seed + 1)
        self.embedding = nn.Embedding(n_ops + 1, hidden)  # index n_ops = start token
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n_ops) for _ in range(n_steps))
        with torch.no_grad():  # deterministic initialisation from `seed`
            for p in self.parameters():
                p.copy_((torch.rand(p.shape, generator=torch_gen) - 0.5) * 0.2)
        self.optimizer = torch.optim.Adam(self.parameters(), lr=lr, foreach=False)
        self.baseline: float | None = None
        self.baseline_decay, self.entropy_weight = baseline_decay, entropy_weight
        self.start = n_ops

    def forward(self, actions: list[int] | None = None):
        """Run the policy; sample actions if none are given. Returns actions, the summed
        log-probability and the summed entropy of the per-step distributions."""
        hidden = self.lstm.hidden_size
        h = c = torch.zeros(1, hidden)
        prev = torch.tensor([self.start])
        out, logp, ent = [], torch.zeros(()), torch.zeros(())
        for t, head in enumerate(self.heads):
            h, c = self.lstm(self.embedding(prev), (h, c))
            log_probs = torch.log_softmax(head(h)[0], dim=-1)
            probs = log_probs.exp()
            a = (int(torch.multinomial(probs.detach(), 1, generator=self.sampler))
                 if actions is None else actions[t])
            logp = logp + log_probs[a]
            ent = ent - (probs * log_probs).sum()
            out.append(a)
            prev = torch.tensor([a])
        return out, logp, ent

    def probabilities(self) -> torch.Tensor:
        """Per-edge op probabilities along the greedy (most likely) path, shape (6, 5)."""
        with torch.no_grad():
            hidden = self.lstm.hidden_size
            h = c = torch.zeros(1, hidden)
            prev = torch.tensor([self.start])
            rows = []
            for head in self.heads:
                h, c = self.lstm(self.embedding(prev), (h, c))
                p = torch.softmax(head(h)[0], -1)
                rows.append(p)
                prev = p.argmax().view(1)
            return torch.stack(rows)

    def ask(self) -> NB201Arch:
        actions, logp, ent = self(None)
        self._last = (actions, logp, ent)  # the graph tell() differentiates, if it matches
        return tuple(self.space.OPS[a] for a in actions)  # type: ignore[return-value]

    def discard(self, arch) -> None:
        self._last = None

    def tell(self, arch, score: float) -> None:
        reward = float(score) / 100.0
        actions = [self.space.OPS.index(op) for op in self.space.to_arch(arch)]
        last, self._last = getattr(self, "_last", None), None
        _, logp, ent = last if last is not None and last[0] == actions else self(actions)
        baseline = reward if self.baseline is None else self.baseline
        advantage = reward - baseline  # against the baseline *before* this reward
        loss = -advantage * logp - self.entropy_weight * ent
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.baseline = (reward if self.baseline is None else
                         self.baseline_decay * self.baseline
                         + (1 - self.baseline_decay) * reward)


class BayesianOptimization(Strategy):
    """TPE over the six categorical edge choices, through Optuna's ask-and-tell API."""

    name = "tpe"

    def __init__(self, space: NB201Space | None = None, seed: int = 0,
                 n_startup_trials: int = 10) -> None:
        super().__init__(space, seed)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=n_startup_trials, multivariate=True))
        self.pending: dict[NB201Arch, list] = {}

    def ask(self) -> NB201Arch:
        trial = self.study.ask()
        arch = tuple(trial.suggest_categorical(f"edge{j}{i}", list(self.space.OPS))
                     for j, i in self.space.EDGES)
        self.pending.setdefault(arch, []).append(trial)  # type: ignore[arg-type]
        return arch  # type: ignore[return-value]

    def discard(self, arch) -> None:
        trials = self.pending.get(self.space.to_arch(arch))
        if trials:
            self.study.tell(trials.pop(0), state=optuna.trial.TrialState.PRUNED)

    def tell(self, arch, score: float) -> None:
        arch = self.space.to_arch(arch)
        trials = self.pending.get(arch)
        if trials:
            self.study.tell(trials.pop(0), float(score))
        else:  # an arch this strategy did not propose: record it as a finished trial
            dist = optuna.distributions.CategoricalDistribution(list(self.space.OPS))
            self.study.add_trial(optuna.trial.create_trial(
                params={f"edge{j}{i}": op for (j, i), op in zip(self.space.EDGES, arch)},
                distributions={f"edge{j}{i}": dist for j, i in self.space.EDGES},
                value=float(score)))


STRATEGIES = {"rs": RandomSearch, "re": RegularizedEvolution, "ls": LocalSearch,
              "reinforce": ReinforceController, "tpe": BayesianOptimization}


def make_strategy(name: str, seed: int = 0, **kwargs) -> Strategy:
    """A strategy by its short name (the CLI's `--strategy`)."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}")
    return STRATEGIES[name](seed=seed, **kwargs)


# ---- running a search ------------------------------------------------------------------------
class BenchmarkObjective:
    """Score an arch by the tabular benchmark: validation accuracy after `epoch` epochs, with
    the measured training time to that epoch as its simulated cost (NAS-Bench-201's protocol).
    """

    def __init__(self, bench, epoch: int | None = None, seed=None) -> None:
        self.bench, self.epoch, self.seed = bench, epoch, seed
        self.optimum = bench.optimum("val_acc", epoch)

    def __call__(self, arch) -> dict:
        r = self.bench.query(arch, self.epoch, self.seed)
        return {"score": r["val_acc"], "test_acc": r["test_acc"], "cost": r["train_seconds"]}


@dataclass
class Trajectory:
    """One search run: what was asked, what it scored, and the anytime incumbent."""

    archs: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    best_score: list = field(default_factory=list)   # best-so-far validation accuracy
    best_test: list = field(default_factory=list)    # test accuracy of that incumbent
    regret: list = field(default_factory=list)       # optimum val - best-so-far val
    seconds: list = field(default_factory=list)      # cumulative (simulated) train seconds
    skipped: int = 0   # proposals a partial benchmark had no record for (not counted)


def run_search(strategy: Strategy, objective, budget: int, max_skips: int = 1000,
               on_step=None) -> Trajectory:
    """Ask/evaluate/tell `budget` times. `objective(arch)` returns a dict with 'score',
    'test_acc' and 'cost'; if it has an `optimum` record, regret is measured against it.

    On a partial benchmark (still being built), a proposal without a record raises
    `NotInBenchmark`: it is discarded — not evaluated, not told, not counted against the
    budget — and counted in `Trajectory.skipped`; the search then runs on the trained cells
    only. On the complete benchmark nothing is ever skipped.
    `on_step(step, strategy, traj)`, if given, is called after each evaluation is told.
    """
    from .benchmark import NotInBenchmark

    if not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive int, got {budget!r}")
    traj = Trajectory()
    best, best_test, spent = -float("inf"), float("nan"), 0.0
    opt = getattr(objective, "optimum", None)
    in_a_row = 0
    while len(traj.scores) < budget:
        arch = strategy.ask()
        try:
            r = objective(arch)
        except NotInBenchmark:
            strategy.discard(arch)
            traj.skipped += 1
            in_a_row += 1
            if in_a_row > max_skips:
                raise ValueError(f"{max_skips} proposals in a row had no benchmark record; "
                                 "finish the benchmark build") from None
            continue
        in_a_row = 0
        strategy.tell(arch, r["score"])
        spent += r.get("cost", 0.0)
        if r["score"] > best:
            best, best_test = r["score"], r.get("test_acc", float("nan"))
        traj.archs.append(arch)
        traj.scores.append(r["score"])
        traj.best_score.append(best)
        traj.best_test.append(best_test)
        traj.regret.append(opt["val_acc"] - best if opt else float("nan"))
        traj.seconds.append(spent)
        if on_step is not None:
            on_step(len(traj.scores), strategy, traj)
    return traj


def at_seconds(values, seconds, grid):
    """Resample anytime curves from evaluation count to simulated time: for each run (row) and
    each time in `grid`, the value after the last evaluation finished by then (NaN before the
    first). `values`, `seconds`: (runs, budget) arrays as returned by `compare_strategies`."""
    values, seconds = np.atleast_2d(values), np.atleast_2d(seconds)
    out = np.full((len(values), len(grid)), np.nan)
    for r, (v, s) in enumerate(zip(values, seconds)):
        k = np.searchsorted(s, grid, side="right") - 1
        out[r, k >= 0] = v[k[k >= 0]]
    return out


def compare_strategies(names, objective, budget: int, seeds, **kwargs) -> dict:
    """Run each strategy in `names` once per seed at the same `budget` of evaluations.

    Returns `{name: {"regret": (S, budget), "best_test": (S, budget), "seconds": (S, budget),
    "unique": (S,), "skipped": (S,), "wall_seconds": float}}` as NumPy arrays, one row per
    seed — the raw material for anytime curves, tables and significance tests.
    `kwargs` maps a strategy name to its constructor arguments.
    """
    out = {}
    for name in names:
        t0 = time.perf_counter()
        runs = [run_search(make_strategy(name, seed=s, **kwargs.get(name, {})), objective,
                           budget) for s in seeds]
        out[name] = {"regret": np.array([r.regret for r in runs]),
                     "best_test": np.array([r.best_test for r in runs]),
                     "seconds": np.array([r.seconds for r in runs]),
                     "unique": np.array([len(set(r.archs)) for r in runs]),
                     "skipped": np.array([r.skipped for r in runs]),
                     "wall_seconds": time.perf_counter() - t0}
    return out


# ---- as an Optuna sampler: many workers, one study -------------------------------------------
def _edge_params(space: NB201Space) -> list[str]:
    return [f"edge{j}{i}" for j, i in space.EDGES]


class StrategySampler(optuna.samplers.BaseSampler):
    """Run any strategy as an Optuna sampler, so a study can be shared by many workers.

    The sampler keeps no state between trials: for each new trial it builds a fresh strategy
    (`make_strategy(name, seed, **kwargs)`), replays the study's finished trials in order
    (ask, then tell the arch that was actually evaluated), and asks once more. Regularized
    evolution thus rebuilds its population — the last `population_size` finished trials —
    from the storage, and with a single worker the sequence of archs is exactly that of the
    plain `run_search` loop with the same seed. (For TPE itself use Optuna's `TPESampler`.)
    """

    def __init__(self, name: str, seed: int = 0, **kwargs) -> None:
        make_strategy(name, seed, **kwargs)  # validate the name and arguments now
        self.name, self.seed, self.kwargs = name, seed, kwargs
        self.space = NB201Space()
        self._fallback = optuna.samplers.RandomSampler(seed=seed)

    def infer_relative_search_space(self, study, trial):
        dist = optuna.distributions.CategoricalDistribution(list(self.space.OPS))
        return {p: dist for p in _edge_params(self.space)}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        strategy = make_strategy(self.name, self.seed, **self.kwargs)
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        for t in sorted(done, key=lambda t: t.number):
            strategy.ask()
            strategy.tell(tuple(t.params[p] for p in _edge_params(self.space)), t.value)
        return dict(zip(_edge_params(self.space), strategy.ask()))

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)


def suggest_arch(trial) -> NB201Arch:
    """Read the NB201 arch of an Optuna trial (the six `edgeJI` categorical parameters)."""
    space = NB201Space()
    return tuple(trial.suggest_categorical(p, list(space.OPS))  # type: ignore[return-value]
                 for p in _edge_params(space))


class TrainingObjective:
    """Score an arch by really training it with the benchmark's recipe (`BenchSettings`);
    the cost is the measured training time. Seed and data split are fixed."""

    def __init__(self, settings=None, seed: int = 0) -> None:
        from .benchmark import SETTINGS

        self.settings = settings or SETTINGS
        self.seed = seed
        self.data = self.settings.data()

    def __call__(self, arch) -> dict:
        from .benchmark import train_cell

        r = train_cell(arch, self.seed, self.settings, self.data, measure=False)
        return {"score": r["val_acc"][-1], "test_acc": r["test_acc"],
                "cost": r["train_seconds"]}


def search_worker(strategy: str, objective, budget: int, seed: int, storage: str,
                  study_name: str) -> int:
    """One worker of a shared architecture search (the CLI's `nas-lessons search`).

    Joins or creates `study_name` in `storage` and runs trials until the study holds
    `budget` trials that are not failed. Trial numbers come from the storage, so workers on
    many processes or machines never evaluate the same trial twice; when workers race for
    the last slot, the trial with the higher number is closed as failed (user attribute
    `over_budget`) without being evaluated.
    Everything told is in the storage: a killed worker loses only its running trial, and a
    restarted one continues the study. Returns the number of trials this worker evaluated.
    """
    from .benchmark import NotInBenchmark

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.TPESampler(seed=seed, multivariate=True)
               if strategy == "tpe" else StrategySampler(strategy, seed))
    for attempt in range(6):  # workers started together race to create the database schema
        try:
            study = optuna.create_study(storage=storage, study_name=study_name,
                                        direction="maximize", sampler=sampler,
                                        load_if_exists=True)
            break
        except Exception:
            if attempt == 5:
                raise
            time.sleep(0.5 * (attempt + 1))
    failed = optuna.trial.TrialState.FAIL

    def used(below: int | None = None) -> int:  # trials that count against the budget
        return sum(t.state != failed and (below is None or t.number < below)
                   for t in study.get_trials(deepcopy=False))

    done = 0
    while True:
        if used() >= budget:
            return done
        trial = study.ask()
        if used(below=trial.number) >= budget:  # lost the race for the last slot
            trial.set_user_attr("over_budget", True)
            study.tell(trial, state=failed)
            return done
        arch = suggest_arch(trial)
        try:
            r = objective(arch)
        except NotInBenchmark:  # a partial benchmark: not counted against the budget
            trial.set_user_attr("not_in_benchmark", True)
            study.tell(trial, state=failed)
            continue
        trial.set_user_attr("test_acc", r["test_acc"])
        trial.set_user_attr("cost", r["cost"])
        study.tell(trial, r["score"])
        done += 1


def nsga2_search(evaluate, budget: int, seed: int = 0, population_size: int = 20,
                 max_latency_ms: float | None = None, random_baseline: bool = False):
    """Multi-objective NAS with NSGA-II (Deb et al., 2002) through Optuna: maximise accuracy,
    minimise latency. `evaluate(arch)` returns (accuracy, latency_ms). With `max_latency_ms`,
    the limit is reported as a constraint (`trial.set_constraint`), so infeasible archs stay
    in the study, marked, instead of vanishing. NSGA-II is passed explicitly: Optuna 5 uses
    TPE for multi-objective studies by default. `random_baseline=True` samples uniformly
    instead (the baseline every multi-objective search should beat). The search stops after
    `budget` completed trials; archs a partial benchmark lacks are pruned, not counted."""
    from .benchmark import NotInBenchmark

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.RandomSampler(seed=seed) if random_baseline else
               optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed))
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)

    def objective(trial):
        try:
            acc, lat = evaluate(suggest_arch(trial))
        except NotInBenchmark:
            raise optuna.TrialPruned() from None
        if max_latency_ms is not None:
            trial.set_constraint("latency", lat - max_latency_ms)
        return acc, lat

    done = (optuna.trial.TrialState.COMPLETE,)
    study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(budget, states=done)])
    return study
