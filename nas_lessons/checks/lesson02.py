"""Checks of exercise 02 (`solutions/02_search_spaces.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, global_random_case, run_cases


def check_has_path(fn: Callable) -> None:
    """Exercise 2.1: `fn(arch)` = True if the NB201 cell `arch` (a tuple of 6 ops on the edges
    1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2) has a path from node 0 to node 3 whose edges are all
    not `none`; 341 of the 15,625 cells have none."""
    from ..spaces import NB201Space

    space = NB201Space()
    cases = []
    for text, want in [
            ("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", True),
            ("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|", True),
            ("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|", True),
            ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|", False),
            ("|none~0|+|none~0|skip_connect~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|", False)]:
        arch = space.parse(text)
        cases.append((text, lambda a=arch: bool(fn(a)), lambda got, w=want: got == w,
                      f"expected {want}: follow non-`none` edges forward from node 0 and ask "
                      "whether node 3 is reached (a node reached only through `none` is not)"))
    cases.append(("all 15,625 cells: 341 without a path",
                  lambda: sum(not fn(a) for a in space.enumerate()), lambda got: got == 341,
                  "count the cells for which your function returns False; expected 341"))
    run_cases("Exercise 2.1", cases)


def check_sample_cell(fn: Callable) -> None:
    """Exercise 2.2: `fn(n_nodes, ops, rng)` = a DARTS cell drawn uniformly from the distinct
    cells of the space (node i: two distinct inputs among 0..i+1, an op for each edge), using
    only `rng`. Either order of a node's two pairs is accepted (the cell is compared in its
    normal form)."""
    import random
    from collections import Counter

    from scipy.stats import chisquare

    from ..spaces import DARTSSpace

    def valid_many(n_nodes, ops):
        space = DARTSSpace(n_nodes, ops)
        rng = random.Random(0)
        for _ in range(300):
            space.validate(fn(n_nodes, list(ops), rng))
        return True

    def uniformity(n_nodes, ops, per_cell=60):
        space = DARTSSpace(n_nodes, ops)
        rng = random.Random(1)
        counts = Counter(space.normalize(fn(n_nodes, list(ops), rng))
                         for _ in range(per_cell * space.size()))
        observed = [counts.get(c, 0) for c in space.enumerate()]
        return len(counts), space.size(), float(chisquare(observed).pvalue)

    cases = [
        ("300 samples of a 4-node cell are valid", lambda: valid_many(4, ["skip_connect",
                                                                          "sep_conv_3x3"]),
         lambda got: got is True, "each node i reads 2 *distinct* inputs from 0..i+1"),
        ("1 node, 1 op: the only cell", lambda: valid_many(1, ["skip_connect"]),
         lambda got: got is True, "with one node the inputs must be 0 and 1"),
        ("a 3-node, 2-op space: every cell, uniformly (chi-square p > 0.001)",
         lambda: uniformity(3, ["skip_connect", "max_pool_3x3"]),
         lambda got: got[0] == got[1] and got[2] > 1e-3,
         "every unordered pair of distinct inputs must be equally likely, and every op on "
         "every edge"),
        global_random_case(lambda: fn(3, ["skip_connect", "max_pool_3x3"], random.Random(0)),
                           hint="draw with rng's methods, not with the random module's "
                                "functions"),
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
                      "every arch that differs from the input on exactly one edge, each once"))
    run_cases("Exercise 2.3", cases)


def check_path_collision(fn: Callable) -> None:
    """Exercise 2.4: `fn()` = two NB201 archs that build *different* networks
    (`NB201Space.unique_key` differs) but have the *same* path encoding
    (`NB201Space.path_encoding`)."""
    import numpy as np

    from ..spaces import NB201Space

    space = NB201Space()

    def run():
        a, b = fn()
        a, b = space.to_arch(a), space.to_arch(b)
        return {"same_code": bool(np.array_equal(space.path_encoding(a),
                                                 space.path_encoding(b))),
                "different_networks": space.unique_key(a) != space.unique_key(b)}

    cases = [("the two archs have the same path encoding", run,
              lambda got: got["same_code"], "compare space.path_encoding of the two"),
             ("and build different networks", run, lambda got: got["different_networks"],
              "isomorphic cells (same unique_key) share their code for a good reason; find "
              "two that are different networks")]
    run_cases("Exercise 2.4", cases)


def check_path_codes(prediction, answer) -> None:
    """Exercise 2.5 (lab): the number of distinct path encodings among the 7,005 networks."""
    from ..spaces import NB201Space

    space = NB201Space()
    measured = len({space.path_encoding(a).tobytes() for a in space.unique_archs()})
    check_lab("2.5", prediction=prediction, answer=answer, measured=float(measured),
              tolerance=0.5, what="the number of distinct path encodings")
