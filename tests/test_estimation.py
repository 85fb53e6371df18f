"""Performance estimation: proxies on tiny networks with values computed by hand, the
supernet against stand-alone networks, multi-fidelity search and curve extrapolation."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import kendalltau, spearmanr
from torch import nn

from nas_lessons.benchmark import Benchmark
from nas_lessons.estimation import (
    PROXIES,
    Supernet,
    early_stopping_search,
    epoch_rank_correlation,
    extrapolate,
    hyperband,
    random_search_seconds,
    ranking_quality,
    recalibrate_bn,
    rungs,
    score,
    successive_halving,
    train_supernet,
    weight_layers,
)
from nas_lessons.spaces import NB201Space


@pytest.fixture(scope="module")
def bench():
    return Benchmark.load()


def _linear(seed=0, bias=True):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4, bias=bias))


def _batch(seed=0, n=6):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, generator=g), torch.tensor([0, 1, 2, 3, 0, 1][:n])


def _ce_grad(model, x, y):
    """dL/dW of mean cross-entropy for a single linear layer, by hand: (p - onehot)^T x / N."""
    W, b = model[0].weight.detach(), model[0].bias.detach()
    p = torch.softmax(x @ W.T + b, 1)
    return ((p - F.one_hot(y, 4)).T @ x / len(x)).double()


def test_grad_norm_and_snip_by_hand():
    m, (x, y) = _linear(), _batch()
    g = _ce_grad(m, x, y)
    assert score(m, x, y, "grad_norm") == pytest.approx(float(g.norm()), rel=1e-5)
    W = m[0].weight.detach().double()
    assert score(m, x, y, "snip") == pytest.approx(float((W * g).abs().sum()), rel=1e-5)


def test_synflow_of_a_linear_chain_is_depth_times_the_output():
    """With |theta|, an all-ones input and no biases, the output R of a linear chain is
    homogeneous of degree 1 in each layer's weights, so sum |theta * dR/dtheta| = L * R."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 5, bias=False), nn.Linear(5, 2, bias=False))
    w0, w1 = m[0].weight.detach().double(), m[1].weight.detach().double()
    R = (w1.abs() @ w0.abs() @ torch.ones(3, dtype=torch.float64)).sum().item()
    x, y = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    assert score(m, x, y, "synflow") == pytest.approx(2 * R, rel=1e-12)
    single = _linear(bias=True)
    assert score(single, x, y, "synflow") == pytest.approx(
        float(single[0].weight.detach().double().abs().sum()), rel=1e-12)


def test_synflow_ignores_batchnorm_and_the_data():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4), nn.Linear(4, 2, bias=False))
    plain = nn.Sequential(m[0], m[2])
    x, y = torch.randn(5, 3), torch.tensor([0, 1, 0, 1, 0])
    assert score(m, x, y, "synflow") == pytest.approx(score(plain, x, y, "synflow"))
    assert score(m, x * 10, y, "synflow") == score(m, x, y, "synflow")


def test_grasp_matches_an_independent_hessian_vector_product():
    m, (x, y) = _linear(), _batch()
    W0, b0 = m[0].weight.detach().clone(), m[0].bias.detach().clone()

    def loss(W):
        return F.cross_entropy(x @ W.T + b0, y)

    g = torch.autograd.grad(loss(W0.clone().requires_grad_(True)),
                            [W0.clone().requires_grad_(True)], allow_unused=True)
    W = W0.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(W), [W])
    _, hg = torch.autograd.functional.hvp(loss, W0, g.detach())
    assert score(m, x, y, "grasp") == pytest.approx(float((-W0 * hg).sum()), rel=1e-4)


def test_fisher_by_hand_for_a_linear_layer():
    m, (x, y) = _linear(), _batch()
    W, b = m[0].weight.detach(), m[0].bias.detach()
    z = x @ W.T + b
    dz = (torch.softmax(z, 1) - F.one_hot(y, 4)) / len(x)  # dL/dz of the mean loss
    per_channel = 0.5 * (z * dz).pow(2).mean(0)
    want = float(per_channel.sum()) * 3  # counted once per weight of the channel (fan-in 3)
    assert score(m, x, y, "fisher") == pytest.approx(want, rel=1e-5)


def test_jacov_of_a_linear_model():
    """Every input has the same Jacobian, so the correlation matrix is all ones: eigenvalues
    n and 0 (n - 1 times), and the score follows in closed form."""
    m, (x, y) = _linear(), _batch()
    n, k = len(x), 1e-5
    want = -((math.log(n + k) + 1 / (n + k)) + (n - 1) * (math.log(k) + 1 / k))
    assert score(m, x, y, "jacov") == pytest.approx(want, rel=1e-6)


