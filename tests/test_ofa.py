"""Once-for-All: the elastic supernet, its subnets and progressive shrinking."""

import math
import random
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_lessons.data import load_dataset
from nas_lessons.ofa import (
    BlockLatencyTable,
    ElasticDepthwiseConv,
    ElasticMBConv,
    ElasticSpace,
    OFANetwork,
    SubnetConfig,
    crossover,
    evaluate_subnet,
    evolutionary_search,
    mutate,
    progressive_shrinking,
    random_search_under,
    shrinking_phases,
)
from nas_lessons.utils import seed_everything


def _perturbed(shape, seed=0, **kw) -> OFANetwork:
    """A supernet whose BN statistics and kernel matrices are no longer at their
    initial values, so that exactness tests cannot pass by accident."""
    torch.manual_seed(seed)
    net = OFANetwork(shape, 10, **kw)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if "matrices" in name:
                p.add_(0.1 * torch.randn_like(p))
    net.train()
    rng = random.Random(seed)
    for _ in range(3):
        net(torch.randn(32, *shape), net.space.sample(rng))
    return net.eval()


NETS = {1: _perturbed((1, 40)), 2: _perturbed((1, 8, 8), seed=1)}


def test_space_size_and_extremes():
    space = ElasticSpace()
    per_stage = 9**2 + 9**3 + 9**4  # (3 kernels x 3 expands)^depth, depth 2..4
    assert space.size() == per_stage**3 == 400_478_525_811
    assert space.max_config().depths == (4, 4, 4) and set(space.max_config().kernels) == {7}
    assert space.min_config().depths == (2, 2, 2) and set(space.min_config().expands) == {3}
    assert "400,478,525,811 subnets" in repr(space)


def test_space_counts_every_subnet_of_a_tiny_space():
    """`size` is the number of different networks: enumerate a tiny space's samples."""
    space = ElasticSpace(n_stages=1, kernels=(3, 5), expands=(1,), depths=(1, 2))
    rng = random.Random(0)
    keys = {space.sample(rng).key(space.max_depth) for _ in range(2000)}
    assert len(keys) == space.size() == 2 + 4


@pytest.mark.parametrize("bad, msg", [
    (dict(depths=(5, 4, 4)), "depths 5 is not allowed; allowed: 2, 3, 4"),
    (dict(kernels=(4,) * 12), "kernels 4 is not allowed; allowed: 3, 5, 7"),
    (dict(expands=(6,) * 11), "expands needs 12 values"),
    (dict(depths=(4, 4)), "one value per stage"),
])
def test_bad_configs_name_the_allowed_values(bad, msg):
    space = ElasticSpace()
    m = space.max_config()
    config = SubnetConfig(**{"depths": m.depths, "kernels": m.kernels, "expands": m.expands,
                             **bad})
    with pytest.raises(ValueError, match=msg):
        space.validate(config)
    with pytest.raises(ValueError, match="allowed: 3, 5, 7"):
        ElasticDepthwiseConv(8, (3, 5, 7), stride=1, rank=1).kernel(9)


def test_encoding_marks_active_blocks_only():
    space = ElasticSpace()
    enc = space.encode(space.min_config())
    assert enc.shape == (12 * 6,) and enc.sum() == 2 * 6  # two active blocks per stage
    assert space.encode(space.max_config()).sum() == 2 * 12


@pytest.mark.parametrize("rank", [1, 2])
def test_kernel_transformation_is_identity_at_initialisation(rank):
    conv = ElasticDepthwiseConv(6, (3, 5, 7), stride=1, rank=rank)
    w7 = conv.kernel(7)
    sl = (..., *[slice(1, 6)] * rank)
    assert torch.equal(conv.kernel(5), w7[sl])
    assert torch.equal(conv.kernel(3), w7[(..., *[slice(2, 5)] * rank)])
    assert conv.matrices["7to5"].shape == (5**rank, 5**rank)
    assert torch.equal(conv.matrices["5to3"], torch.eye(3**rank))


