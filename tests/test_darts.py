import pytest
import torch
import torch.nn.functional as F

from nas_lessons.darts import (
    Architect,
    DARTSSearchNetwork,
    MixedOp,
    NB201SearchNetwork,
    darts_genotype,
    darts_search,
    derive_darts,
    derive_nb201,
    exact_unrolled_gradient,
    hessian_eigenvalue,
)
from nas_lessons.data import load_dataset
from nas_lessons.ops import DARTS_OPS, NB201_OPS


def test_parameter_groups_disjoint_and_complete():
    for net in (NB201SearchNetwork(C=4), DARTSSearchNetwork(C=4, layers=3, in_channels=1,
                                                            rank=1)):
        arch, weights = net.arch_parameters(), net.weights()
        ids_a, ids_w = {id(p) for p in arch}, {id(p) for p in weights}
        assert not ids_a & ids_w
        assert ids_a | ids_w == {id(p) for p in net.parameters()}
        assert all(p.dim() == 2 for p in arch)


def test_search_bn_is_not_affine():
    net = NB201SearchNetwork(C=4)
    bns = [m for mo in net.modules() if isinstance(mo, MixedOp) for m in mo.modules()
           if isinstance(m, torch.nn.BatchNorm1d)]
    assert bns and all(not m.affine for m in bns)


def test_mixed_op_is_softmax_weighted_sum():
    torch.manual_seed(0)
    op = MixedOp(4, 1, ops=NB201_OPS, rank=1).eval()
    x = torch.randn(2, 4, 10)
    w = F.softmax(torch.randn(5), -1)
    want = sum(wi * o(x) for wi, o in zip(w, op.ops))
    assert torch.allclose(op(x, w), want)
    onehot = torch.eye(5)[3]
    assert torch.allclose(op(x, onehot), op.ops[3](x))


def _tiny():
    torch.manual_seed(0)
    net = NB201SearchNetwork(C=2, N=1, num_classes=3, in_channels=1, rank=1).double()
    net.eval()  # BN uses running stats: the loss is a smooth function of w and alpha
    with torch.no_grad():
        net.alpha.normal_(0, 0.5)
    x = torch.randn(6, 1, 8, dtype=torch.double)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    xv = torch.randn(6, 1, 8, dtype=torch.double)
    return net, x, y, xv, y.flip(0)


def test_second_order_hypergradient_matches_exact_unrolled_gradient():
    """Eq. 7 with the finite-difference Hessian-vector product (Eq. 8) against the exact
    gradient of alpha -> L_val(w - xi * grad_w L_train(w, alpha), alpha) by double backward."""
    net, x, y, xv, yv = _tiny()
    xi = 0.05
    got = Architect(net, order=2, fd_radius=1e-5).hypergradient(x, y, xv, yv, xi=xi)[0]
    paper = Architect(net, order=2).hypergradient(x, y, xv, yv, xi=xi)[0]
    exact = exact_unrolled_gradient(net, x, y, xv, yv, xi=xi)[0]
    assert torch.allclose(got, exact, rtol=1e-4, atol=1e-9), (got - exact).abs().max()
    # the paper's radius (w moves by 0.01) is a coarser but still close estimate
    assert (paper - exact).norm() < 0.2 * exact.norm()
    first = Architect(net, order=1).hypergradient(x, y, xv, yv, xi=xi)[0]
    assert not torch.allclose(first, exact, atol=1e-6)  # second order really differs


def test_first_order_is_plain_validation_gradient():
    net, x, y, xv, yv = _tiny()
    got = Architect(net, order=1).hypergradient(x, y, xv, yv, xi=0.1)[0]
    want = torch.autograd.grad(net.loss(xv, yv), net.alpha)[0]
    assert torch.equal(got, want)
    with pytest.raises(ValueError, match="order"):
        Architect(net, order=3)