def test_naswot_is_the_log_determinant_of_the_hamming_kernel():
    """Codes (1,0), (0,1), (1,1): K = N_A - Hamming = [[2,0,1],[0,2,1],[1,1,2]], det 4."""
    m = nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Linear(2, 2))
    x = torch.tensor([[1.0, -1.0], [-2.0, 3.0], [0.5, 0.5]])
    assert score(m, x, torch.tensor([0, 1, 0]), "naswot") == pytest.approx(math.log(4))


def test_conv1d_layers_count_and_the_model_is_left_alone():
    net = nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6, 3))
    assert [type(m) for m in weight_layers(net)] == [nn.Conv1d, nn.Linear]
    x, y = torch.randn(5, 1, 8), torch.tensor([0, 1, 2, 0, 1])
    net.eval()
    before = [p.detach().clone() for p in net.parameters()]
    values = {p: score(net, x, y, p) for p in PROXIES}
    assert all(np.isfinite(v) for v in values.values()), values
    assert values["snip"] > 0 and values["params"] == sum(p.numel() for p in net.parameters())
    assert not net.training and all(p.grad is None for p in net.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    with pytest.raises(ValueError, match="unknown proxy 'zen'; allowed: grad_norm"):
        score(net, x, y, "zen")
    with pytest.raises(ValueError, match="at least 2"):
        score(net, x[:1], y[:1], "snip")


def test_ranking_quality_agrees_with_scipy():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=50)
    est = truth + rng.normal(size=50)
    q = ranking_quality(est, truth, top=0.1)
    assert q["spearman"] == pytest.approx(spearmanr(est, truth)[0])
    assert q["kendall"] == pytest.approx(kendalltau(est, truth)[0])
    assert q["k"] == 5 and ranking_quality(truth, truth)["top_overlap"] == 1.0
    assert ranking_quality(-truth, truth, top=0.1)["spearman"] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="equally long"):
        ranking_quality([1, 2], [1, 2, 3])


# ---- weight sharing ---------------------------------------------------------------------------
def test_subnet_forward_equals_the_supernet_path():
    torch.manual_seed(0)
    sup, space = Supernet(C=4, N=2), NB201Space()
    x = torch.randn(5, 1, 40)
    for i in range(8):
        arch = space.sample(i)
        for training in (True, False):
            sup.train(training)
            assert torch.equal(sup(x, arch), sup.subnet(arch)(x)), (arch, training)


def test_supernet_training_moves_only_the_sampled_paths_and_learns(mnist1d):
    from nas_lessons.data import load_dataset

    data = load_dataset("mnist1d", n_samples=600)
    torch.manual_seed(0)
    sup = Supernet(C=4)
    h = train_supernet(sup, data, epochs=3, batch_size=64, seed=0)
    assert len(h["train_loss"]) == 3 and h["train_loss"][-1] < h["train_loss"][0]


def test_recalibration_sets_running_stats_to_the_batch_average():
    from nas_lessons.data import load_dataset

    data = load_dataset("mnist1d", n_samples=600)
    net = nn.Sequential(nn.Conv1d(1, 3, 3), nn.BatchNorm1d(3))
    recalibrate_bn(net, data, batches=1, batch_size=128)
    gen = torch.Generator().manual_seed(0)
    x, _ = next(iter(data.loader("train", 128, generator=gen)))
    with torch.no_grad():
        z = net[0](x)
    assert torch.allclose(net[1].running_mean, z.mean((0, 2)), atol=1e-5)
    assert not net.training and net[1].momentum == 0.1


# ---- fewer epochs -----------------------------------------------------------------------------
def test_rungs_are_geometric_and_end_at_the_full_budget():
    assert rungs(10, 1, 3) == [1, 3, 10] and rungs(10, 3, 3) == [3, 10]
    assert rungs(20, 1, 3) == [2, 7, 20] and rungs(20, 20, 3) == [20]


def test_epoch_rank_correlation_ends_at_one(bench):
    r = epoch_rank_correlation(bench)
    assert r["spearman"][-1] == pytest.approx(1.0) and r["kendall"][-1] == pytest.approx(1.0)
    assert len(r["spearman"]) == bench.epochs and r["n_cells"] == 7_005