def test_kernel_transformation_is_learnt_and_chained():
    """The 3-kernel goes through both matrices (7->5, then 5->3); gradients reach them."""
    conv = ElasticDepthwiseConv(4, (3, 5, 7), stride=1, rank=1)
    conv(torch.randn(2, 4, 12), 3).sum().backward()
    assert conv.matrices["7to5"].grad.abs().sum() > 0
    assert conv.matrices["5to3"].grad.abs().sum() > 0
    plain = ElasticDepthwiseConv(4, (3, 5, 7), stride=1, rank=1, transform=False)
    assert len(plain.matrices) == 0 and torch.equal(plain.kernel(3), plain.weight[..., 2:5])


@settings(max_examples=30)
@given(seed=st.integers(0, 10_000), rank=st.sampled_from([1, 2]))
def test_extracted_subnet_equals_the_supernet(seed, rank):
    net = NETS[rank]
    config = net.space.sample(random.Random(seed))
    x = torch.randn(5, *net.input_shape, generator=torch.Generator().manual_seed(seed))
    sub = net.extract(config).eval()
    with torch.no_grad():
        assert (sub(x) - net(x, config)).abs().max() <= 1e-5
    n_active = sum(1 for _ in config.active(net.space.max_depth))
    assert sum(1 for m in sub.modules() if m.__class__.__name__ == "MBConv") == n_active
    assert not any(p is q for p in sub.parameters() for q in net.parameters())


def test_extracted_subnet_is_smaller_than_the_supernet():
    net = NETS[1]
    small = net.extract(net.space.min_config())
    big = net.extract(net.space.max_config())
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(small) < count(big) < count(net)  # the supernet also stores the matrices


@pytest.mark.parametrize("rank", [1, 2])
def test_channel_sorting_preserves_the_full_network(rank):
    net = NETS[rank]
    x = torch.randn(8, *net.input_shape)
    with torch.no_grad():
        before = net(x)
        for block in net.blocks():
            block.sort_channels()
            spatial = tuple(range(2, 2 + rank))
            imp = block.project.weight.abs().sum(dim=(0, *spatial))
            assert (imp[:-1] >= imp[1:]).all()  # most important first
        assert torch.allclose(net(x), before, atol=1e-5)


def test_sorting_keeps_the_important_channels_when_shrinking():
    """After sorting, the narrow block keeps the channels with the largest outgoing weights."""
    torch.manual_seed(0)
    block = ElasticMBConv(4, 4, kernels=(3,), expands=(1, 2), stride=1, rank=1)
    with torch.no_grad():
        block.project.weight.mul_(0.01)
        block.project.weight[:, 7].fill_(1.0)  # channel 7 matters most
    block.sort_channels()
    assert block.project.weight[:, 0].abs().min() == 1.0


def test_shrinking_phases_follow_the_paper():
    space = ElasticSpace()
    names = [n for n, _ in shrinking_phases(space)]
    assert names == ["largest", "kernel", "depth-1", "depth-2", "width-1", "width-2"]
    rng = random.Random(0)
    choices = dict(shrinking_phases(space))
    assert space.sample(rng, **choices["largest"]) == space.max_config()
    depth1 = {d for _ in range(200) for d in space.sample(rng, **choices["depth-1"]).depths}
    assert depth1 == {3, 4}
    width = {e for _ in range(50) for e in space.sample(rng, **choices["width-2"]).expands}
    assert width == {3, 4, 6}


def test_progressive_shrinking_runs_every_phase_and_learns():
    full = load_dataset("mnist1d", seed=0)
    data = replace(full, x_train=full.x_train[:1024], y_train=full.y_train[:1024])
    seed_everything(0, threads=1)   # the initial weights too, whatever ran before
    net = OFANetwork(data.input_shape, 10, widths=(8, 8, 8), stem=8)
    phases = shrinking_phases(net.space)
    h = progressive_shrinking(net, data, epochs=[2, 1, 0, 1, 0, 1], phases=phases, seed=0)
    assert h["phase"] == [n for n, _ in phases] and h["epochs"] == [2, 1, 0, 1, 0, 1]
    assert h["train_loss"][0] < 2.3  # below chance level (log 10) after the first phase
    with pytest.raises(ValueError, match="one per phase"):
        progressive_shrinking(net, data, epochs=[1, 1], phases=phases)


