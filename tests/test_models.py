import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_lessons.hardware import count_flops, count_params
from nas_lessons.models import DARTSNetwork, NB201Network
from nas_lessons.ops import NB201_OPS, OPS, make_op
from nas_lessons.spaces import DARTS_V2, DARTSSpace, Genotype, NB201Space

# NAS-Bench-201's published parameter counts (its cost table; min and max over the space)
# for C=16, N=5 TinyNetworks on CIFAR-10 (10 classes), CIFAR-100 (100), ImageNet-16-120 (120):
# cells without convolutions 0.073306 / 0.079156 / 0.080456 M, all-3x3-conv cells
# 1.531546 / 1.537396 M (CIFAR-10 / CIFAR-100).
NB201_PARAMS = [
    (("none",) * 6, 10, 73_306), (("skip_connect",) * 6, 10, 73_306),
    (("avg_pool_3x3",) * 6, 10, 73_306), (("nor_conv_3x3",) * 6, 10, 1_531_546),
    (("none",) * 6, 100, 79_156), (("nor_conv_3x3",) * 6, 100, 1_537_396),
    (("skip_connect",) * 6, 120, 80_456),
]


@pytest.mark.parametrize("arch,classes,params", NB201_PARAMS)
def test_nb201_parameter_parity(arch, classes, params):
    net = NB201Network(arch, C=16, N=5, num_classes=classes, in_channels=3, rank=2)
    assert count_params(net) == params


def test_nb201_params_additive_per_conv():
    """Each 3x3 conv edge adds the same count (the per-edge parity follows from the min/max)."""
    base = count_params(NB201Network(("none",) * 6))
    one = count_params(NB201Network(("nor_conv_3x3",) + ("none",) * 5))
    assert 6 * (one - base) == 1_531_546 - 73_306


@given(st.tuples(*[st.sampled_from(NB201_OPS)] * 6), st.sampled_from([1, 2]))
@settings(max_examples=25, deadline=None)
def test_nb201_forward_shapes(arch, rank):
    x = torch.randn(2, 1, *([16] * rank))
    net = NB201Network(arch, C=4, N=1, num_classes=7, in_channels=1, rank=rank,
                       reduction="cheap")
    assert net(x).shape == (2, 7)


@given(st.integers(0, 2**31), st.sampled_from([1, 2]))
@settings(max_examples=15, deadline=None)
def test_darts_forward_shapes(seed, rank):
    s = DARTSSpace()
    g = Genotype(list(s.sample(seed)), [2, 3, 4, 5], list(s.sample(seed + 1)), [2, 3, 4, 5])
    net = DARTSNetwork(g, C=4, layers=3, num_classes=5, in_channels=1, rank=rank)
    assert net(torch.randn(2, 1, *([16] * rank))).shape == (2, 5)


def test_darts_v2_params():
    # DARTS V2 at C=36, 20 cells, no auxiliary head: 3.35 M (paper: 3.3 M)
    assert count_params(DARTSNetwork(DARTS_V2, C=36, layers=20)) == 3_349_342


def test_bad_network_arguments():
    with pytest.raises(ValueError, match="reduction"):
        NB201Network(("none",) * 6, reduction="maxpool")
    with pytest.raises(ValueError, match="unknown op"):
        NB201Network(("conv",) * 6)
    with pytest.raises(TypeError, match="Genotype"):
        DARTSNetwork([("skip_connect", 0)])
    bad = DARTS_V2._replace(normal=[("skip_connect", 0), ("skip_connect", 0)] * 4)
    with pytest.raises(ValueError, match="twice"):
        DARTSNetwork(bad)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("stride", [1, 2])
def test_ops_shapes(name, rank, stride):
    x = torch.randn(2, 6, *([8] * rank))
    y = make_op(name, 6, 6, stride, affine=False, rank=rank)(x)
    assert y.shape == (2, 6, *([8 // stride] * rank))


def test_ops_details_and_errors():
    assert count_params(make_op("none", 8)) == 0
    assert count_params(make_op("skip_connect", 8)) == 0
    assert count_params(make_op("avg_pool_3x3", 8)) == 0
    assert count_params(make_op("nor_conv_3x3", 8, rank=1)) == 8 * 8 * 3 + 16
    assert count_params(make_op("nor_conv_3x3", 8, affine=False)) == 8 * 8 * 9
    pool = make_op("avg_pool_3x3", 1, rank=1)
    y = pool(torch.ones(1, 1, 5))
    assert torch.allclose(y, torch.ones(1, 1, 5))  # count_include_pad=False
    with pytest.raises(ValueError, match="unknown op 'conv7x7'; allowed"):
        make_op("conv7x7", 8)
    with pytest.raises(ValueError, match="rank"):
        make_op("none", 8, rank=3)
    with pytest.raises(ValueError, match="stride"):
        make_op("none", 8, stride=3)


def test_count_flops():
    lin = torch.nn.Linear(10, 5)
    assert count_flops(lin, (10,)) == 2 * 10 * 5
    net = NB201Network(("nor_conv_3x3",) * 6, C=8, N=1, num_classes=10, in_channels=1,
                       rank=1, reduction="cheap")
    small = NB201Network(("skip_connect",) * 6, C=8, N=1, num_classes=10, in_channels=1,
                         rank=1, reduction="cheap")
    assert count_flops(net, (1, 40)) > count_flops(small, (1, 40)) > 0
    with pytest.raises(ValueError, match="input_shape"):
        count_flops(lin, (0,))
    assert NB201Space().to_arch(net.arch) == ("nor_conv_3x3",) * 6


def test_factorized_reduce_at_stride_1_has_no_relu():
    """As NAS-Bench-201's FactorizedReduce: ReLU only on the stride-2 path; at stride 1 a
    negative input passes the 1x1 conv unclipped."""
    from nas_lessons.ops import FactorizedReduce

    fr = FactorizedReduce(2, 3, 1, affine=False, rank=1).eval()
    x = -torch.rand(1, 2, 5) - 0.5
    with torch.no_grad():
        want = fr.bn(fr.convs[0](x))
        assert torch.allclose(fr(x), want)
        fr2 = FactorizedReduce(2, 4, 2, affine=False, rank=1).eval()
        assert torch.allclose(fr2(x), fr2(torch.zeros_like(x)))  # ReLU zeroes the input


def test_keyword_only_configuration():
    with pytest.raises(TypeError):
        NB201Network(("none",) * 6, 8, 1)  # C, N must be named
    with pytest.raises(TypeError):
        make_op("nor_conv_3x3", 8, 8, 1, False)  # affine must be named


def test_nb201_search_network_shares_the_skeleton():
    """The DARTS search network over the NB201 space has the same stem, reductions and head
    as the network it derives (models.nb201_skeleton); only the cells differ."""
    from nas_lessons.darts import NB201SearchNetwork
    from nas_lessons.models import CheapReduction

    kw = dict(C=4, N=2, num_classes=5, in_channels=1, rank=1, reduction="cheap")
    search, net = NB201SearchNetwork(**kw), NB201Network(("nor_conv_3x3",) * 6, **kw)
    kinds = lambda layers: [type(m).__name__ for m in layers]  # noqa: E731
    assert kinds(search.cells).count("CheapReduction") == kinds(net.cells).count(
        "CheapReduction") == 2
    assert [isinstance(m, CheapReduction) for m in search.cells] == [
        isinstance(m, CheapReduction) for m in net.cells]
    with pytest.raises(ValueError, match="reduction"):
        NB201SearchNetwork(reduction="maxpool")