def test_successive_halving_keeps_the_best_third(bench):
    run = successive_halving(bench, n=9, min_epochs=1, eta=3, rng=0)
    ladder = rungs(bench.epochs, 1, 3)
    assert [e for _, e, _ in run.evaluations] == [ladder[0]] * 9 + [ladder[1]] * 3 + [ladder[2]]
    first = sorted(run.evaluations[:9], key=lambda t: -t[2])
    assert {a for a, _, _ in run.evaluations[9:12]} == {a for a, _, _ in first[:3]}
    assert run.incumbent[-1] == run.evaluations[-1][0]
    full = sum(bench.query(a)["train_seconds"] for a, _, _ in run.evaluations[12:])
    assert run.spent < sum(bench.query(a)["train_seconds"] for a, _, _ in run.evaluations[:9])
    assert run.spent > full
    with pytest.raises(ValueError, match="eta"):
        successive_halving(bench, n=9, min_epochs=1, eta=1)


def test_multi_fidelity_searches_respect_the_budget(bench):
    for run in (hyperband(bench, budget_seconds=300, seed=1),
                random_search_seconds(bench, budget_seconds=300, seed=1),
                early_stopping_search(bench, budget_seconds=300, k=3, seed=1)):
        assert 0 < run.spent <= 300 and len(run.incumbent) == len(run.evaluations)
        assert run.seconds == sorted(run.seconds)


@pytest.mark.parametrize("budget", [float("nan"), float("inf"), 0, -5.0, "300"])
def test_a_search_until_the_time_is_spent_refuses_a_budget_it_cannot_reach(bench, budget):
    # NaN (the mean of a column with untrained cells) used to make these loop forever
    for search in (lambda: hyperband(bench, budget_seconds=budget),
                   lambda: random_search_seconds(bench, budget_seconds=budget),
                   lambda: early_stopping_search(bench, budget_seconds=budget, k=3)):
        with pytest.raises(ValueError, match="budget_seconds must be a positive, finite"):
            search()


def test_extrapolation_recovers_a_pow3_curve():
    t = np.arange(1, 21)
    curve = 100 * (0.95 - 0.6 * t ** -1.2)
    assert extrapolate(curve[:6], family="pow3", epoch=20) == pytest.approx(curve[-1], abs=0.05)
    assert extrapolate(curve[:6], family="powerlaw", epoch=20) != pytest.approx(curve[-1],
                                                                              abs=0.05)
    with pytest.raises(ValueError, match="unknown family"):
        extrapolate(curve[:6], family="weibull", epoch=20)


# ---- the shipped proxy table ------------------------------------------------------------------
def test_compute_proxies_resumes(tmp_path):
    from nas_lessons.estimation import compute_proxies

    assert compute_proxies(tmp_path, proxies=("params", "naswot"), limit=2, progress=False) == 2
    assert compute_proxies(tmp_path, proxies=("params", "naswot"), limit=2, progress=False) == 2
    lines = [__import__("json").loads(x) for x in (tmp_path / "proxies.jsonl").open()]
    assert len({r["arch"] for r in lines}) == 4 and set(lines[0]["values"]) == {"params",
                                                                             "naswot"}


def test_proxy_table_round_trip_in_benchmark_row_order(tmp_path):
    import json

    from nas_lessons.estimation import ProxyTable, pack_proxies

    space = NB201Space()
    uniq = [space.format(a) for a in space.unique_archs()]
    with open(tmp_path / "proxies.jsonl", "w") as fh:
        for i, a in enumerate(uniq):
            fh.write(json.dumps({"arch": a, "values": {"params": float(i), "snip": -i},
                                 "seconds": {"params": 0.1, "snip": 0.2}}) + "\n")
    t = ProxyTable.load(pack_proxies(tmp_path, tmp_path / "p.npz"))
    assert t.names == ["params", "snip"] and t.per_cell("params").tolist() == list(range(7005))
    a = space.parse(uniq[100])
    swapped = (a[1], a[0], a[2], a[3], a[5], a[4]) if a[2] == "none" else a
    assert t.value(swapped, "snip") == -100.0
    assert t.meta["batch"] == {"size": 64, "seed": 0, "init_seed": 0}
    with pytest.raises(ValueError, match="unknown proxy"):
        t.per_cell("zen")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "proxies.jsonl").write_text((tmp_path / "proxies.jsonl").read_text()
                                                  .split("\n", 1)[1])
    with pytest.raises(ValueError, match="1 of 7005 networks have no proxies"):
        pack_proxies(tmp_path / "b", tmp_path / "q.npz")
