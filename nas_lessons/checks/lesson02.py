"""Checks of exercise 02 (`solutions/02_search_spaces.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import run_cases


def check_space_size(fn: Callable) -> None:
    """Exercise 2.1: `fn(n_nodes, n_ops)` = number of distinct DARTS cells."""
    from ..ops import DARTS_OPS
    from ..spaces import DARTSSpace

    cases = []
    for n_nodes, n_ops in [(1, 1), (1, 3), (2, 2), (4, 7), (5, 8)]:
        want = DARTSSpace(n_nodes, DARTS_OPS[:n_ops]).size()
        cases.append((f"{n_nodes} node(s), {n_ops} op(s)", lambda n=n_nodes, k=n_ops: fn(n, k),
                      lambda got, w=want: got == w,
                      f"expected {want}; node i chooses an unordered pair of distinct inputs "
                      "among i+2 earlier nodes, and an op for each of the two edges"))
    run_cases("Exercise 2.1", cases)


def check_sample_cell(fn: Callable) -> None:
    """Exercise 2.2: `fn(n_nodes, ops, rng)` samples a valid DARTS cell (distinct inputs,
    earlier nodes only), covering the whole space."""
    import random

    from ..spaces import DARTSSpace

    def valid_many(n_nodes, ops):
        space = DARTSSpace(n_nodes, ops)
        rng = random.Random(0)
        for _ in range(300):
            space.validate(fn(n_nodes, list(ops), rng))
        return True

    def covers(n_nodes, ops):
        space = DARTSSpace(n_nodes, ops)
        rng = random.Random(1)
        seen = {space.normalize(fn(n_nodes, list(ops), rng)) for _ in range(40 * space.size())}
        return len(seen), space.size()

    cases = [
        ("300 samples of a 4-node cell are valid", lambda: valid_many(4, ["skip_connect",
                                                                          "sep_conv_3x3"]),
         lambda got: got is True, "each node i picks 2 *distinct* inputs from 0..i+1"),
        ("1 node, 1 op: the only cell", lambda: valid_many(1, ["skip_connect"]),
         lambda got: got is True, "with one node the inputs must be 0 and 1"),
        ("every cell of a 2-node, 2-op space appears", lambda: covers(2, ["skip_connect",
                                                                         "max_pool_3x3"]),
         lambda got: got[0] == got[1],
         "sample inputs with random.sample(range(i + 2), 2) and ops with rng.choice"),
    ]
    run_cases("Exercise 2.2", cases)


def check_neighbours(fn: Callable) -> None:
    """Exercise 2.3: `fn(arch)` returns all one-edge mutations of an NB201 arch tuple."""
    from ..spaces import NB201Space

    space = NB201Space()
    cases = []
    for seed in (0, 1, 2):
        a = space.sample(seed)
        want = sorted(space.neighbours(a))
        cases.append((f"neighbours of {space.format(a)}",
                      lambda a=a: sorted(fn(a)), lambda got, w=want: got == w,
                      "change exactly one of the 6 edges to each of the 4 other ops: 24 "
                      "tuples, none equal to the input"))
    run_cases("Exercise 2.3", cases)
