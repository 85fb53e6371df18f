import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nas_lessons.hardware import (
    HardwareConstraints,
    LatencyTable,
    cpu_model,
    deployed,
    machine_info,
    memory_mb,
    peak_memory_mb,
    prediction_report,
)
from nas_lessons.models import NB201Network
from nas_lessons.multiobjective import (
    RewardObjective,
    hypervolume,
    hypervolume_2d,
    hypervolume_curve,
    mnasnet_reward,
    pareto_front,
    pareto_ranks,
)


def brute_front(pts, senses):
    sign = np.array([1 if s == "min" else -1 for s in senses])
    f = np.asarray(pts, float) * sign
    return sorted(i for i in range(len(f)) if not any(
        np.all(f[j] <= f[i]) and np.any(f[j] < f[i]) for j in range(len(f))))


points = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)),
                  min_size=1, max_size=25)


@given(points, st.sampled_from(list(itertools.product(["min", "max"], repeat=3))))
def test_pareto_front_matches_brute_force(pts, senses):
    assert pareto_front(pts, senses).tolist() == brute_front(pts, senses)
    ranks = pareto_ranks(pts, senses)
    assert sorted(np.flatnonzero(ranks == 0).tolist()) == brute_front(pts, senses)
    assert (ranks >= 0).all()


def test_pareto_front_uses_every_objective():
    # the popular sketch compares accuracy and latency only; here params breaks the tie
    pts = [(90, 5.0, 100), (90, 5.0, 50)]
    assert pareto_front(pts, ["max", "min", "min"]).tolist() == [1]
    with pytest.raises(ValueError, match="senses"):
        pareto_front(pts, ["max", "min"])


def test_hypervolume_known_cases():
    assert hypervolume_2d([(1.0, 1.0)], ref=(0.0, 2.0)) == pytest.approx(1.0)
    # two points maximise x, minimise y, ref (0, 10): union of rectangles 3x6 and 5x2 -> 18+4
    assert hypervolume_2d([(3, 4), (5, 8)], ref=(0, 10)) == pytest.approx(3 * 6 + 2 * 2)
    assert hypervolume_2d([(3, 4), (5, 8), (2, 9)], ref=(0, 10)) == pytest.approx(22)
    assert hypervolume_2d([(-1, 4)], ref=(0, 10)) == 0.0  # does not beat the reference
    assert hypervolume_2d([(1, 1), (2, 0)], ref=(3, 3), senses=("min", "min")) == \
        pytest.approx(2 * 2 + 1 * 1)


@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 10)), min_size=1, max_size=15))
def test_hypervolume_monte_carlo(pts):
    rng = np.random.default_rng(0)
    samples = rng.uniform(0, 10, size=(4000, 2))
    p = np.array(pts)
    covered = np.any((samples[:, None, 0] <= p[None, :, 0]) &
                     (samples[:, None, 1] >= p[None, :, 1]), axis=1)
    assert abs(hypervolume_2d(pts, ref=(0, 10)) - covered.mean() * 100) < 6


@pytest.mark.parametrize("bad", [-1, 0, float("nan"), "5", True])
def test_constraints_validation(bad):
    with pytest.raises(ValueError, match="max_latency_ms must be a positive number"):
        HardwareConstraints(max_latency_ms=bad)


def test_constraints_violations():
    c = HardwareConstraints(max_latency_ms=2.0, max_params_m=0.01)
    assert c.feasible(latency_ms=1.5, params=9_000)
    v = c.violations(latency_ms=3.0, params=20_000, flops=1e9)
    assert set(v) == {"max_latency_ms", "max_params_m"} and math.isclose(v["max_latency_ms"], 1)
    assert not c.violations(latency_ms=2.0, params=10_000)  # the limit itself is allowed


def test_constraints_apply_elementwise_to_arrays():
    c = HardwareConstraints(max_latency_ms=2.0, max_params_m=0.01)
    lat = np.array([1.0, 3.0, 1.0, np.nan])
    params = np.array([5e3, 5e3, 2e4, 5e3])
    assert c.feasible(latency_ms=lat, params=params).tolist() == [True, False, False, False]
    assert c.excess(latency_ms=lat)["max_latency_ms"][:3].tolist() == [-1.0, 1.0, -1.0]


def test_machine_description():
    info = machine_info()
    assert info["processor"] == cpu_model() and info["cpu_count"] >= 1
    assert {"platform", "python", "torch"} <= set(info)


def test_memory_estimate_grows_with_convs():
    kw = dict(C=8, N=1, num_classes=10, in_channels=1, rank=1, reduction="cheap")
    small = memory_mb(NB201Network(("skip_connect",) * 6, **kw), (1, 40))
    big = memory_mb(NB201Network(("nor_conv_3x3",) * 6, **kw), (1, 40))
    assert 0 < small < big