def test_derive_excludes_none():
    alpha = torch.zeros(6, 5)
    alpha[:, NB201_OPS.index("none")] = 10.0  # none dominates every edge
    alpha[:, NB201_OPS.index("nor_conv_3x3")] = 1.0
    assert derive_nb201(alpha) == ("nor_conv_3x3",) * 6
    torch.manual_seed(0)
    a = torch.randn(14, len(DARTS_OPS))
    a[:, DARTS_OPS.index("none")] = 50.0
    cell = derive_darts(a)
    assert len(cell) == 8 and all(op != "none" for op, _ in cell)
    for i in range(4):
        (_, j1), (_, j2) = cell[2 * i: 2 * i + 2]
        assert j1 != j2 and 0 <= j1 < i + 2 and 0 <= j2 < i + 2


def test_derive_nb201_plain_argmax_is_nas_bench_201s_protocol():
    alpha = torch.zeros(6, 5)
    alpha[:, NB201_OPS.index("none")] = 10.0
    assert derive_nb201(alpha, exclude_none=False) == ("none",) * 6


def _bn_batches(net) -> list[int]:
    return [int(m.num_batches_tracked) for m in net.modules()
            if isinstance(m, torch.nn.BatchNorm1d) and m.track_running_stats]


def test_second_order_step_leaves_running_statistics_to_the_live_passes():
    """The L_val(w') forward runs on copied buffers (the reference runs it on a throw-away
    copy of the model), so an order-2 step updates BN statistics only in its w+ and w-
    passes on the training batch, as the reference's Hessian-vector product does."""
    torch.manual_seed(0)
    net = NB201SearchNetwork(C=2, N=1, num_classes=3, in_channels=1, rank=1).train()
    x, y = torch.randn(6, 1, 8), torch.tensor([0, 1, 2, 0, 1, 2])
    xv = torch.randn(6, 1, 8) + 3.0  # validation batch with another mean
    before = _bn_batches(net)
    Architect(net, order=2).hypergradient(x, y, xv, y, xi=0.01)
    # three train-mode forwards on x (the gradient at w, then w+ and w-), none at w'
    assert _bn_batches(net) == [b + 3 for b in before]
    Architect(net, order=1).hypergradient(x, y, xv, y, xi=0.01)
    assert _bn_batches(net) == [b + 4 for b in before]  # first order: one forward on xv


def test_derive_ranks_edges_by_their_best_non_none_op():
    a = torch.zeros(14, len(DARTS_OPS))
    # node 1 (edges 2, 3, 4 from inputs 0, 1, 2): input 2 carries the strongest real op,
    # input 0 a strong none (which must not count), input 1 a medium op
    a[2, DARTS_OPS.index("none")] = 9.0
    a[3, DARTS_OPS.index("sep_conv_3x3")] = 2.0
    a[4, DARTS_OPS.index("dil_conv_5x5")] = 3.0
    cell = derive_darts(a)
    assert cell[2:4] == [("sep_conv_3x3", 1), ("dil_conv_5x5", 2)]


def test_search_is_reproducible_and_records_alpha():
    data = load_dataset("mnist1d", n_samples=400)

    def run():
        torch.manual_seed(0)
        net = NB201SearchNetwork(C=4, N=1, num_classes=10, in_channels=1, rank=1)
        h = darts_search(net, data, epochs=2, order=1, batch_size=64, seed=0)
        return h, derive_nb201(net.alpha)

    (h1, a1), (h2, a2) = run(), run()
    assert len(h1["alpha"]) == 2 and h1["alpha"][0][0].shape == (6, 5)
    assert torch.equal(h1["alpha"][-1][0], h2["alpha"][-1][0]) and a1 == a2
    assert not torch.equal(h1["alpha"][0][0], torch.full((6, 5), 0.2))  # alpha moved


def test_second_order_search_and_darts_space_run():
    data = load_dataset("mnist1d", n_samples=300)
    torch.manual_seed(0)
    net = NB201SearchNetwork(C=2, N=1, num_classes=10, in_channels=1, rank=1)
    h = darts_search(net, data, epochs=1, order=2, batch_size=64)
    assert len(h["val_acc"]) == 1
    dnet = DARTSSearchNetwork(C=2, layers=3, num_classes=10, in_channels=1, rank=1)
    assert dnet(data.x_val[:4]).shape == (4, 10)
    g = darts_genotype(dnet)
    assert len(g.normal) == 8 and all(op != "none" for op, _ in g.normal + g.reduce)