def _toy_objectives(space):
    """A known accuracy (bigger kernels and expands, deeper = better) and latency (the
    same, costlier): the trade-off a real supernet has, computable in microseconds."""
    def latency(c):
        return sum(k * e for _, _, k, e in c.active(space.max_depth)) / 10

    def accuracy(c):
        return sum(math.log(k * e) for _, _, k, e in c.active(space.max_depth))

    return accuracy, latency


def test_evolution_respects_the_target_and_beats_random_at_equal_evaluations():
    space = ElasticSpace()
    accuracy, latency = _toy_objectives(space)
    target = 0.5 * latency(space.max_config())
    seen = []

    def logged(c):
        seen.append(c)
        return accuracy(c)

    evo = evolutionary_search(space, accuracy=logged, latency=latency, target=target,
                              generations=10, population=40, seed=0)
    assert all(latency(c) <= target for c in seen) and latency(evo["config"]) <= target
    assert evo["curve"] == sorted(evo["curve"]) and evo["evaluations"] == len(seen)
    wins = 0
    for seed in range(5):
        e = evolutionary_search(space, accuracy=accuracy, latency=latency, target=target,
                                generations=10, population=40, seed=seed)
        r = random_search_under(space, accuracy=accuracy, latency=latency, target=target,
                                evaluations=e["evaluations"], seed=seed)
        assert all(latency(c) <= target for c, _ in r["evaluated"])
        wins += e["accuracy"] > r["accuracy"]
    assert wins == 5
    with pytest.raises(ValueError, match="below what the space can reach"):
        random_search_under(space, accuracy=accuracy, latency=latency,
                            target=0.5 * latency(space.min_config()), evaluations=1)


def test_mutation_and_crossover_stay_in_the_space():
    space = ElasticSpace()
    rng = random.Random(0)
    a, b = space.max_config(), space.min_config()
    for _ in range(100):
        space.validate(mutate(space, a, rng, prob=0.3))
        child = crossover(a, b, rng)
        space.validate(child)
        assert all(k in (3, 7) for k in child.kernels)
    assert mutate(space, a, rng, prob=0.0) == a


def test_recalibration_restores_a_subnets_accuracy():
    """The supernet's running statistics mix all the subnets it trained; the smallest subnet
    evaluated with them is worse than after recalibration on its own batches."""
    full = load_dataset("mnist1d", seed=0)
    data = replace(full, x_train=full.x_train[:1024], y_train=full.y_train[:1024])
    seed_everything(0, threads=1)   # the initial weights too, whatever ran before
    net = OFANetwork(data.input_shape, 10, widths=(8, 8, 8), stem=8)
    progressive_shrinking(net, data, epochs=[3, 0, 0, 0, 0, 2], seed=0)
    small = net.space.min_config()
    with_stats = evaluate_subnet(net, small, data, recalibrate=False, n_val=400)
    recal = evaluate_subnet(net, small, data, batches=4, n_val=400)
    assert recal > with_stats  # by 4-16 pp over seeds and thread counts (lab 7.4's sweep)


