import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_lessons.ops import DARTS_OPS, NB201_OPS
from nas_lessons.spaces import DARTSSpace, NB201Space, OperationType

SPACE = NB201Space()
archs = st.tuples(*[st.sampled_from(NB201_OPS)] * 6)


# ---- NAS-Bench-201 ------------------------------------------------------------------------
def test_counts_15625_7005_6466_341():
    all_archs = SPACE.enumerate()
    assert len(all_archs) == len(set(all_archs)) == 15_625
    assert len({SPACE.unique_key(a) for a in all_archs}) == 7_005
    assert len(SPACE.unique_archs()) == 7_005
    assert len({SPACE.nats_key(a) for a in all_archs}) == 6_466  # NATS-Bench's count
    assert sum(not SPACE.has_path(a) for a in all_archs) == 341


def _live_layers(arch):
    a = SPACE.prune(arch)
    return a.count("nor_conv_3x3"), a.count("nor_conv_1x1")


def test_a_class_is_one_network():
    """Every member of a `unique_key` class has the same live layers; NATS-Bench's classes
    do not: two 3x3 convs on the input with separate weights are not one shared conv."""
    table = SPACE.canonical_table()
    assert all(_live_layers(a) == _live_layers(c) for a, c in zip(SPACE.enumerate(), table))
    a = SPACE.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|"
                    "avg_pool_3x3~1|nor_conv_3x3~2|")
    c = SPACE.parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|"
                    "avg_pool_3x3~1|nor_conv_3x3~2|")
    assert SPACE.nats_key(a) == SPACE.nats_key(c)
    assert SPACE.unique_key(a) != SPACE.unique_key(c)
    assert _live_layers(a) == (3, 1) and _live_layers(c) == (2, 1)
    mixed = {}
    for x in SPACE.enumerate():
        mixed.setdefault(SPACE.nats_key(x), set()).add(_live_layers(x))
    assert sum(len(v) > 1 for v in mixed.values()) == 430


def test_pure_skip_node_is_its_input():
    a = SPACE.parse("|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|"
                    "nor_conv_1x1~2|")
    b = SPACE.parse("|none~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|nor_conv_1x1~2|")
    assert SPACE.unique_key(a) == SPACE.unique_key(b)
    assert SPACE.canonical(a) == SPACE.canonical(b) == b


def test_exact_string_format():
    s = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"
    a = SPACE.parse(s)
    assert a == ("nor_conv_3x3", "skip_connect", "nor_conv_1x1", "none", "avg_pool_3x3",
                 "nor_conv_3x3")
    assert SPACE.format(a) == s
    assert SPACE.node_inputs(a)[2] == (("none", 0), ("avg_pool_3x3", 1), ("nor_conv_3x3", 2))
    assert SPACE.to_arch(SPACE.node_inputs(a)) == a


@given(archs)
def test_parse_format_roundtrip(a):
    assert SPACE.parse(SPACE.format(a)) == a
    assert SPACE.from_index(SPACE.index(a)) == a


@given(archs)
def test_canonical_idempotent_and_equivalent(a):
    c = SPACE.canonical(a)
    assert SPACE.canonical(c) == c and SPACE.unique_key(c) == SPACE.unique_key(a)
    assert SPACE.prune(c) == c  # representatives have no dead edges
    n = SPACE.nats_canonical(a)
    assert SPACE.nats_canonical(n) == n and SPACE.nats_key(n) == SPACE.nats_key(a)


def test_nats_convention_is_not_relabelling_invariant():
    """NATS-Bench keeps zero summands, so a node reading x through skip and 0 through none
    ('x+#') differs from a node that reads x alone; `unique_key` does not."""
    a = ("skip_connect", "nor_conv_3x3", "none", "skip_connect", "skip_connect", "skip_connect")
    swapped = (a[1], a[0], "none", a[3], a[5], a[4])
    assert SPACE.nats_key(a) != SPACE.nats_key(swapped)
    assert SPACE.canonical(a) == SPACE.canonical(swapped)


op = st.sampled_from(NB201_OPS)


@given(st.tuples(op, op, st.just("none"), op, op, op))
def test_canonical_invariant_under_relabelling(a):
    """Swapping the two intermediate nodes (1 <-> 2) gives an isomorphic cell. It is a valid
    NB201 arch only when node 2 does not read node 1 (edge 2<-1 is `none`, as every example
    here has); then both share a canonical cell."""
    e10, e20, e21, e30, e31, e32 = a
    swapped = (e20, e10, e21, e30, e32, e31)
    assert SPACE.canonical(swapped) == SPACE.canonical(a)
    assert SPACE.unique_key(swapped) == SPACE.unique_key(a)


def test_summand_order_does_not_matter():
    a = SPACE.parse("|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|"
                    "nor_conv_3x3~1|none~2|")
    b = SPACE.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|"
                    "none~1|nor_conv_3x3~2|")
    assert SPACE.canonical(a) == SPACE.canonical(b)


def test_dead_edges_become_none():
    a = SPACE.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|")
    assert not SPACE.has_path(a)
    assert SPACE.canonical(a) == ("none",) * 6


@given(archs, st.integers(0, 2**31))
def test_neighbours_and_mutate(a, seed):
    nb = SPACE.neighbours(a)
    assert len(nb) == 24 and len(set(nb)) == 24 and a not in nb
    assert all(sum(x != y for x, y in zip(a, n)) == 1 for n in nb)
    assert SPACE.mutate(a, seed) in nb


