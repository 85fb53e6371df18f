"""The checks of exercise 02 accept the correct variants and reject plausible wrong ones."""

import random

import pytest

from nas_lessons.checks import (
    CheckFailed,
    check_has_path,
    check_neighbours,
    check_path_codes,
    check_path_collision,
    check_sample_cell,
)
from nas_lessons.spaces import NB201Space

EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
OPS = NB201Space.OPS


# ---- 2.1 has_path -----------------------------------------------------------------------------
def has_path(arch):
    reached = {0}
    for (j, i), op in zip(EDGES, arch):  # edges in topological order of their target
        if op != "none" and i in reached:
            reached.add(j)
    return 3 in reached


def has_path_recursive(arch):
    live = {(j, i) for (j, i), op in zip(EDGES, arch) if op != "none"}

    def reaches(node):
        return node == 3 or any(reaches(j) for j, i in live if i == node)

    return reaches(0)


def only_the_direct_edge(arch):
    return arch[3] != "none"


def any_live_edge_into_the_output(arch):
    return any(op != "none" for (j, _), op in zip(EDGES, arch) if j == 3)


def forgets_that_a_dead_node_cuts(arch):
    return any(op != "none" for op in arch[:3]) or arch[3] != "none"


@pytest.mark.parametrize("fn", [has_path, has_path_recursive])
def test_has_path_accepts(fn):
    check_has_path(fn)


@pytest.mark.parametrize("fn", [only_the_direct_edge, any_live_edge_into_the_output,
                                forgets_that_a_dead_node_cuts])
def test_has_path_rejects(fn):
    with pytest.raises(CheckFailed):
        check_has_path(fn)


# ---- 2.2 sampler ------------------------------------------------------------------------------
def sample(n_nodes, ops, rng):
    cell = []
    for i in range(n_nodes):
        j1, j2 = rng.sample(range(i + 2), 2)
        cell += [(rng.choice(ops), j1), (rng.choice(ops), j2)]
    return cell


def sample_sorted_pairs(n_nodes, ops, rng):
    cell = []
    for i in range(n_nodes):
        pairs = [(a, b) for a in range(i + 2) for b in range(a + 1, i + 2)]
        j1, j2 = rng.choice(pairs)
        cell += [(rng.choice(ops), j1), (rng.choice(ops), j2)]
    return cell


def sample_global_random(n_nodes, ops, rng):
    cell = []
    for i in range(n_nodes):
        j1, j2 = random.sample(range(i + 2), 2)
        cell += [(random.choice(ops), j1), (random.choice(ops), j2)]
    return cell


def sample_skewed_pairs(n_nodes, ops, rng):
    cell = []
    for i in range(n_nodes):
        j1 = rng.randrange(i + 1)               # the first input first ...
        j2 = rng.randrange(j1 + 1, i + 2)       # ... then one after it: not uniform
        cell += [(rng.choice(ops), j1), (rng.choice(ops), j2)]
    return cell


def sample_repeated_inputs(n_nodes, ops, rng):
    cell = []
    for i in range(n_nodes):
        cell += [(rng.choice(ops), rng.randrange(i + 2)), (rng.choice(ops), rng.randrange(i + 2))]
    return cell


@pytest.mark.parametrize("fn", [sample, sample_sorted_pairs])
def test_sample_cell_accepts(fn):
    check_sample_cell(fn)


@pytest.mark.parametrize("fn", [sample_global_random, sample_skewed_pairs,
                                sample_repeated_inputs])
def test_sample_cell_rejects(fn):
    with pytest.raises(CheckFailed):
        check_sample_cell(fn)


# ---- 2.3 neighbours ---------------------------------------------------------------------------
def neighbours(arch):
    return [arch[:e] + (op,) + arch[e + 1:] for e in range(6) for op in OPS if op != arch[e]]


def neighbours_with_itself(arch):
    return [arch[:e] + (op,) + arch[e + 1:] for e in range(6) for op in OPS]


def neighbours_last_edge_forgotten(arch):
    return [arch[:e] + (op,) + arch[e + 1:] for e in range(5) for op in OPS if op != arch[e]]


def test_neighbours_accepts():
    check_neighbours(neighbours)


@pytest.mark.parametrize("fn", [neighbours_with_itself, neighbours_last_edge_forgotten])
def test_neighbours_rejects(fn):
    with pytest.raises(CheckFailed):
        check_neighbours(fn)


# ---- 2.4 collision ----------------------------------------------------------------------------
def collision():
    space, seen = NB201Space(), {}
    for a in space.unique_archs():
        code = space.path_encoding(a).tobytes()
        if code in seen:
            return seen[code], a
        seen[code] = a
    raise AssertionError("no collision")


def isomorphic_pair():
    space = NB201Space()
    a = space.parse("|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|"
                    "none~2|")
    b = space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|"
                    "nor_conv_3x3~2|")
    return a, b


def two_random_cells():
    space = NB201Space()
    return space.sample(0), space.sample(1)


def test_collision_accepts():
    check_path_collision(collision)


@pytest.mark.parametrize("fn", [isomorphic_pair, two_random_cells])
def test_collision_rejects(fn):
    with pytest.raises(CheckFailed):
        check_path_collision(fn)


# ---- 2.5 lab ----------------------------------------------------------------------------------
def test_path_codes_lab():
    check_path_codes(7005, 6429)
    with pytest.raises(CheckFailed):
        check_path_codes(7005, 7005)
    with pytest.raises(NotImplementedError, match="prediction"):
        check_path_codes(None, 6429)
