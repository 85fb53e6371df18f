import numpy as np
import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_lessons.benchmark import NotInBenchmark
from nas_lessons.multiobjective import (
    SAMPLERS,
    distinct_networks,
    hypervolume_2d,
    nsga2_search,
    pareto_front,
)
from nas_lessons.optuna_bridge import StrategySampler, search_worker, suggest_arch
from nas_lessons.search import at_seconds, compare_strategies, run_search
from nas_lessons.spaces import NB201Space
from nas_lessons.strategies import (
    STRATEGIES,
    LocalSearch,
    RandomSearch,
    RegularizedEvolution,
    ReinforceController,
    make_strategy,
)

SPACE = NB201Space()
optuna.logging.set_verbosity(optuna.logging.WARNING)


def toy_score(arch) -> float:
    """A deterministic landscape: 3x3 convs are good, `none` is bad."""
    return 50.0 + 8 * arch.count("nor_conv_3x3") - 5 * arch.count("none") + \
        (3.0 if arch[5] == "skip_connect" else 0.0)


def toy_objective(arch) -> dict:
    return {"score": toy_score(arch), "test_acc": toy_score(arch) - 1, "cost": 2.0}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategies_propose_valid_archs_and_track_the_incumbent(name):
    traj = run_search(make_strategy(name, seed=0), toy_objective, 60)
    for a in traj.archs:
        assert SPACE.to_arch(a) == a
    assert traj.best_score == list(np.maximum.accumulate(traj.scores))
    assert traj.seconds == pytest.approx([2.0 * (i + 1) for i in range(60)])


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategies_improve_over_their_first_proposals(name):
    """Averaged over 8 seeds, every strategy's incumbent after 100 evaluations is at least 5
    points above the best of its first 10 proposals (the toy optimum, 98, is 1 cell in
    15,625; the best of 10 random cells scores about 78)."""
    runs = [run_search(make_strategy(name, seed=seed), toy_objective, 100)
            for seed in range(8)]
    assert np.mean([t.best_score[-1] - t.best_score[9] for t in runs]) > 5.0


@pytest.mark.parametrize("name", ["re", "tpe", "reinforce"])
def test_model_based_and_evolutionary_strategies_learn(name):
    """The learning strategies propose better cells later than early on (mean score of
    proposals 101-200 vs 1-50, averaged over 3 seeds); random search does not."""
    def gain(n):
        runs = [run_search(make_strategy(n, seed=s), toy_objective, 200).scores
                for s in range(3)]
        return float(np.mean([np.mean(r[100:]) - np.mean(r[:50]) for r in runs]))

    assert gain(name) > 5.0
    assert abs(gain("rs")) < 2.0


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_same_seed_same_search(name):
    a = run_search(make_strategy(name, seed=3), toy_objective, 25).archs
    b = run_search(make_strategy(name, seed=3), toy_objective, 25).archs
    assert a == b


def test_regularized_evolution_ages_out_the_oldest():
    re = RegularizedEvolution(population_size=4, sample_size=2, seed=0)
    archs = [SPACE.sample(i) for i in range(6)]
    for i, a in enumerate(archs):
        re.tell(a, 100.0 - i)  # the best ones are the oldest
    assert [m[0] for m in re.population] == archs[2:]  # oldest (and best) died first
    child = re.ask()
    assert any(sum(x != y for x, y in zip(child, m[0])) == 1 for m in re.population)
    with pytest.raises(ValueError, match="sample_size"):
        RegularizedEvolution(population_size=3, sample_size=5)


def test_local_search_climbs_then_restarts():
    ls = LocalSearch(seed=0)
    traj = run_search(ls, toy_objective, 400)
    assert max(traj.scores) == 50 + 8 * 6  # the toy optimum: all 3x3 convs
    assert ls.restarts >= 1


def test_reinforce_learns_a_rewarded_decision():
    ctrl = ReinforceController(seed=0, lr=0.05)
    p0 = ctrl.probabilities()[0, SPACE.OPS.index("nor_conv_3x3")].item()
    for _ in range(150):
        a = ctrl.ask()
        ctrl.tell(a, 100.0 if a[0] == "nor_conv_3x3" else 0.0)
    p1 = ctrl.probabilities()[0, SPACE.OPS.index("nor_conv_3x3")].item()
    assert p0 < 0.3 < 0.8 < p1