@given(archs)
def test_encodings(a):
    oh = SPACE.onehot(a)
    assert oh.shape == (30,) and oh.sum() == 6
    adj, labels = SPACE.adjacency(a)
    assert adj.shape == (8, 8) and np.all(np.triu(adj, 1) == adj) and labels[1:7] == list(a)
    pe = SPACE.path_encoding(a)
    assert pe.shape == (84,) and pe.sum() == len(set(SPACE.paths(a))) <= 4
    assert (pe.sum() > 0) == SPACE.has_path(a)


@pytest.mark.parametrize("bad,msg", [
    ("|nor_conv_3x3~0|+|skip_connect~0|+|none~0|none~1|none~2|", "exactly 2 incoming"),
    ("|conv7x7~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv7x7' on edge "
     "0->1; allowed: none, skip_connect"),
    ("|none~0|+|none~0|none~1|", "3 nodes"),
    ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "out of place"),
    ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "no self or forward"),
    ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "op~input"),
    ("none~0+none~0|none~1+none~0|none~1|none~2", "must be written"),
])
def test_invalid_strings(bad, msg):
    with pytest.raises(ValueError, match=msg):
        SPACE.parse(bad)


def _arch_string(ops) -> str:
    """The NB201 string form of any six op names, valid or not."""
    return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)


maybe_ops = st.tuples(*[st.one_of(st.sampled_from(NB201_OPS),
                                  st.text(alphabet="abcnorv_13x", min_size=1, max_size=12))] * 6)


@given(st.one_of(st.text(max_size=60),
                 st.text(alphabet="|+~012 nonesk_ipcvr3x1avgpol", max_size=90),
                 archs.map(SPACE.format), maybe_ops.map(_arch_string)))
def test_a_string_parses_to_its_arch_or_raises_a_valueerror(s):
    """Any string either is an arch string (and parsing then formatting gives it back) or
    raises a ValueError that shows the expected form; never another exception."""
    try:
        a = SPACE.parse(s)
    except ValueError as e:
        assert any(w in str(e) for w in ("example", "allowed", "must", "out of place")), e
    else:
        assert SPACE.format(a) == s.strip()


def test_invalid_tuples():
    with pytest.raises(ValueError, match="6 edges"):
        SPACE.to_arch(("none",) * 5)
    with pytest.raises(ValueError, match="unknown op"):
        SPACE.to_arch(("conv",) * 6)
    with pytest.raises(ValueError, match="index"):
        SPACE.from_index(15_625)
    with pytest.raises(TypeError):
        SPACE.to_arch(3.5)


# ---- DARTS cell space -----------------------------------------------------------------------
def test_darts_size_formula():
    s = DARTSSpace()  # 4 nodes, the 7 DARTS ops without none
    assert len(s.operations) == 7
    assert s.size() == 180 * 7**8 == math.prod(math.comb(i + 2, 2) for i in range(4)) * 7**8
    assert s.size() ** 2 > 1e18  # normal + reduction


@pytest.mark.parametrize("n_nodes,n_ops", [(1, 1), (1, 3), (2, 2), (2, 3), (3, 2)])
def test_size_matches_brute_force(n_nodes, n_ops):
    s = DARTSSpace(n_nodes, DARTS_OPS[1:1 + n_ops])
    distinct = set(s.enumerate())
    assert len(distinct) == s.size()
    ordered = list(s.enumerate(ordered=True))
    assert len(ordered) == s.size() * 2**n_nodes  # each node's pair in both orders
    assert {s.normalize(c) for c in ordered} == distinct


def test_sampling_is_uniform_over_distinct_cells():
    s = DARTSSpace(2, DARTS_OPS[1:3])
    rng = random.Random(0)
    counts: dict = {}
    for _ in range(20 * s.size()):
        c = s.sample(rng)
        counts[c] = counts.get(c, 0) + 1
    assert set(counts) == set(s.enumerate())
    assert max(counts.values()) < 3 * min(counts.values())


@given(st.integers(1, 5), st.integers(0, 2**31))
@settings(max_examples=50)
def test_sample_mutate_valid(n_nodes, seed):
    s = DARTSSpace(n_nodes, [OperationType.SKIP, OperationType.SEP_CONV_3x3, "max_pool_3x3"])
    c = s.sample(seed)
    assert s.validate(c) == c == s.normalize(c)
    m = s.mutate(c, seed)
    assert s.validate(m) and m != c


@pytest.mark.parametrize("cell,msg", [
    ([("sep_conv_3x3", 0), ("sep_conv_3x3", 0)] + [("skip_connect", 0), ("skip_connect", 1)] * 3,
     "twice"),
    ([("sep_conv_3x3", 0), ("sep_conv_3x3", 2)] + [("skip_connect", 0), ("skip_connect", 1)] * 3,
     "no self or forward"),
    ([("conv7x7", 0), ("sep_conv_3x3", 1)] + [("skip_connect", 0), ("skip_connect", 1)] * 3,
     "unknown op 'conv7x7'"),
    ([("sep_conv_3x3", 0)], "has 8"),
    (["abc"], "pairs"),
])
def test_invalid_darts_cells(cell, msg):
    with pytest.raises(ValueError, match=msg):
        DARTSSpace().validate(cell)


def test_bad_space_arguments():
    with pytest.raises(ValueError, match="unknown op"):
        DARTSSpace(4, ["conv7x7"])
    with pytest.raises(ValueError, match="n_nodes"):
        DARTSSpace(0)