def test_block_latency_table_adds_up_and_tracks_measurements():
    torch.set_num_threads(1)
    net = OFANetwork((1, 40), 10)
    table = BlockLatencyTable(net).build(passes=1)
    assert len(table.table) == 2 + 3 * 2 * 9
    small, big = net.space.min_config(), net.space.max_config()
    assert 0 < table.predict(small) < table.predict(big)
    # best of three, so one slow moment of a busy machine cannot flip a 2x difference
    assert min(table.measure(small) for _ in range(3)) < min(table.measure(big) for _ in range(3))
    rng = random.Random(0)
    configs = [net.space.sample(rng) for _ in range(4)]
    fake = [0.5 + 2.0 * table.block_sum(c) for c in configs]  # a known overhead and scale
    table.fit(configs, fake)
    assert table.overhead == pytest.approx(0.5) and table.scale == pytest.approx(2.0)
    assert table.predict(small) == pytest.approx(0.5 + 2.0 * table.block_sum(small))
    with pytest.raises(ValueError, match=">= 2 configs"):
        table.fit(configs[:1], fake[:1])
    with pytest.raises(ValueError, match="allowed"):
        table.predict(SubnetConfig((9, 4, 4), big.kernels, big.expands))


def test_accuracy_predictor_learns_a_known_function_and_ranks_held_out_subnets():
    from nas_lessons.ofa import AccuracyPredictor

    space = ElasticSpace()
    accuracy, _ = _toy_objectives(space)
    rng = random.Random(0)
    configs = [space.sample(rng) for _ in range(400)]
    accs = [accuracy(c) for c in configs]
    torch.set_num_threads(1)
    pred = AccuracyPredictor(space, seed=0).fit(configs[:300], accs[:300], epochs=300)
    held = pred.report(configs[300:], accs[300:])
    base = float(np.std(accs[300:]))
    assert held["kendall_tau"] > 0.8 and held["rmse"] < 0.3 * base and held["n"] == 100
    assert pred(configs[0]) == pytest.approx(pred.predict(configs[:1])[0])
    with pytest.raises(ValueError, match="call fit"):
        AccuracyPredictor(space).predict(configs[:1])


class _AdditiveTable:
    """A latency 'table' without timing: a fixed cost per active block's kernel x expand."""

    def __init__(self, space, scale=1.0):
        self.space, self.scale = space, scale

    def predict(self, config):
        return self.scale * (0.1 + 0.001 * sum(k * e for _, _, k, e in
                                               config.active(self.space.max_depth)))

    def measure(self, config):
        return 1.02 * self.predict(config)


def test_specialise_meets_the_predicted_target_and_measures_its_choice():
    from nas_lessons.ofa import specialise

    data = load_dataset("mnist1d", seed=0)
    net = NETS[1]
    table = _AdditiveTable(net.space)
    lo, hi = table.predict(net.space.min_config()), table.predict(net.space.max_config())
    target = lo + 0.5 * (hi - lo)
    r = specialise(net, data, accuracy=lambda c: sum(c.expands), table=table, target=target,
                   generations=3, population=12)
    assert r["predicted_ms"] <= target
    assert r["measured_ms"] == pytest.approx(1.02 * r["predicted_ms"])
    assert r["meets_target"] == (r["measured_ms"] <= target)
    assert r["accuracy"] == evaluate_subnet(net, r["config"], data)
    assert r["params"] == sum(p.numel() for p in net.extract(r["config"]).parameters())
    assert r["evaluations"] == 12 + 3 * (12 - 3)  # the population, then the children


def _runs(inherited: dict, scratch: dict) -> list[dict]:
    """Synthetic ofa_runs records: {seed: {subnet: accuracy}} per part."""
    def rec(part, variant, seed, accs, key):
        return {"part": part, "variant": variant, "seed": seed, "scale": 1.0,
                "subnets": {n: {key: a, "val": a, "test": a} for n, a in accs.items()}}
    return ([rec("supernet", "ps", s, a, "finetuned_test") for s, a in inherited.items()]
            + [rec("scratch", "scratch", s, a, "test") for s, a in scratch.items()])