def test_reinforce_feeds_previous_decision():
    """The input at step t is the embedding of decision t-1: changing decision 0 changes the
    distribution at step 1 (the textbook bug feeds h instead and ignores the decision)."""
    ctrl = ReinforceController(seed=0)
    _, lp_a, _ = ctrl([0, 0, 0, 0, 0, 0])
    _, lp_b, _ = ctrl([1, 0, 0, 0, 0, 0])
    import torch

    emb_grad = torch.autograd.grad(lp_a, ctrl.embedding.weight)[0]
    assert emb_grad[0].abs().sum() > 0 and emb_grad[ctrl.start].abs().sum() > 0
    assert lp_a.item() != lp_b.item()


@pytest.mark.parametrize("name", ["rs", "re", "ls", "reinforce"])
def test_optuna_sampler_matches_plain_loop(name):
    plain = run_search(make_strategy(name, seed=1), toy_objective, 30).archs
    study = optuna.create_study(direction="maximize", sampler=StrategySampler(name, seed=1))
    study.optimize(lambda t: toy_score(suggest_arch(t)), n_trials=30)
    via_optuna = [tuple(t.params[f"edge{j}{i}"] for j, i in SPACE.EDGES) for t in study.trials]
    assert via_optuna == plain


def test_unknown_strategy():
    with pytest.raises(ValueError, match="allowed: rs, re, ls, reinforce, tpe"):
        make_strategy("ga")
    with pytest.raises(ValueError, match="budget"):
        run_search(make_strategy("rs"), toy_objective, 0)


@given(st.integers(0, 1000))
@settings(max_examples=10)
def test_random_search_is_valid(seed):
    s = make_strategy("rs", seed=seed)
    for _ in range(5):
        assert SPACE.to_arch(s.ask())


