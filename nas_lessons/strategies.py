"""Search strategies with one ask/tell interface: `arch = s.ask(); s.tell(arch, score)`.

* `RandomSearch` — uniform samples (Li & Talwalkar, UAI 2019, show it is a strong baseline).
* `RegularizedEvolution` — aging evolution (Real, Aggarwal, Huang & Le, AAAI 2019, Alg. 1):
  a tournament of `sample_size` random members — drawn with replacement, as Algorithm 1 and
  NAS-Bench-201's implementation draw them — picks a parent, its one-edge mutation is the
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
* `Bananas` — Bayesian optimisation with a neural-ensemble predictor on the path encoding,
  Thompson sampling and mutation-based acquisition (White, Neiswanger & Savani, AAAI 2021).

Scores are maximised (validation accuracy in %). All randomness comes from `seed`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from functools import cache

import optuna
import torch
from torch import nn

from .spaces import ArchLike, NB201Arch, NB201Space, as_rng

__all__ = ["Strategy", "RandomSearch", "RegularizedEvolution", "LocalSearch",
           "ReinforceController", "BayesianOptimization", "STRATEGIES", "make_strategy",
           "REWARD_SCALE", "CONTROLLER_INIT_RANGE", "reinforce_step", "Bananas",
           "load_strategy_class"]

#: REINFORCE's reward is validation accuracy as a fraction (ENAS: accuracy in [0, 1]); the
#: objectives report it in %
REWARD_SCALE = 100.0
#: ENAS initialises every controller parameter uniformly in [-0.1, 0.1] (Pham et al. 2018,
#: Sec. 3.1; the reference code's `--controller_param_init_range`)
CONTROLLER_INIT_RANGE = 0.1


class Strategy:
    """Base class: propose with `ask()`, learn with `tell(arch, score)`."""

    name = "strategy"

    def __init__(self, *, space: NB201Space | None = None, seed: int = 0) -> None:
        self.space = space or NB201Space()
        self.seed = seed
        self.rng = as_rng(seed)

    def ask(self) -> NB201Arch:
        raise NotImplementedError

    def tell(self, arch: ArchLike, score: float) -> None:
        """Default: nothing to learn."""

    def discard(self, arch: ArchLike) -> None:
        """`arch` was asked but cannot be evaluated (not in a partial benchmark): forget it.
        Default: nothing to undo."""


class _Constrained:
    """Rejection of infeasible proposals before evaluation (a hardware limit is cheap to
    check, accuracy is not): `feasible(arch)` False means the proposal is drawn again and
    counted in `rejected`, never dropped silently."""

    def _init_constraint(self, feasible: Callable[[NB201Arch], bool] | None,
                         max_tries: int) -> None:
        self.feasible, self.max_tries, self.rejected = feasible, max_tries, 0

    def _first_feasible(self, propose: Callable[[], NB201Arch]) -> NB201Arch:
        for _ in range(self.max_tries):
            arch = propose()
            if self.feasible is None or self.feasible(arch):
                return arch
            self.rejected += 1
        raise ValueError(f"no feasible architecture in {self.max_tries} proposals; the "
                         "constraint may be unsatisfiable — relax it")


class RandomSearch(_Constrained, Strategy):
    """Uniform random architectures; with `feasible=`, uniform over the feasible ones
    (rejection sampling, rejections counted in `rejected`)."""

    name = "rs"

    def __init__(self, *, feasible: Callable[[NB201Arch], bool] | None = None,
                 max_tries: int = 10_000, space: NB201Space | None = None,
                 seed: int = 0) -> None:
        super().__init__(space=space, seed=seed)
        self._init_constraint(feasible, max_tries)

    def ask(self) -> NB201Arch:
        return self._first_feasible(lambda: self.space.sample(self.rng))


class RegularizedEvolution(_Constrained, Strategy):
    """Aging evolution: the population is a queue of the last `population_size` told archs."""

    name = "re"

    def __init__(self, *, population_size: int = 20, sample_size: int = 5,
                 feasible: Callable[[NB201Arch], bool] | None = None, max_tries: int = 1000,
                 initial: Sequence[ArchLike] = (), with_replacement: bool = True,
                 ageing: bool = True, space: NB201Space | None = None,
                 seed: int = 0) -> None:
        super().__init__(space=space, seed=seed)
        if not 2 <= sample_size <= population_size:
            raise ValueError(f"need 2 <= sample_size <= population_size, got sample_size="
                             f"{sample_size}, population_size={population_size}")
        self.population_size, self.sample_size = population_size, sample_size
        #: Real et al.'s Alg. 1 draws the S contenders with replacement (a member can appear
        #: twice; selection pressure is a little lower); False draws S distinct members
        self.with_replacement = with_replacement
        #: True: the oldest member dies (regularized evolution); False: the worst dies (the
        #: non-regularized tournament selection Real et al. compare against, Sec. 3/5)
        self.ageing = ageing
        self.population: deque[tuple[NB201Arch, float]] = deque()
        #: optional hardware constraint: proposals with feasible(arch) False are rejected
        #: before evaluation and counted in `rejected` (never dropped silently)
        self._init_constraint(feasible, max_tries)
        #: the first members, proposed in order before any random one (e.g. the best of many
        #: random cells by a zero-cost proxy: a warm start, Abdelfattah et al. 2021, Sec. 5)
        self.initial = deque(self.space.to_arch(a) for a in initial)

    def _propose(self) -> NB201Arch:
        if len(self.population) < self.population_size:  # initial population
            return self.initial.popleft() if self.initial else self.space.sample(self.rng)
        members = list(self.population)
        contenders = (self.rng.choices(members, k=self.sample_size) if self.with_replacement
                      else self.rng.sample(members, self.sample_size))
        parent = max(contenders, key=lambda m: m[1])[0]
        return self.space.mutate(parent, self.rng)

    def ask(self) -> NB201Arch:
        return self._first_feasible(self._propose)

    def tell(self, arch: ArchLike, score: float) -> None:
        self.population.append((self.space.to_arch(arch), float(score)))
        if len(self.population) > self.population_size:
            if self.ageing:
                self.population.popleft()  # the oldest dies, whatever its score
            else:  # the worst dies (the oldest of equals)
                self.population.remove(min(self.population, key=lambda m: m[1]))


class LocalSearch(Strategy):
    """First-improvement hill climbing with random restarts at local optima."""

    name = "ls"

    def __init__(self, *, space: NB201Space | None = None, seed: int = 0) -> None:
        super().__init__(space=space, seed=seed)
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

    def tell(self, arch: ArchLike, score: float) -> None:
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

    def __init__(self, *, hidden: int = 32, lr: float = 0.05, baseline_decay: float = 0.9,
                 entropy_weight: float = 0.01, space: NB201Space | None = None,
                 seed: int = 0) -> None:
        nn.Module.__init__(self)
        Strategy.__init__(self, space=space, seed=seed)
        n_ops, n_steps = len(self.space.OPS), len(self.space.EDGES)
        torch_gen = torch.Generator().manual_seed(seed)
        self.sampler = torch.Generator().manual_seed(seed + 1)
        self.embedding = nn.Embedding(n_ops + 1, hidden)  # index n_ops = start token
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n_ops) for _ in range(n_steps))
        with torch.no_grad():  # deterministic initialisation from `seed`
            for p in self.parameters():
                p.copy_((torch.rand(p.shape, generator=torch_gen) * 2 - 1)
                        * CONTROLLER_INIT_RANGE)
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

    def discard(self, arch: ArchLike) -> None:
        self._last = None

    def tell(self, arch: ArchLike, score: float) -> None:
        actions = [self.space.OPS.index(op) for op in self.space.to_arch(arch)]
        last, self._last = getattr(self, "_last", None), None
        _, logp, ent = last if last is not None and last[0] == actions else self(actions)
        self.baseline = reinforce_step(self.optimizer, logp, ent, float(score) / REWARD_SCALE,
                                       self.baseline, decay=self.baseline_decay,
                                       entropy_weight=self.entropy_weight)


def reinforce_step(optimizer: torch.optim.Optimizer, log_prob: torch.Tensor,
                   entropy: torch.Tensor, reward: float, baseline: float | None, *,
                   decay: float | None, entropy_weight: float) -> float | None:
    """One REINFORCE update (Williams, 1992) with a moving-average baseline and an entropy
    bonus, as in ENAS (Pham et al. 2018, Sec. 2.2): A = R - b, loss = -A * log p(a) - w * H,
    one optimizer step; returns the new baseline b <- decay * b + (1 - decay) * R (the first
    reward initialises it). `decay=None` never updates it (the sketch's behaviour).

    The advantage here uses the baseline from before this reward; ENAS updates the baseline
    first, which gives A' = decay * (R - b) — the same direction, rescaled by `decay`. Either
    is a valid convention."""
    b = reward if baseline is None else baseline
    loss = -(reward - b) * log_prob - entropy_weight * entropy
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if decay is None:
        return b
    return reward if baseline is None else decay * baseline + (1 - decay) * reward


class BayesianOptimization(Strategy):
    """TPE over the six categorical edge choices, through Optuna's ask-and-tell API."""

    name = "tpe"

    def __init__(self, *, n_startup_trials: int = 10, space: NB201Space | None = None,
                 seed: int = 0) -> None:
        super().__init__(space=space, seed=seed)
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

    def discard(self, arch: ArchLike) -> None:
        trials = self.pending.get(self.space.to_arch(arch))
        if trials:
            self.study.tell(trials.pop(0), state=optuna.trial.TrialState.PRUNED)

    def tell(self, arch: ArchLike, score: float) -> None:
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


class Bananas(Strategy):
    """BANANAS, predictor-based Bayesian optimisation (White, Neiswanger & Savani, AAAI 2021,
    Alg. 1): a surrogate that is an *ensemble* of small neural networks on the path encoding
    (`NB201Space.path_encoding`), its spread standing in for a posterior; independent
    Thompson sampling (ITS) as the acquisition — for each candidate, one draw from
    N(ensemble mean, ensemble sd); and acquisition optimisation by mutating the best archs
    found so far. After `n_init` random archs, each round fits the ensemble on everything
    told, scores `n_candidates` mutations and queues the `k` best not yet evaluated.

    The ensemble is `n_models` MLPs (84 -> `width` -> `width` -> 1, ReLU) trained jointly for
    `epochs` full-batch Adam steps on the mean absolute error of standardised scores; all
    models see the same data and differ by their initialisation, which is where the
    ensemble's spread comes from. All randomness comes from `seed`.
    """

    name = "bananas"

    def __init__(self, *, n_init: int = 10, k: int = 10, n_candidates: int = 100,
                 n_parents: int = 10, n_models: int = 5, width: int = 20, epochs: int = 200,
                 lr: float = 0.01, space: NB201Space | None = None, seed: int = 0) -> None:
        super().__init__(space=space, seed=seed)
        if min(n_init, k, n_candidates, n_parents, n_models, width, epochs) < 1:
            raise ValueError("n_init, k, n_candidates, n_parents, n_models, width and epochs "
                             "must all be >= 1")
        self.n_init, self.k, self.n_candidates, self.n_parents = n_init, k, n_candidates, \
            n_parents
        self.n_models, self.width, self.epochs, self.lr = n_models, width, epochs, lr
        self.history: dict[NB201Arch, float] = {}
        self.queue: deque[NB201Arch] = deque()
        self.torch_gen = torch.Generator().manual_seed(seed)
        self.rounds = 0

    def _fit_predict(self, x: torch.Tensor, y: torch.Tensor, cand: torch.Tensor):
        """Train the ensemble on (x, y); return its mean and sd on `cand` (in y's units)."""
        m, d, w, g = self.n_models, x.shape[1], self.width, self.torch_gen
        mu, sd = y.mean(), y.std().clamp_min(1e-6)
        t = (y - mu) / sd
        params = []
        for fan_in, fan_out in ((d, w), (w, w), (w, 1)):  # PyTorch's default Linear init
            for shape in ((m, fan_in, fan_out), (m, 1, fan_out)):
                params.append(((torch.rand(shape, generator=g) * 2 - 1) * fan_in ** -0.5)
                              .requires_grad_())

        def forward(inp: torch.Tensor) -> torch.Tensor:  # (m, n, d) -> (m, n)
            h = inp.expand(m, *inp.shape)
            for i in range(0, 6, 2):
                h = torch.baddbmm(params[i + 1], h, params[i])
                h = torch.relu(h) if i < 4 else h
            return h[..., 0]

        opt = torch.optim.Adam(params, lr=self.lr, foreach=True)
        for _ in range(self.epochs):
            opt.zero_grad()
            (forward(x) - t).abs().mean().backward()
            opt.step()
        with torch.no_grad():
            pred = forward(cand) * sd + mu
        return pred.mean(0), pred.std(0)

    def _next_round(self) -> None:
        archs = list(self.history)
        enc = lambda a: torch.from_numpy(self.space.path_encoding(a))  # noqa: E731
        x = torch.stack([enc(a) for a in archs])
        y = torch.tensor([self.history[a] for a in archs])
        parents = sorted(archs, key=self.history.get, reverse=True)[:self.n_parents]
        cands = list(dict.fromkeys(
            self.space.mutate(parents[i % len(parents)], self.rng)
            for i in range(self.n_candidates)))
        cands = [c for c in cands if c not in self.history] or \
            [self.space.sample(self.rng) for _ in range(self.k)]
        mean, sd = self._fit_predict(x, y, torch.stack([enc(c) for c in cands]))
        its = mean + sd * torch.randn(len(cands), generator=self.torch_gen)  # one draw each
        order = torch.argsort(its, descending=True, stable=True)[:self.k]
        self.queue.extend(cands[int(i)] for i in order)
        self.rounds += 1

    def ask(self) -> NB201Arch:
        if len(self.history) < self.n_init:
            return self.space.sample(self.rng)
        if not self.queue:
            self._next_round()
        return self.queue.popleft()

    def tell(self, arch: ArchLike, score: float) -> None:
        self.history[self.space.to_arch(arch)] = float(score)


STRATEGIES = {"rs": RandomSearch, "re": RegularizedEvolution, "ls": LocalSearch,
              "reinforce": ReinforceController, "tpe": BayesianOptimization, "bananas": Bananas}


def make_strategy(name: str, *, seed: int = 0, **kwargs) -> Strategy:
    """A strategy by its short name (the CLI's `--strategy`), or a student's own class given
    as `path/to/file.py:ClassName` (`load_strategy_class`); `kwargs` go to its class."""
    if ":" in name and name.split(":")[0].endswith(".py"):
        return load_strategy_class(name)(seed=seed, **kwargs)
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}, or "
                         "path/to/file.py:ClassName for your own")
    return STRATEGIES[name](seed=seed, **kwargs)