def test_latency_table_mechanics():
    t = LatencyTable().build(min_run_time=0.01, passes=1)
    assert len(t.table) == 15 and t.table[("none", 0)] == 0.0
    assert t.table[("nor_conv_3x3", 0)] > 0
    rng = random.Random(0)
    from nas_lessons.spaces import NB201Space

    archs = [NB201Space().sample(rng) for _ in range(12)]
    measured = t.measure(archs, min_run_time=0.01, passes=2)
    assert 0.0 <= t.repeatability < 10.0 and len(measured) == len(archs)  # 2 passes
    t.fit(archs, measured).fit_ridge(archs, measured)
    assert t.cell_sum(("nor_conv_3x3",) * 6) > t.cell_sum(("skip_connect",) * 6) > 0
    assert t.cell_sum(("none",) * 6) == 0.0
    assert np.isfinite(t.predict(("nor_conv_3x3",) * 6)) and t.predict_ridge(archs[0]) > 0
    rep = prediction_report([t.predict(a) for a in archs], measured)
    assert 0 <= rep["within_10pct"] <= 1 and -1 <= rep["kendall_tau"] <= 1
    with pytest.raises(ValueError, match="build"):
        LatencyTable().cell_sum(("none",) * 6)


def test_measure_deployments_interleaves_variants_of_each_network(monkeypatch):
    t = LatencyTable()
    archs = [("nor_conv_3x3",) * 6, ("skip_connect",) * 6]
    calls = []
    import nas_lessons.hardware as hw

    real = hw.measure_latency

    def spy(net, *a, **kw):
        calls.append(type(net).__name__)
        return real(net, *a, **kw)

    monkeypatch.setattr(hw, "measure_latency", spy)
    out = t.measure_deployments(archs, {"as built": {}, "fused": {"fuse_conv_bn": True}},
                                min_run_time=0.005, passes=2)
    assert set(out) == {"as built", "fused"} and all(len(v) == 2 for v in out.values())
    # per pass: network 0 as built, network 0 fused, network 1 as built, network 1 fused
    assert calls[:4] == ["NB201Network", "GraphModule", "NB201Network", "GraphModule"]
    assert len(calls) == 8
    with pytest.raises(ValueError, match="deployments is empty"):
        t.measure_deployments(archs, {})
    with pytest.raises(ValueError, match="passes"):
        t.measure_deployments(archs, {"a": {}}, passes=0)


def test_cpu_contention_sees_another_busy_program():
    import math
    import os
    import subprocess
    import sys
    import time

    from nas_lessons.hardware import CPUContention

    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        with CPUContention() as c:
            time.sleep(1.0)
    finally:
        busy.kill()
    if math.isnan(c.others):
        pytest.skip("no /proc/stat on this system")
    assert 0.7 < c.others < (os.cpu_count() or 1) + 1 and not c.idle
    assert "cores meanwhile" in c.busy
    assert not CPUContention().idle  # never measured: not known to be idle, so not judged
    assert "could not be read" in CPUContention().busy


def test_judge_prints_why_a_timing_is_not_judged(capsys):
    from nas_lessons.hardware import CPUContention

    busy, idle = CPUContention(), CPUContention()
    busy.others, idle.others = 1.5, 0.1
    assert not busy.judge("the ratios")
    assert capsys.readouterr().out == ("Not judging the ratios: other programs used 1.50 cores "
                                       "meanwhile (rerun on an idle machine).\n")
    assert idle.judge("the ratios") and idle.busy == ""
    assert capsys.readouterr().out == ""


def test_measure_latency_times_calls_without_autograd():
    """The timed calls run with gradient recording off (the output of a timed call does not
    require grad), and the report counts blocks and calls."""
    import torch
    from torch import nn

    from nas_lessons.hardware import measure_latency

    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            out = self.lin(x)
            seen.append(out.requires_grad)
            return out

    r = measure_latency(Probe(), (4,), min_run_time=0.01, warmup=1)
    assert seen and not any(seen)
    assert r["median_ms"] > 0 and r["calls"] >= r["blocks"] >= 1
    assert torch.is_grad_enabled()  # the caller's grad mode is restored