def test_two_workers_share_one_study(tmp_path):
    """Two `nas-lessons search` processes on one SQLite file: every trial recorded once,
    the budget respected; a restarted worker continues the study."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'search.db'}"
    cmd = [sys.executable, "-m", "nas_lessons.cli", "search", "--strategy", "re",
           "--objective", "train", "--budget", "4", "--storage", url, "--study", "s"]
    procs = [subprocess.Popen(cmd + ["--seed", str(i)], stdout=subprocess.PIPE, text=True)
             for i in range(2)]
    outs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    study = optuna.load_study(study_name="s", storage=url)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted(t.number for t in complete) == list(range(4))
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert all(t.user_attrs.get("over_budget") for t in failed)
    assert sum(int(o.split("evaluated ")[1].split()[0]) for o in outs) == 4
    # a worker restarted with a larger budget continues where the study stands
    subprocess.run(cmd[:-6] + ["--budget", "5", "--storage", url, "--study", "s"], check=True,
                   capture_output=True, timeout=900)
    study = optuna.load_study(study_name="s", storage=url)
    done = sorted(t.number for t in study.trials
                  if t.state == optuna.trial.TrialState.COMPLETE)
    assert len(done) == 5 and done[:4] == [0, 1, 2, 3]  # earlier results kept


def test_constrained_evolution_rejects_and_counts():
    few_convs = lambda a: a.count("nor_conv_3x3") <= 2  # noqa: E731
    re = RegularizedEvolution(population_size=8, sample_size=3, seed=0, feasible=few_convs)
    traj = run_search(re, toy_objective, 80)
    assert all(few_convs(a) for a in traj.archs)
    assert re.rejected > 0
    assert max(traj.scores) >= 50 + 16  # found cells using both allowed convs
    never = RegularizedEvolution(seed=0, feasible=lambda a: False, max_tries=50)
    with pytest.raises(ValueError, match="unsatisfiable"):
        never.ask()


def test_constrained_random_search_is_uniform_over_the_feasible_cells():
    few_convs = lambda a: a.count("nor_conv_3x3") <= 1  # noqa: E731
    rs = RandomSearch(seed=0, feasible=few_convs)
    archs = [rs.ask() for _ in range(400)]
    assert all(few_convs(a) for a in archs) and rs.rejected > 0
    # uniform over feasible cells: P(no 3x3 conv | <= 1) = 4^6 / (4^6 + 6 * 4^5) = 0.4
    share = np.mean([a.count("nor_conv_3x3") == 0 for a in archs])
    assert 0.33 < share < 0.47
    # rejections: P(> 1 conv) = 1 - 10240 / 15625 = 0.34 of the proposals
    assert 0.25 < rs.rejected / (rs.rejected + len(archs)) < 0.43
    with pytest.raises(ValueError, match="unsatisfiable"):
        RandomSearch(seed=0, feasible=lambda a: False, max_tries=20).ask()


def test_nsga2_front_and_constraint():
    def evaluate(arch):
        lat = 0.3 + 0.2 * arch.count("nor_conv_3x3") + 0.1 * arch.count("nor_conv_1x1")
        return toy_score(arch), lat

    study = nsga2_search(evaluate, budget=60, seed=0, population_size=10, max_latency_ms=1.0)
    pts = [t.values for t in study.trials]
    assert len(pts) == 60  # infeasible trials are kept, marked by their constraint
    assert all(t.values[1] <= 1.0 for t in study.best_trials)
    front = pareto_front(pts, ["max", "min"])
    assert hypervolume_2d([pts[i] for i in front], ref=(0, 2.0)) > 0


# ---- partial benchmarks, comparisons, statistics ---------------------------------------------
def _half_space(arch) -> dict:
    """A stand-in for a partial benchmark: cells with a pool on edge 1<-0 have no record."""
    if arch[0] == "avg_pool_3x3":
        raise NotInBenchmark("not trained yet")
    score = 50.0 + 8 * arch.count("nor_conv_3x3") - 5 * arch.count("none")
    return {"score": score, "test_acc": score, "cost": 1.0}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_untrained_proposals_are_skipped_not_counted(name):
    traj = run_search(make_strategy(name, seed=0), _half_space, 40)
    assert len(traj.scores) == 40 and traj.skipped > 0
    assert all(a[0] != "avg_pool_3x3" for a in traj.archs)


@pytest.mark.parametrize("seconds", [0, -1.0, float("nan"), float("inf")])
def test_a_time_budget_must_be_reachable(seconds):
    with pytest.raises(ValueError, match="seconds must be a positive, finite number"):
        run_search(RandomSearch(seed=0), toy_objective, seconds=seconds)


def test_only_untrained_proposals_raise():
    def nothing(arch):
        raise NotInBenchmark("empty")

    with pytest.raises(ValueError, match="in a row"):
        run_search(RandomSearch(seed=0), nothing, 5, max_skips=20)


@pytest.mark.parametrize("name", ["rs", "re", "ls", "reinforce", "tpe"])
def test_a_worker_moves_past_untrained_proposals(tmp_path, name):
    # the sampler rebuilds the strategy from the storage: it must replay the skipped
    # proposals too, or it proposes the same untrained cell forever
    url = f"sqlite:///{tmp_path / 's.db'}"
    n = search_worker(name, _half_space, 25, storage=url, study_name="s", seed=0)
    study = optuna.load_study(study_name="s", storage=url)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    skipped = [t for t in study.trials if t.user_attrs.get("not_in_benchmark")]
    assert n == len(complete) == 25 and len(study.trials) == 25 + len(skipped)
    assert skipped or name == "ls"  # local search may stay among trained neighbours
    archs = [tuple(t.params[f"edge{j}{i}"] for j, i in SPACE.EDGES) for t in complete]
    assert all(a[0] != "avg_pool_3x3" for a in archs)
    if name != "tpe":  # one worker: the plain loop's archs, skips included
        assert archs == run_search(make_strategy(name, seed=0), _half_space, 25).archs


def test_a_worker_with_only_untrained_proposals_raises(tmp_path):
    def nothing(arch):
        raise NotInBenchmark("empty")

    with pytest.raises(ValueError, match="5 proposals in a row"):
        search_worker("re", nothing, 5, storage=f"sqlite:///{tmp_path / 's.db'}",
                      study_name="s", max_skips=5)


def test_compare_strategies_shapes_and_at_seconds():
    res = compare_strategies(["rs", "re"], _half_space, 15, range(3),
                             kwargs={"re": {"population_size": 5, "sample_size": 2}})
    for r in res.values():
        assert r["regret"].shape == r["seconds"].shape == (3, 15)
        assert r["unique"].shape == (3,) and r["wall_seconds"] > 0
    vals = np.array([[3.0, 2.0, 1.0]])
    secs = np.array([[1.0, 2.0, 5.0]])
    got = at_seconds(vals, secs, np.array([0.5, 1.0, 4.9, 5.0, 9.0]))
    assert np.isnan(got[0, 0]) and got[0, 1:].tolist() == [3.0, 2.0, 1.0, 1.0]


def test_nsga2_counts_completed_trials_only():
    def evaluate(arch):
        if arch[0] == "avg_pool_3x3":
            raise NotInBenchmark("not trained yet")
        return 50.0 + 8 * arch.count("nor_conv_3x3"), 1.0 + arch.count("nor_conv_3x3")

    for sampler in SAMPLERS:
        study = nsga2_search(evaluate, 30, seed=0, population_size=10, sampler=sampler)
        states = [t.state for t in study.trials]
        assert states.count(optuna.trial.TrialState.COMPLETE) == 30
    with pytest.raises(ValueError, match="sampler must be one of nsga2, random, tpe"):
        nsga2_search(evaluate, 30, sampler="grid")


def test_nsga2_dedup_counts_distinct_networks():
    """With dedup every completed trial is a different network (canonical form); without it
    NSGA-II re-evaluates networks it has seen."""
    def evaluate(arch):
        return 50.0 + 8 * arch.count("nor_conv_3x3"), 1.0 + arch.count("nor_conv_3x3")

    def distinct(study):
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        return distinct_networks(study), len(done)

    n, total = distinct(nsga2_search(evaluate, 120, seed=0, population_size=10, dedup=True))
    assert n == total == 120
    n, total = distinct(nsga2_search(evaluate, 120, seed=0, population_size=10))
    assert total == 120 and n < 120


def test_regularized_evolution_starts_from_a_given_population():
    warm = [SPACE.sample(100 + i) for i in range(3)]
    re = RegularizedEvolution(population_size=4, sample_size=2, initial=warm, seed=0)
    asked = []
    for _ in range(6):
        a = re.ask()
        asked.append(a)
        re.tell(a, toy_score(a))
    assert asked[:3] == warm and asked[3] not in warm  # then one random member
    members = asked[:4]  # from the 5th on: a child, one edge away from a member
    assert any(sum(x != y for x, y in zip(asked[4], m)) == 1 for m in members)


def test_tournament_draws_with_replacement_by_default():
    """Real et al.'s Alg. 1 draws the contenders with replacement; the option draws them
    distinct."""
    import random

    from nas_lessons.checks import CheckFailed, check_tournament

    class Spy(random.Random):
        def __init__(self, seed):
            super().__init__(seed)
            self.calls = []

        def choices(self, *args, **kwargs):
            self.calls.append("choices")
            return super().choices(*args, **kwargs)

        def sample(self, *args, **kwargs):
            self.calls.append("sample")
            return super().sample(*args, **kwargs)

    for with_replacement, method in ((True, "choices"), (False, "sample")):
        re = RegularizedEvolution(population_size=4, sample_size=3, seed=0,
                                  with_replacement=with_replacement)
        for i in range(4):
            re.tell(SPACE.sample(i), float(i))
        re.rng = Spy(0)
        re.ask()
        assert re.rng.calls == [method]
    # the check accepts both samplings and rejects one that ignores the scores or the rng
    check_tournament(lambda p, k, rng: max(rng.choices(p, k=k), key=lambda m: m[1])[0])
    check_tournament(lambda p, k, rng: max(rng.sample(p, k), key=lambda m: m[1])[0])
    with pytest.raises(CheckFailed):
        check_tournament(lambda p, k, rng: rng.choice(p)[0])
    with pytest.raises(CheckFailed):
        check_tournament(lambda p, k, rng: max(random.sample(p, k), key=lambda m: m[1])[0])


def test_removing_the_worst_keeps_the_best_member():
    re = RegularizedEvolution(population_size=3, sample_size=2, ageing=False, seed=0)
    archs = [SPACE.sample(i) for i in range(5)]
    for a, s in zip(archs, [99.0, 50.0, 60.0, 70.0, 40.0]):
        re.tell(a, s)
    assert sorted(s for _, s in re.population) == [60.0, 70.0, 99.0]  # 50 then 40 died


def test_stream_seeds_differ_between_strategies_and_runs():
    from nas_lessons.search import stream_seed

    seeds = {stream_seed(n, s) for n in STRATEGIES for s in range(5)}
    assert len(seeds) == 5 * len(STRATEGIES)
    assert stream_seed("re", 3) == stream_seed("re", 3)
    res = compare_strategies(["rs", "re"], toy_objective, 5, range(2))
    assert res["rs"]["archs"][0][0] != res["re"]["archs"][0][0]
    same = compare_strategies(["rs", "re"], toy_objective, 5, range(2), independent=False)
    assert same["rs"]["archs"][0][0] == same["re"]["archs"][0][0]  # shared first sample


def test_a_seconds_budget_stops_at_the_first_evaluation_that_reaches_it():
    traj = run_search(RandomSearch(seed=0), toy_objective, seconds=9.0)  # 2 s each
    assert traj.seconds == [2.0, 4.0, 6.0, 8.0, 10.0]
    res = compare_strategies(["rs", "ls"], toy_objective, seeds=range(2), seconds=7.0)
    assert res["rs"]["evaluations"].tolist() == [4, 4]
    with pytest.raises(ValueError, match="exactly one"):
        run_search(RandomSearch(seed=0), toy_objective, 5, seconds=3.0)
    with pytest.raises(ValueError, match="exactly one"):
        run_search(RandomSearch(seed=0), toy_objective)


def test_networks_count_isomorphic_cells_once():
    res = compare_strategies(["rs"], toy_objective, 200, range(1))
    archs = res["rs"]["archs"][0]
    assert res["rs"]["unique"][0] == len(set(archs))
    assert res["rs"]["networks"][0] == len({SPACE.unique_key(a) for a in archs})
    assert res["rs"]["networks"][0] < res["rs"]["unique"][0]


def test_bananas_fits_its_ensemble_and_proposes_new_cells():
    from nas_lessons.strategies import Bananas

    b = Bananas(n_init=10, k=5, n_candidates=40, epochs=50, seed=0)
    traj = run_search(b, toy_objective, 30)
    assert b.rounds == 4 and len(set(traj.archs[10:])) == 20
    assert not set(traj.archs[10:]) & set(traj.archs[:10])  # never re-proposes a told cell
    assert np.mean(traj.scores[10:]) > np.mean(traj.scores[:10]) + 5  # the predictor helps
    with pytest.raises(ValueError, match=">= 1"):
        Bananas(k=0)


def test_noisy_objective_draws_trained_seeds_and_reports_the_truth():
    from nas_lessons.benchmark import Benchmark
    from nas_lessons.search import NoisyBenchmarkObjective

    bench = Benchmark.load()
    rows = np.flatnonzero(bench.trained_with_every_seed())
    table = bench.unique_table()
    multi, single = table[rows[0]], table[np.flatnonzero(~bench.trained_with_every_seed())[0]]
    obj = NoisyBenchmarkObjective(bench, seed=0)
    seen = {obj(multi)["score"] for _ in range(30)}
    per_seed = {bench.query(multi, seed=s)["val_acc"] for s in bench.seeds}
    assert seen == per_seed
    assert obj(multi)["true_score"] == pytest.approx(bench.query(multi, seed="mean")["val_acc"])
    assert obj(single)["score"] == bench.query(single)["val_acc"]
    noisy = NoisyBenchmarkObjective(bench, noise_sd=1.0, seed=0)
    s = [noisy(single)["score"] - bench.query(single)["val_acc"] for _ in range(200)]
    assert 0.8 < np.std(s) < 1.2
    with pytest.raises(ValueError, match="noise_sd"):
        NoisyBenchmarkObjective(bench, noise_sd=-1.0)


def test_reinforce_step_uses_the_baseline_before_the_reward():
    import torch

    from nas_lessons.strategies import reinforce_step

    theta = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=1.0)
    b = reinforce_step(opt, theta.sum() * 1.0, torch.zeros(()), 0.5, None, decay=0.9,
                       entropy_weight=0.0)
    assert b == 0.5 and theta.item() == 0.0  # the first reward only sets the baseline
    b = reinforce_step(opt, theta.sum() * 1.0, torch.zeros(()), 0.7, b, decay=0.9,
                       entropy_weight=0.0)
    assert theta.item() == pytest.approx(0.2) and b == pytest.approx(0.52)
    fixed = reinforce_step(opt, theta.sum() * 1.0, torch.zeros(()), 0.9, 0.5, decay=None,
                           entropy_weight=0.0)
    assert fixed == 0.5  # decay=None: never updated