def test_gdas_runs_one_op_per_edge_and_trains_alpha():
    torch.manual_seed(0)
    net = NB201SearchNetwork(C=4, N=1, num_classes=10, in_channels=1, rank=1, mode="gdas")
    net.train()
    w, idx = net.edge_weights()
    assert idx is not None and torch.equal(w.detach(), F.one_hot(idx, 5).float())
    x, y = torch.randn(8, 1, 16), torch.randint(0, 10, (8,))
    g = torch.autograd.grad(net.loss(x, y), net.alpha)[0]
    assert (g != 0).sum() > 6  # straight-through: gradients beyond the sampled ops
    net.eval()  # evaluation: the argmax op of every edge, not the softmax mixture
    w, idx = net.edge_weights()
    assert torch.equal(idx, net.alpha.argmax(-1)) and torch.equal(w, F.one_hot(idx, 5).float())
    data = load_dataset("mnist1d", n_samples=300)
    h = darts_search(net, data, epochs=2, batch_size=64)
    assert net.tau == pytest.approx(0.1) and len(h["alpha"]) == 2
    with pytest.raises(ValueError, match="mode"):
        NB201SearchNetwork(mode="pc")


def test_early_stop_on_skip_dominance():
    data = load_dataset("mnist1d", n_samples=300)
    torch.manual_seed(0)
    net = NB201SearchNetwork(C=2, N=1, num_classes=10, in_channels=1, rank=1)
    with torch.no_grad():
        net.alpha[:, NB201_OPS.index("skip_connect")] = 5.0  # already collapsed
    h = darts_search(net, data, epochs=5, batch_size=64, early_stop_skips=3)
    assert h["stopped_at"] == 1 and len(h["alpha"]) == 1


def test_darts_minus_beta_reaches_zero_at_the_last_step():
    data = load_dataset("mnist1d", n_samples=300)
    torch.manual_seed(0)
    net = NB201SearchNetwork(C=2, N=1, num_classes=10, in_channels=1, rank=1, aux_skip=1.0)
    seen = []
    forward = net.forward

    def spy(x):
        if net.training:
            seen.append(net.aux_skip)
        return forward(x)

    net.forward = spy
    darts_search(net, data, epochs=2, batch_size=64, aux_skip_decay=True)
    betas = sorted(set(seen), reverse=True)
    assert betas[0] == 1.0 and betas[-1] == 0.0 and net.aux_skip == 0.0
    assert all(a > b for a, b in zip(betas, betas[1:]))  # linear, strictly decreasing


def test_hessian_eigenvalue_matches_the_full_hessian():
    from torch.func import functional_call

    torch.manual_seed(0)
    net = NB201SearchNetwork(C=2, N=1, num_classes=10, in_channels=1, rank=1).eval()
    x, y = torch.randn(16, 1, 40), torch.randint(0, 10, (16,))
    params = {n: p.detach() for n, p in net.named_parameters() if n != "alpha"}
    buffers = dict(net.named_buffers())

    def loss(alpha):
        logits = functional_call(net, {**params, **buffers, "alpha": alpha}, (x,))
        return F.cross_entropy(logits, y)

    h = torch.autograd.functional.hessian(loss, net.alpha.detach()).reshape(30, 30)
    eig = torch.linalg.eigvalsh(h)
    dominant = float(eig[eig.abs().argmax()])
    got = hessian_eigenvalue(net, x, y, iters=100)
    assert got == pytest.approx(dominant, rel=1e-3)
    net.train()
    hessian_eigenvalue(net, x, y, iters=2)
    assert net.training
    data = load_dataset("mnist1d", n_samples=200)
    hist = darts_search(net, data, epochs=3, batch_size=64, eigen_every=2)
    assert sorted(hist["eigenvalue"]) == [2, 3]  # every 2 epochs, and after the last