def test_scratch_comparison_pairs_by_seed_and_averages_subnets():
    from nas_lessons.ofa import scratch_comparison

    inherited = {0: {"a": 90, "b": 80}, 1: {"a": 91.5, "b": 81}, 2: {"a": 91.5, "b": 79}}
    scratch = {0: {"a": 88, "b": 80}, 1: {"a": 89, "b": 80}, 2: {"a": 90, "b": 80}}
    rows = {r["subnet"]: r for r in scratch_comparison(_runs(inherited, scratch))}
    assert rows["a"]["difference"] == pytest.approx(2.0)  # (2 + 2.5 + 1.5) / 3
    assert rows["a"]["ci"][0] > 0  # every seed +1.5..+2.5: the interval excludes 0
    assert rows["a"]["per_seed"] == pytest.approx([2.0, 2.5, 1.5])
    assert rows["mean"]["per_seed"] == pytest.approx([1.0, 1.75, 0.25])
    assert rows["b"]["difference"] == pytest.approx(0.0)
    assert rows["mean"]["difference"] == pytest.approx(1.0)
    assert rows["a"]["inherited"] == pytest.approx(91) and rows["a"]["scratch"] == 89
    # pairing matters: shuffling the scratch seeds changes the interval, not the mean
    shuffled = {0: scratch[1], 1: scratch[2], 2: scratch[0]}
    other = {r["subnet"]: r for r in scratch_comparison(_runs(inherited, shuffled))}["a"]
    assert other["difference"] == pytest.approx(2.0) and other["ci"] != rows["a"]["ci"]
    with pytest.raises(ValueError, match="metric must be one of"):
        scratch_comparison([], metric="accuracy")
    # an ablation against 'ps' on the same metric
    runs = _runs(inherited, scratch) + [
        dict(r, variant="no-kd", subnets={n: {k: v - 1 for k, v in m.items()}
                                          for n, m in r["subnets"].items()})
        for r in _runs(inherited, scratch) if r["variant"] == "ps"]
    ablation = scratch_comparison(runs, baseline="ps")
    assert {r["variant"] for r in ablation} == {"no-kd"}
    assert all(r["difference"] == pytest.approx(-1.0) for r in ablation)
    with pytest.raises(ValueError, match="baseline must be 'scratch' or a variant"):
        scratch_comparison(runs, baseline="kd")


def test_pretrained_supernet_is_checked_and_trained(monkeypatch):
    from nas_lessons import ofa

    data = load_dataset("mnist1d", seed=0)
    net = ofa.pretrained_supernet(data)
    assert not net.training
    # trained: the largest subnet is far above chance (10 classes) once recalibrated
    assert evaluate_subnet(net, net.space.max_config(), data, n_val=500) > 60
    with pytest.raises(ValueError, match="trained on MNIST-1D"):
        ofa.pretrained_supernet(load_dataset("digits", seed=0))
    runs = [dict(r, weights_sha256="0" * 64) if "weights_sha256" in r else r
            for r in ofa.load_runs()]
    monkeypatch.setattr(ofa, "load_runs", lambda: runs)
    with pytest.raises(ValueError, match="does not match the SHA-256"):
        ofa.pretrained_supernet(data)
    monkeypatch.setattr(ofa, "load_runs", lambda: [])
    with pytest.raises(FileNotFoundError, match="benchmarks/ofa.py"):
        ofa.pretrained_supernet(data)


def test_shipped_runs_cover_every_variant_and_seed():
    """The full-scale run shipped: every ablation and the scratch baseline, >= 3 seeds,
    >= 5 subnets each; the weights' record is the progressive-shrinking seed 0."""
    from nas_lessons.ofa import load_runs

    runs = [r for r in load_runs() if r["scale"] == 1.0]
    parts = {(r["part"], r["variant"]) for r in runs}
    assert parts == {("scratch", "scratch")} | {("supernet", v) for v in
                                              ("ps", "no-transform", "no-sort", "no-kd",
                                               "no-phases")}
    for part, variant in parts:
        rows = [r for r in runs if (r["part"], r["variant"]) == (part, variant)]
        assert {r["seed"] for r in rows} >= {0, 1, 2}
        assert all(len(r["subnets"]) >= 5 for r in rows)
    assert [r["variant"] for r in runs if "weights_sha256" in r] == ["ps"]