def test_hypervolume_in_three_dimensions_matches_counting_unit_cubes():
    """Integer points: the dominated volume is the number of unit cubes of the box below the
    reference that some point dominates — counted directly."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        pts = rng.integers(0, 6, size=(rng.integers(1, 8), 3))
        ref = np.array([6, 6, 6])
        grid = np.stack(np.meshgrid(*[np.arange(6)] * 3, indexing="ij"), -1).reshape(-1, 3)
        covered = np.any(np.all(pts[None, :, :] <= grid[:, None, :], axis=2), axis=1)
        assert hypervolume(pts, ref, ["min"] * 3) == pytest.approx(covered.sum())


def test_hypervolume_agrees_across_dimensions_and_senses():
    pts = [(3.0, 4.0), (5.0, 8.0), (2.0, 9.0)]
    assert hypervolume(pts, (0, 10), ("max", "min")) == hypervolume_2d(pts, ref=(0, 10)) == 22
    # a constant third objective at distance 2 from the reference doubles the volume
    pts3 = [(a, b, 1.0) for a, b in pts]
    assert hypervolume(pts3, (0, 10, 3.0), ("max", "min", "min")) == pytest.approx(44)
    assert hypervolume([(5.0,)], (2.0,), ("max",)) == 3.0
    assert hypervolume([(1.0, 1.0, 9.0)], (0, 2, 5), ("max", "min", "min")) == 0.0
    with pytest.raises(ValueError, match="senses must give 'min' or 'max'"):
        hypervolume(pts, (0, 10), ("max",))
    with pytest.raises(ValueError, match="exactly two objectives"):
        hypervolume_2d(pts3, (0, 10, 3))


def test_hypervolume_curve_grows_with_the_budget():
    rng = np.random.default_rng(1)
    vals = np.c_[rng.uniform(0, 100, 200), rng.uniform(0, 1, 200)]
    curve = hypervolume_curve(vals, (0, 1), ("max", "min"), [1, 10, 50, 200])
    assert curve == sorted(curve) and curve[-1] == pytest.approx(
        hypervolume_2d(vals, (0, 1)))
    with pytest.raises(ValueError, match="budgets must lie in 1..200"):
        hypervolume_curve(vals, (0, 1), ("max", "min"), [0, 10])


def test_mnasnet_reward_soft_and_hard():
    # soft (the paper's alpha = beta = -0.07): twice as slow needs ~5% more accuracy
    assert mnasnet_reward(80.0, 2.0, 1.0) == pytest.approx(80.0 * 2**-0.07)
    assert mnasnet_reward(80.0, 0.5, 1.0) == pytest.approx(80.0 * 0.5**-0.07)  # faster: bonus
    assert mnasnet_reward(80.0, 1.0, 1.0) == 80.0
    # hard (alpha = 0, beta = -1): no bonus below the target, halved at twice the target
    hard = dict(alpha=0.0, beta=-1.0)
    assert mnasnet_reward(80.0, 0.5, 1.0, **hard) == 80.0
    assert mnasnet_reward(80.0, 2.0, 1.0, **hard) == pytest.approx(40.0)
    np.testing.assert_allclose(mnasnet_reward([80.0, 80.0], [0.5, 2.0], 1.0, **hard), [80, 40])
    with pytest.raises(ValueError, match="target must be a positive latency"):
        mnasnet_reward(80.0, 1.0, 0.0)
    wrapped = RewardObjective(lambda a: {"score": 90.0, "cost": 1.0}, lambda a: 2.0, 1.0, **hard)
    r = wrapped(("none",) * 6)
    assert r["score"] == pytest.approx(45.0) and r["accuracy"] == 90.0 and r["latency_ms"] == 2.0


def test_deployed_networks_compute_the_same_function():
    import torch

    net = NB201Network(("nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "skip_connect",
                        "nor_conv_3x3", "none"), C=8, N=1, num_classes=10, in_channels=1, rank=1)
    net.train()
    net(torch.randn(16, 1, 40))  # BN statistics away from their initial values
    net.eval()
    x = torch.randn(8, 1, 40)
    bns = lambda m: sum(isinstance(k, torch.nn.BatchNorm1d) for k in m.modules())  # noqa: E731
    with torch.no_grad():
        fused = deployed(net, fuse_conv_bn=True)
        assert torch.allclose(fused(x), net(x), atol=1e-5)
        assert bns(fused) < bns(net)  # folded into the convolutions
        q = deployed(net, int8_dynamic=True)
        assert torch.allclose(q(x), net(x), atol=0.05)  # int8 weights in the classifier only
        assert not any(isinstance(m, torch.nn.Linear) and type(m) is torch.nn.Linear
                       for m in q.modules())
    assert bns(net) > 0 and net(x).shape == (8, 10)  # the original is untouched


def test_peak_memory_counts_only_what_is_alive_at_once():
    """A chain of five 1000->1000 layers on a batch of 10: at any time the input and two
    activations (40 kB each) are alive, while the sum over layers is five activations."""
    import torch

    chain = torch.nn.Sequential(*[torch.nn.Linear(1000, 1000, bias=False) for _ in range(5)])
    weights = 5 * 1000 * 1000 * 4 / 1e6
    assert peak_memory_mb(chain, (1000,), 10) == pytest.approx(weights + 3 * 0.04)
    assert memory_mb(chain, (1000,), 10) == pytest.approx(weights + 5 * 0.04)

    class Skip(torch.nn.Module):  # keeps its input alive across two layers
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(1000, 1000), torch.nn.Linear(1000, 1000)

        def forward(self, x):
            h = self.a(x)
            return self.b(h) + h

    net = torch.nn.Sequential(torch.nn.Linear(1000, 1000), Skip())
    w = sum(p.numel() * 4 for p in net.parameters()) / 1e6
    # input, first output (held by the skip), h, b(h), and the sum
    assert peak_memory_mb(net, (1000,), 10) == pytest.approx(w + 5 * 0.04)