@cache
def load_strategy_class(spec: str) -> type:
    """The strategy class `ClassName` defined in the Python file of `spec`
    ('path/to/file.py:ClassName'), checked against the ask/tell interface before any search
    uses it: it must be constructible as `Cls(seed=0)`, `ask()` must return a cell of the
    NB201 space (six op names), `tell(arch, score)` must accept it, and two instances with the
    same seed must propose the same first cell (all randomness from `seed`). Raises
    `ValueError` (bad spec or file) or `TypeError` (interface broken), saying which part.
    Loaded once per process (a shared study's sampler rebuilds the strategy every trial)."""
    import importlib.util
    from pathlib import Path

    path, _, cls_name = spec.rpartition(":")
    if not path.endswith(".py") or not cls_name.isidentifier():
        raise ValueError(f"strategy {spec!r}: expected path/to/file.py:ClassName")
    if not Path(path).is_file():
        raise ValueError(f"strategy {spec!r}: no file {path}")
    module_spec = importlib.util.spec_from_file_location(f"user_strategy_{Path(path).stem}",
                                                         path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    cls = getattr(module, cls_name, None)
    if not isinstance(cls, type):
        raise ValueError(f"strategy {spec!r}: {path} defines no class {cls_name}")
    where = f"{cls_name} ({path}) breaks the ask/tell interface"
    for method in ("ask", "tell"):
        if not callable(getattr(cls, method, None)):
            raise TypeError(f"{where}: it has no {method}() method (subclass "
                            "nas_lessons.strategies.Strategy)")
    try:
        first, second = cls(seed=0), cls(seed=0)
    except TypeError as e:
        raise TypeError(f"{where}: Cls(seed=0) failed ({e}); accept a keyword `seed`") from None
    space = NB201Space()
    archs = []
    for s in (first, second):
        arch = s.ask()
        try:
            archs.append(space.to_arch(arch))
        except (TypeError, ValueError) as e:
            raise TypeError(f"{where}: ask() returned {arch!r}, not a cell of six ops from "
                            f"{', '.join(space.OPS)} ({e})") from None
    try:
        first.tell(archs[0], 90.0)
    except Exception as e:  # noqa: BLE001 - any failure of the student's code is reported
        raise TypeError(f"{where}: tell(arch, score) raised {type(e).__name__}: {e}") from None
    if archs[0] != archs[1]:
        raise TypeError(f"{where}: two instances with seed=0 asked for different cells; draw "
                        "all randomness from `seed` (e.g. self.rng of Strategy)")
    return cls
