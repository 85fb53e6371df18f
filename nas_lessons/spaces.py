"""Cell search spaces: the DARTS cell space and the NAS-Bench-201 space.

* `DARTSSpace` — the DARTS space (Liu et al., ICLR 2019, Sec. 2.1 and A.1.1): a cell has
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
from collections.abc import Sequence
from enum import Enum

import numpy as np

from .ops import DARTS_OPS, NB201_OPS, OPS

__all__ = ["OperationType", "DARTSSpace", "NB201Space", "Genotype", "DARTS_V2",
           "as_rng", "DARTSArch", "NB201Arch", "ArchLike"]

#: One DARTS cell: for each intermediate node, two (op, input) pairs, flattened. A `Genotype`
#: pairs a normal and a reduction cell.
DARTSArch = tuple[tuple[str, int], ...]
#: A NAS-Bench-201 cell: the ops on edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
NB201Arch = tuple[str, str, str, str, str, str]
#: Anything `NB201Space.to_arch` reads: an arch string, a sequence of 6 op names, a base-5
#: index, or the nested form of `NB201Space.node_inputs`. Every `arch` parameter takes it.
ArchLike = str | int | Sequence[str] | Sequence[Sequence[tuple[str, int]]]

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
Genotype.__doc__ = """DARTS genotype: normal/reduce cells as `[(op, input), ...]`, two per node,
inputs 0 and 1 being the two previous cells; `*_concat` lists the nodes concatenated."""

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

    CONV_3x3 = "nor_conv_3x3"
    CONV_5x5 = "nor_conv_5x5"
    CONV_1x1 = "nor_conv_1x1"
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


class DARTSSpace:
    """The DARTS cell space: `n_nodes` intermediate nodes, each with two distinct inputs.

    A cell is a tuple of 2*n_nodes `(op, input)` pairs; node i (0-based) owns pairs 2i and
    2i+1 and may read inputs 0..i+1 (0, 1 are the two cell inputs). Because the two edges of a
    node are an *unordered* pair, the normal form (`normalize`) lists them by increasing
    input; `sample` and `mutate` return normalized cells, so equal cells compare equal.
    """

    def __init__(self, n_nodes: int = 4, operations=DARTS_OPS[1:]) -> None:
        if not isinstance(n_nodes, int) or n_nodes < 1:
            raise ValueError(f"n_nodes must be a positive int, got {n_nodes!r}")
        self.n_nodes = n_nodes
        self.operations = _op_names(operations)

    def __repr__(self) -> str:
        return f"DARTSSpace(n_nodes={self.n_nodes}, operations={list(self.operations)})"

    def size(self) -> int:
        """Exact number of distinct cells: `prod over nodes of C(#inputs, 2) * |ops|^2`."""
        k = len(self.operations)
        return math.prod(math.comb(i + 2, 2) * k * k for i in range(self.n_nodes))

    def normalize(self, cell) -> DARTSArch:
        """Validate and sort each node's pair by input: the unordered-pair normal form, so that
        the two descriptions of one cell compare equal. (Not `NB201Space.canonical`, which
        picks a representative of all cells that build the same network.)"""
        cell = self.validate(cell)
        out = []
        for i in range(self.n_nodes):
            out += sorted(cell[2 * i: 2 * i + 2], key=lambda e: (e[1], e[0]))
        return tuple(out)

    def validate(self, cell) -> DARTSArch:
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

    def sample(self, rng: int | random.Random | None = None) -> DARTSArch:
        """Uniformly random cell (uniform over the `size()` distinct cells)."""
        rng = as_rng(rng)
        cell = []
        for i in range(self.n_nodes):
            j1, j2 = sorted(rng.sample(range(i + 2), 2))
            cell += [(rng.choice(self.operations), j1), (rng.choice(self.operations), j2)]
        return tuple(cell)

    def mutate(self, cell, rng: int | random.Random | None = None) -> DARTSArch:
        """Change one op or one input of one random edge (always to a different cell)."""
        rng = as_rng(rng)
        cell = list(self.normalize(cell))
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
        return self.normalize(cell)

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

    def format(self, arch: ArchLike) -> str:
        """Arch tuple (or anything `to_arch` accepts) -> NB201 arch string."""
        a = self.to_arch(arch)
        k = 0
        nodes = []
        for j in range(1, self.N_NODES):
            nodes.append("|" + "|".join(f"{a[k + i]}~{i}" for i in range(j)) + "|")
            k += j
        return "+".join(nodes)

    def to_arch(self, x: ArchLike) -> NB201Arch:
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

    def node_inputs(self, arch: ArchLike) -> tuple:
        """The nested form NAS-Bench-201's API prints: per node, ((op, input), ...)."""
        a = self.to_arch(arch)
        return (((a[0], 0),), ((a[1], 0), (a[2], 1)), ((a[3], 0), (a[4], 1), (a[5], 2)))

    # ---- enumeration, sampling, neighbourhoods ----------------------------------------
    def index(self, arch: ArchLike) -> int:
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

    def neighbours(self, arch: ArchLike) -> list[NB201Arch]:
        """All 24 archs that differ from `arch` on exactly one edge."""
        a = self.to_arch(arch)
        return [a[:e] + (op,) + a[e + 1:] for e in range(len(a)) for op in self.OPS
                if op != a[e]]  # type: ignore[misc]

    def mutate(self, arch: ArchLike, rng: int | random.Random | None = None) -> NB201Arch:
        """A uniformly random one-edge neighbour (the mutation of regularized evolution)."""
        return as_rng(rng).choice(self.neighbours(arch))

    # ---- encodings --------------------------------------------------------------------
    def onehot(self, arch: ArchLike) -> np.ndarray:
        """6 x 5 one-hot op matrix, flattened to 30 values."""
        a = self.to_arch(arch)
        out = np.zeros((len(self.EDGES), len(self.OPS)), np.float32)
        for e, op in enumerate(a):
            out[e, self.OPS.index(op)] = 1.0
        return out.ravel()

    def adjacency(self, arch: ArchLike) -> tuple[np.ndarray, list[str]]:
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

    def paths(self, arch: ArchLike) -> list[tuple[str, ...]]:
        """All input->output paths as op sequences, skipping paths through `none`."""
        a = dict(zip(self.EDGES, self.to_arch(arch)))
        routes = [[0, 3], [0, 1, 3], [0, 2, 3], [0, 1, 2, 3]]
        out = []
        for r in routes:
            ops = tuple(a[(r[k + 1], r[k])] for k in range(len(r) - 1))
            if "none" not in ops:
                out.append(ops)
        return out

    def path_encoding(self, arch: ArchLike) -> np.ndarray:
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
    def has_path(self, arch: ArchLike) -> bool:
        """True if some input->output path avoids `none` (else the cell outputs zeros)."""
        live = {0}
        for (j, i), op in zip(self.EDGES, self.to_arch(arch)):
            if op != "none" and i in live:
                live.add(j)
        return 3 in live

    def prune(self, arch: ArchLike) -> NB201Arch:
        """Set dead edges to `none`: an edge is live only if its input is reachable from the
        cell input and its output reaches the cell output through non-`none` edges."""
        a = self.to_arch(arch)
        fwd, bwd = {0}, {self.N_NODES - 1}
        for (j, i), op in zip(self.EDGES, a):
            if op != "none" and i in fwd:
                fwd.add(j)
        for (j, i), op in reversed(list(zip(self.EDGES, a))):
            if op != "none" and j in bwd:
                bwd.add(i)
        return tuple(op if op != "none" and i in fwd and j in bwd else "none"  # type: ignore
                     for (j, i), op in zip(self.EDGES, a))

    def unique_key(self, arch: ArchLike) -> str:
        """Which network the cell builds, up to isomorphism; equal keys = the same network.

        Every conv edge is its own layer with its own weights, so the cell is a graph, not an
        expression: after removing dead edges (`prune`), a node fed only by a `skip_connect`
        *is* its input and is merged into it, as is a node computing exactly what an earlier
        node computes from parameter-free ops; the key is then the smallest edge list over
        relabellings of the intermediate nodes. 7,005 classes; within one, every member has
        the same live layers (and so the same parameters and FLOPs once dead edges are gone).

        NATS-Bench counts 6,466 "unique" cells with an expression string (`nats_key`), which
        identifies two conv layers applied to the same input — two layers with separate
        weights — so 430 of its classes mix networks of different sizes; it also keeps zero
        summands, so it splits some identical networks (`x + 0` vs `x`).
        """
        a = self.prune(arch)
        edges = [(i, j, op) for (j, i), op in zip(self.EDGES, a) if op != "none"]
        if not edges:
            return "zero"
        out = self.N_NODES - 1
        alias, inputs = {0: 0}, {}
        for j in range(1, out):
            inc = sorted((alias[i], op) for i, t, op in edges if t == j)
            if not inc:
                continue
            if len(inc) == 1 and inc[0][1] == "skip_connect":
                alias[j] = inc[0][0]        # a pure copy of its input
                continue
            twin = [k for k, s in inputs.items() if s == inc]
            if twin and all(op in ("skip_connect", "avg_pool_3x3") for _, op in inc):
                alias[j] = twin[0]          # computes exactly what node `twin` computes
                continue
            alias[j], inputs[j] = j, inc
        kept = [(alias[i], j, op) for i, j, op in edges if j == out or alias[j] == j]
        inner = sorted({n for i, j, _ in kept for n in (i, j)} - {0, out})
        best = None
        for perm in itertools.permutations(inner):
            name = {0: 0, out: out, **{n: k + 1 for k, n in enumerate(perm)}}
            key = sorted((name[i], name[j], op) for i, j, op in kept)
            best = key if best is None or key < best else best
        return ";".join(f"{i}>{j}:{op}" for i, j, op in best)  # type: ignore[union-attr]

    def nats_key(self, arch: ArchLike) -> str:
        """NATS-Bench's uniqueness string (Dong et al., TPAMI 2021), reproducing its count of
        6,466: node values as expressions of the input `x` — `skip_connect` passes its input
        on, other ops wrap it as `(expr)@op`, `none` (or any op on a zero node) gives `#`,
        summands sorted. Coarser than `unique_key` in one way, finer in another (see there).
        """
        a, node = self.to_arch(arch), {0: "x"}
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
            node[j] = "+".join(sorted(terms))
        return node[self.N_NODES - 1]

    def canonical(self, arch: ArchLike) -> NB201Arch:
        """The representative of `arch`'s class (`unique_key`): of all archs that build the
        same network, the cheapest one (fewest 3x3 convs, then 1x1 convs, pools, skips; ties
        by index) — it has no dead edges. Idempotent, and invariant under relabelling the
        intermediate nodes. The benchmark trains exactly these 7,005 cells."""
        return self._table("unique")[self.index(arch)]

    def nats_canonical(self, arch: ArchLike) -> NB201Arch:
        """Like `canonical`, for NATS-Bench's 6,466 classes (`nats_key`)."""
        return self._table("nats")[self.index(arch)]

    def canonical_table(self, convention: str = "unique") -> list[NB201Arch]:
        """The representative of every one of the 15,625 archs, in index order, for the
        `"unique"` (`unique_key`) or `"nats"` (`nats_key`) convention."""
        return self._table(convention)

    _tables: dict = {}

    def _table(self, convention: str) -> list[NB201Arch]:
        keyfn = {"unique": self.unique_key, "nats": self.nats_key}.get(convention)
        if keyfn is None:
            raise ValueError(f"unknown convention {convention!r}; allowed: 'unique', 'nats'")
        if convention not in NB201Space._tables:
            archs = self.enumerate()
            keys = [keyfn(a) for a in archs]
            best: dict[str, tuple] = {}
            for idx, (a, k) in enumerate(zip(archs, keys)):
                cost = (a.count("nor_conv_3x3"), a.count("nor_conv_1x1"),
                        a.count("avg_pool_3x3"), a.count("skip_connect"), idx)
                if k not in best or cost < best[k][0]:
                    best[k] = (cost, a)
            NB201Space._tables[convention] = [best[k][1] for k in keys]
        return NB201Space._tables[convention]

    def unique_archs(self) -> list[NB201Arch]:
        """The 7,005 representatives of the `unique_key` classes, in index order (the cells
        the benchmark trains)."""
        table = self._table("unique")
        return [a for i, a in enumerate(table) if self.index(a) == i]
