"""Cell search spaces: the DARTS cell space and the NAS-Bench-201 space.

* `CellSearchSpace` — the DARTS space (Liu et al., ICLR 2019, Sec. 2.1 and A.1.1): a cell has
  two input nodes (the outputs of the two previous cells) and `n_nodes` intermediate nodes;
  node i picks two *distinct* earlier nodes and one operation for each. With the 7 DARTS ops
  that is prod_i C(i+2, 2) * 7^2 = 180 * 7^8 ~ 1.04e9 cells, ~1e18 for a normal + reduction pair.
* `NB201Space` — NAS-Bench-201 (Dong & Yang, ICLR 2020): a 4-node DAG with all 6 forward
  edges, one of 5 ops per edge: 5^6 = 15,625 cells. Arch strings use the paper's format
  `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (node j lists its inputs 0..j-1).

A `Genotype` (DARTS' name) holds a normal and a reduction cell for `DARTSNetwork`.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import namedtuple
from enum import Enum

import numpy as np

from .ops import DARTS_OPS, NB201_OPS, OPS

__all__ = ["OperationType", "CellSearchSpace", "NB201Space", "Genotype", "DARTS_V2",
           "as_rng", "DartsCell", "NB201Arch"]

#: A DARTS cell: for each intermediate node, two (op, input) pairs, flattened.
DartsCell = tuple[tuple[str, int], ...]
#: A NAS-Bench-201 cell: the ops on edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
NB201Arch = tuple[str, str, str, str, str, str]

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
Genotype.__doc__ = """DARTS genotype: normal/reduce cells as [(op, input), ...], two per node,
inputs 0 and 1 being the two previous cells; *_concat lists the nodes concatenated."""

#: The cell DARTS (2nd order) found on CIFAR-10 (Liu et al. 2019, Fig. 4; genotypes.py).
DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=[2, 3, 4, 5],
)


def as_rng(rng: int | random.Random | None) -> random.Random:
    """Accept a seed or a `random.Random`; None gives a fresh unseeded generator."""
    if isinstance(rng, random.Random):
        return rng
    if rng is None or (isinstance(rng, int) and not isinstance(rng, bool)):
        return random.Random(rng)
    if isinstance(rng, np.random.Generator):
        return random.Random(int(rng.integers(2**63)))
    raise TypeError(f"rng must be an int seed or random.Random, got {type(rng).__name__}")


class OperationType(str, Enum):
    """The classic textbook operation enum; values are names in `nas_lessons.ops.OPS`."""

    CONV_3x3 = "conv_3x3"
    CONV_5x5 = "conv_5x5"
    CONV_1x1 = "conv_1x1"
    SEP_CONV_3x3 = "sep_conv_3x3"
    SEP_CONV_5x5 = "sep_conv_5x5"
    DIL_CONV_3x3 = "dil_conv_3x3"
    DIL_CONV_5x5 = "dil_conv_5x5"
    MAX_POOL_3x3 = "max_pool_3x3"
    AVG_POOL_3x3 = "avg_pool_3x3"
    SKIP = "skip_connect"
    NONE = "none"


def _op_names(operations) -> tuple[str, ...]:
    names = tuple(o.value if isinstance(o, OperationType) else o for o in operations)
    bad = [n for n in names if n not in OPS]
    if bad:
        raise ValueError(f"unknown op(s) {bad}; allowed: {', '.join(OPS)}")
    if len(set(names)) != len(names) or not names:
        raise ValueError(f"operations must be a non-empty list without repeats, got {names}")
    return names


class CellSearchSpace:
    """The DARTS cell space: `n_nodes` intermediate nodes, each with two distinct inputs.

    A cell is a tuple of 2*n_nodes `(op, input)` pairs; node i (0-based) owns pairs 2i and
    2i+1 and may read inputs 0..i+1 (0, 1 are the two cell inputs). Because the two edges of a
    node are an *unordered* pair, the canonical form lists them by increasing input; `sample`
    and `mutate` return canonical cells, so equal cells compare equal.
    """

    def __init__(self, n_nodes: int = 4, operations=DARTS_OPS[1:]) -> None:
        if not isinstance(n_nodes, int) or n_nodes < 1:
            raise ValueError(f"n_nodes must be a positive int, got {n_nodes!r}")
        self.n_nodes = n_nodes
        self.operations = _op_names(operations)

    def __repr__(self) -> str:
        return f"CellSearchSpace(n_nodes={self.n_nodes}, operations={list(self.operations)})"

    def size(self) -> int:
        """Exact number of distinct cells: prod over nodes of C(#inputs, 2) * |ops|^2."""
        k = len(self.operations)
        return math.prod(math.comb(i + 2, 2) * k * k for i in range(self.n_nodes))

    def canonical(self, cell) -> DartsCell:
        """Validate and sort each node's pair by input (the unordered-pair normal form)."""
        cell = self.validate(cell)
        out = []
        for i in range(self.n_nodes):
            out += sorted(cell[2 * i: 2 * i + 2], key=lambda e: (e[1], e[0]))
        return tuple(out)

    def validate(self, cell) -> DartsCell:
        """Return the cell as a tuple of (op, input) pairs or raise a ValueError saying why."""
        try:
            cell = tuple((str(op.value if isinstance(op, OperationType) else op), int(j))
                         for op, j in cell)
        except (TypeError, ValueError):
            raise ValueError("a cell is a sequence of (op, input) pairs, e.g. "
                             "[('sep_conv_3x3', 0), ('skip_connect', 1), ...]") from None
        if len(cell) != 2 * self.n_nodes:
            raise ValueError(f"a cell of {self.n_nodes} nodes has {2 * self.n_nodes} "
                             f"(op, input) pairs, got {len(cell)}")
        for i in range(self.n_nodes):
            (o1, j1), (o2, j2) = cell[2 * i: 2 * i + 2]
            for op, j in ((o1, j1), (o2, j2)):
                if op not in self.operations:
                    raise ValueError(f"unknown op {op!r} on node {i + 2}; allowed: "
                                     f"{', '.join(self.operations)}")
                if not 0 <= j < i + 2:
                    raise ValueError(f"node {i + 2} reads input {j}; allowed: 0..{i + 1} "
                                     "(earlier nodes only, no self or forward edges)")
            if j1 == j2:
                raise ValueError(f"node {i + 2} reads input {j1} twice; the two inputs "
                                 "must be distinct")
        return cell

    def sample(self, rng: int | random.Random | None = None) -> DartsCell:
        """Uniformly random cell (uniform over the `size()` distinct cells)."""
        rng = as_rng(rng)
        cell = []
        for i in range(self.n_nodes):
            j1, j2 = sorted(rng.sample(range(i + 2), 2))
            cell += [(rng.choice(self.operations), j1), (rng.choice(self.operations), j2)]
        return tuple(cell)

    def mutate(self, cell, rng: int | random.Random | None = None) -> DartsCell:
        """Change one op or one input of one random edge (always to a different cell)."""
        rng = as_rng(rng)
        cell = list(self.canonical(cell))
        e = rng.randrange(len(cell))
        op, j = cell[e]
        node = e // 2
        other = cell[e ^ 1][1]
        inputs = [k for k in range(node + 2) if k not in (j, other)]
        if inputs and (len(self.operations) == 1 or rng.random() < 0.5):
            cell[e] = (op, rng.choice(inputs))
        elif len(self.operations) > 1:
            cell[e] = (rng.choice([o for o in self.operations if o != op]), j)
        else:
            raise ValueError("this space has a single cell; nothing to mutate")
        return self.canonical(cell)

    def enumerate(self, ordered: bool = False):
        """Yield every cell (small spaces only). `ordered=True` yields both orders of each
        node's pair, i.e. what a sampler storing ordered pairs can produce."""
        per_node = []
        for i in range(self.n_nodes):
            pairs = (itertools.permutations(range(i + 2), 2) if ordered
                     else itertools.combinations(range(i + 2), 2))
            per_node.append([((o1, j1), (o2, j2)) for j1, j2 in pairs
                             for o1 in self.operations for o2 in self.operations])
        for combo in itertools.product(*per_node):
            yield tuple(e for pair in combo for e in pair)


class NB201Space:
    """The NAS-Bench-201 cell space: 6 edges, 5 ops, 15,625 cells (Dong & Yang, ICLR 2020).

    An arch is a tuple of 6 op names on edges (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2); node 0 is
    the cell input, node 3 its output, and a node sums its incoming edges.
    """

    OPS = NB201_OPS
    EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
    N_NODES = 4

    def __repr__(self) -> str:
        return "NB201Space(15,625 cells, ops=" + ", ".join(self.OPS) + ")"

    def __len__(self) -> int:
        return len(self.OPS) ** len(self.EDGES)

    # ---- strings and genotypes -------------------------------------------------------
    def parse(self, s: str) -> NB201Arch:
        """Parse `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` into an arch tuple."""
        if not isinstance(s, str):
            raise TypeError(f"an NB201 arch string is a str, got {type(s).__name__}")
        example = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|none~1|avg_pool_3x3~2|"
        nodes = s.strip().split("+")
        if len(nodes) != self.N_NODES - 1:
            raise ValueError(f"an NB201 arch has {self.N_NODES - 1} nodes separated by '+', "
                             f"got {len(nodes)} in {s!r}; example: {example}")
        ops = []
        for j, node in enumerate(nodes, start=1):
            if not (node.startswith("|") and node.endswith("|")):
                raise ValueError(f"node {j} of {s!r} must be written |op~i|...|; "
                                 f"example: {example}")
            edges = node[1:-1].split("|")
            if len(edges) != j:
                raise ValueError(f"node {j} must have exactly {j} incoming edges "
                                 f"(from nodes 0..{j - 1}), got {len(edges)} in {node!r}")
            for i, edge in enumerate(edges):
                op, sep, src = edge.partition("~")
                if not sep or not src.isdigit():
                    raise ValueError(f"edge {edge!r} of node {j} must be 'op~input'")
                if int(src) != i:
                    raise ValueError(f"edge {edge!r} of node {j}: input {src} out of place; "
                                     f"node {j} lists inputs 0..{j - 1} in order (no self or "
                                     "forward edges)")
                if op not in self.OPS:
                    raise ValueError(f"unknown op {op!r} on edge {i}->{j}; allowed: "
                                     f"{', '.join(self.OPS)}")
                ops.append(op)
        return tuple(ops)  # type: ignore[return-value]

    def format(self, arch) -> str:
        """Arch tuple (or anything `to_arch` accepts) -> NB201 arch string."""
        a = self.to_arch(arch)
        k = 0
        nodes = []
        for j in range(1, self.N_NODES):
            nodes.append("|" + "|".join(f"{a[k + i]}~{i}" for i in range(j)) + "|")
            k += j
        return "+".join(nodes)

    def to_arch(self, x) -> NB201Arch:
        """Accept an arch string, a flat tuple of 6 ops, a base-5 index, or the nested
        genotype ((op, 0),), ((op, 0), (op, 1)), ((op, 0), (op, 1), (op, 2))."""
        if isinstance(x, str):
            return self.parse(x)
        if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
            return self.from_index(int(x))
        try:
            items = list(x)
        except TypeError:
            raise TypeError(f"cannot read an NB201 arch from {type(x).__name__}; give an "
                            "arch string, a tuple of 6 op names or an index") from None
        if len(items) == 3 and all(not isinstance(n, str) for n in items):
            flat = []
            for j, node in enumerate(items, start=1):
                node = list(node)
                if len(node) != j:
                    raise ValueError(f"genotype node {j} needs {j} (op, input) pairs, "
                                     f"got {len(node)}")
                for i, (op, src) in enumerate(node):
                    if src != i:
                        raise ValueError(f"genotype node {j}: pair {i} must read input "
                                         f"{i}, got {src}")
                    flat.append(op)
            items = flat
        if len(items) != len(self.EDGES):
            raise ValueError(f"an NB201 arch has {len(self.EDGES)} edges, got {len(items)}")
        for (j, i), op in zip(self.EDGES, items):
            if op not in self.OPS:
                raise ValueError(f"unknown op {op!r} on edge {i}->{j}; allowed: "
                                 f"{', '.join(self.OPS)}")
        return tuple(items)  # type: ignore[return-value]

    def genotype(self, arch) -> tuple:
        """The nested NAS-Bench-201 genotype: per node, ((op, input), ...)."""
        a = self.to_arch(arch)
        return (((a[0], 0),), ((a[1], 0), (a[2], 1)), ((a[3], 0), (a[4], 1), (a[5], 2)))

    # ---- enumeration, sampling, neighbourhoods ----------------------------------------
    def index(self, arch) -> int:
        """Position of `arch` in `enumerate()` (base-5 digits, first edge most significant)."""
        idx = 0
        for op in self.to_arch(arch):
            idx = idx * len(self.OPS) + self.OPS.index(op)
        return idx

    def from_index(self, idx: int) -> NB201Arch:
        if not 0 <= idx < len(self):
            raise ValueError(f"NB201 index must be in 0..{len(self) - 1}, got {idx}")
        ops = []
        for _ in self.EDGES:
            idx, r = divmod(idx, len(self.OPS))
            ops.append(self.OPS[r])
        return tuple(reversed(ops))  # type: ignore[return-value]

    def enumerate(self) -> list[NB201Arch]:
        """All 15,625 archs, in index order."""
        return list(itertools.product(self.OPS, repeat=len(self.EDGES)))  # type: ignore

    def sample(self, rng: int | random.Random | None = None) -> NB201Arch:
        rng = as_rng(rng)
        return tuple(rng.choice(self.OPS) for _ in self.EDGES)  # type: ignore[return-value]

    def neighbours(self, arch) -> list[NB201Arch]:
        """All 24 archs that differ from `arch` on exactly one edge."""
        a = self.to_arch(arch)
        return [a[:e] + (op,) + a[e + 1:] for e in range(len(a)) for op in self.OPS
                if op != a[e]]  # type: ignore[misc]

    def mutate(self, arch, rng: int | random.Random | None = None) -> NB201Arch:
        """A uniformly random one-edge neighbour (the mutation of regularized evolution)."""
        return as_rng(rng).choice(self.neighbours(arch))

    # ---- encodings --------------------------------------------------------------------
    def onehot(self, arch) -> np.ndarray:
        """6 x 5 one-hot op matrix, flattened to 30 values."""
        a = self.to_arch(arch)
        out = np.zeros((len(self.EDGES), len(self.OPS)), np.float32)
        for e, op in enumerate(a):
            out[e, self.OPS.index(op)] = 1.0
        return out.ravel()

    def adjacency(self, arch) -> tuple[np.ndarray, list[str]]:
        """Op-on-node form (as NAS-Bench-101 and graph predictors use): each edge becomes a
        node carrying its op; returns the 8x8 adjacency (input, 6 edge-nodes, output) and
        the node labels. `none` edges are kept so that every arch has the same size."""
        a = self.to_arch(arch)
        n = len(self.EDGES) + 2
        adj = np.zeros((n, n), np.int8)
        labels = ["input", *a, "output"]
        for e, (j, i) in enumerate(self.EDGES):
            if i == 0:
                adj[0, e + 1] = 1
            for e2, (_, i2) in enumerate(self.EDGES):
                if i2 == j:
                    adj[e + 1, e2 + 1] = 1
            if j == 3:
                adj[e + 1, n - 1] = 1
        return adj, labels

    def paths(self, arch) -> list[tuple[str, ...]]:
        """All input->output paths as op sequences, skipping paths through `none`."""
        a = dict(zip(self.EDGES, self.to_arch(arch)))
        routes = [[0, 3], [0, 1, 3], [0, 2, 3], [0, 1, 2, 3]]
        out = []
        for r in routes:
            ops = tuple(a[(r[k + 1], r[k])] for k in range(len(r) - 1))
            if "none" not in ops:
                out.append(ops)
        return out

    def path_encoding(self, arch) -> np.ndarray:
        """BANANAS path encoding (White, Neiswanger & Savani, AAAI 2021): one bit per
        possible op sequence from input to output. Ops are the 4 non-`none` ops (a path
        through `none` carries no signal), lengths 1-3: 4 + 16 + 64 = 84 bits."""
        ops = [o for o in self.OPS if o != "none"]
        k = len(ops)
        enc = np.zeros(k + k**2 + k**3, np.float32)
        offsets = {1: 0, 2: k, 3: k + k**2}
        for p in self.paths(arch):
            idx = 0
            for op in p:
                idx = idx * k + ops.index(op)
            enc[offsets[len(p)] + idx] = 1.0
        return enc

    # ---- equivalence ------------------------------------------------------------------
    def has_path(self, arch) -> bool:
        """True if some input->output path avoids `none` (else the cell outputs zeros)."""
        live = {0}
        for (j, i), op in zip(self.EDGES, self.to_arch(arch)):
            if op != "none" and i in live:
                live.add(j)
        return 3 in live

    def unique_key(self, arch) -> str:
        """The expression the cell computes, as a string; equal strings = isomorphic cells.

        Node values are written as expressions of the input `x`: `skip_connect` passes its
        input on unchanged, other ops wrap it as `(expr)@op`, `none` (or any op applied to a
        zero node) gives the zero term `#`, and a node is the sorted '+'-join of its terms, so
        the order of summands does not matter. This is the convention NATS-Bench uses to
        count 6,466 unique NAS-Bench-201 cells (Dong et al., TPAMI 2021): zero terms stay in
        the sum and only a node with a single zero term is itself zero, so it is slightly
        coarser than full functional equivalence (see `strict_key`)."""
        return self._expression(self.to_arch(arch), strict=False)

    def strict_key(self, arch) -> str:
        """Like `unique_key`, but zeros are absorbed (x + 0 = x, a sum of zeros is zero):
        5,390 classes instead of 6,466."""
        return self._expression(self.to_arch(arch), strict=True)

    def _expression(self, a: tuple, strict: bool) -> str:
        node = {0: "x"}
        for j in range(1, self.N_NODES):
            terms = []
            for (t, i), op in zip(self.EDGES, a):
                if t != j:
                    continue
                if op == "none" or node[i] == "#":
                    terms.append("#")
                elif op == "skip_connect":
                    terms.append(node[i])
                else:
                    terms.append(f"({node[i]})@{op}")
            if strict:
                terms = [t for t in terms if t != "#"] or ["#"]
            node[j] = "+".join(sorted(terms))
        return node[self.N_NODES - 1]

    def canonical(self, arch) -> NB201Arch:
        """The representative of `arch`'s isomorphism class (`strict_key`): of all archs that
        compute the same expression, the cheapest one (fewest 3x3 convs, then 1x1 convs,
        pools, skips; ties by index). Dead edges become `none`. Idempotent, and invariant
        under relabelling the intermediate nodes."""
        return self._table(strict=True)[self.index(arch)]

    def nats_canonical(self, arch) -> NB201Arch:
        """Like `canonical`, but for NATS-Bench's coarser classes (`unique_key`, 6,466 of
        them): the cell our benchmark trained for `arch`."""
        return self._table(strict=False)[self.index(arch)]

    def canonical_table(self, strict: bool = False) -> list[NB201Arch]:
        """The representative of every one of the 15,625 archs, in index order."""
        return self._table(strict)

    _tables: dict = {}

    def _table(self, strict: bool) -> list[NB201Arch]:
        if strict not in NB201Space._tables:
            archs = self.enumerate()
            keys = [self._expression(a, strict) for a in archs]
            best: dict[str, tuple] = {}
            for idx, (a, k) in enumerate(zip(archs, keys)):
                cost = (a.count("nor_conv_3x3"), a.count("nor_conv_1x1"),
                        a.count("avg_pool_3x3"), a.count("skip_connect"), idx)
                if k not in best or cost < best[k][0]:
                    best[k] = (cost, a)
            NB201Space._tables[strict] = [best[k][1] for k in keys]
        return NB201Space._tables[strict]

    def unique_archs(self) -> list[NB201Arch]:
        """The 6,466 representatives of NATS-Bench's classes, in index order (the cells our
        benchmark trains)."""
        table = self._table(strict=False)
        return [a for i, a in enumerate(table) if self.index(a) == i]
