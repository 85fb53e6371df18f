"""A REINFORCE controller that writes DARTS cells: for each node, two inputs and two ops.

NASNet (Zoph, Vasudevan, Shlens & Le, CVPR 2018, Sec. 3) and ENAS (Pham et al., ICML 2018,
Sec. 2.3) let one LSTM emit a whole cell, decision by decision: for node i, which two earlier
nodes it reads (i + 2 choices: the two cell inputs and the i nodes before it — the number of
choices grows with the node) and which op it applies to each. Step t is fed the embedding of
decision t-1, the LSTM state (h, c) is carried across all steps, and the policy is trained
with REINFORCE against a moving-average baseline plus an entropy bonus (`reinforce_step`).

`CellController` has the shape of the article's `RLNASController` sketch (one LSTM cell, one
op head, one input head whose logits are cut to the i + 2 allowed inputs, decisions input,
op, input, op per node) and four switches, one per defect of the sketch; the defaults are
the fixes, and `CellController.sketch()` sets all four back:

* `feed_previous` — the sketch calls `self.lstm(h, (h, c))`: the hidden state is the input
  and the decision just taken is never fed back (its `op_embedding` is unused), so every
  cell is sampled from decisions that cannot see each other except through h.
* `update_baseline` — the sketch subtracts a `baseline` argument that nothing ever updates.
* `use_entropy` — the sketch accepts `entropy_weight` and never uses it.
* `distinct_inputs` — the sketch may pick the same input twice for one node, a cell its own
  `CellSearchSpace` (and DARTS) does not contain; the fix masks the first choice.

ENAS selects inputs by attention over the earlier nodes' hidden states; the index head here
is the sketch's (and NASNet's simpler) form. Cells come back in the order they were sampled;
`DARTSSpace.normalize` gives the form in which equal cells compare equal.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from .models import DARTSNetwork
from .spaces import DARTSArch, DARTSSpace, Genotype
from .strategies import CONTROLLER_INIT_RANGE, REWARD_SCALE, reinforce_step
from .training import train

__all__ = ["CellController", "cell_similarity", "is_valid_cell", "CellTrainingObjective"]


def is_valid_cell(cell, space: DARTSSpace) -> bool:
    """True if `cell` is a cell of `space` (two distinct earlier inputs per node, known ops)."""
    try:
        space.validate(cell)
    except ValueError:
        return False
    return True


def cell_similarity(cell, target, space: DARTSSpace) -> float:
    """Share of `target`'s (op, input) pairs that `cell` has on the same node, in [0, 1]: a
    cheap objective whose optimum (1.0, the target itself) is known. Invalid cells score 0."""
    if not is_valid_cell(cell, space):
        return 0.0
    cell, target = space.normalize(cell), space.normalize(target)
    hits = 0
    for i in range(space.n_nodes):
        want = list(target[2 * i: 2 * i + 2])
        for pair in cell[2 * i: 2 * i + 2]:
            if pair in want:
                want.remove(pair)
                hits += 1
    return hits / len(target)


class CellTrainingObjective:
    """Score a DARTS cell by really training a small `DARTSNetwork` with it as both the
    normal and the reduction cell (C=`C`, `layers` cells, all nodes concatenated) on `data`
    for `epochs` epochs; the score is the final validation accuracy (%) and the cost the
    measured seconds. A short, real reward for the controller — not a benchmark."""

    def __init__(self, data, *, C: int = 8, layers: int = 3, epochs: int = 1,
                 batch_size: int = 64, seed: int = 0) -> None:
        if min(C, layers, epochs, batch_size) < 1:
            raise ValueError("C, layers, epochs and batch_size must be >= 1")
        self.data, self.C, self.layers, self.epochs = data, C, layers, epochs
        self.batch_size, self.seed = batch_size, seed

    def __call__(self, cell) -> dict:
        cell = list(cell)
        concat = list(range(2, 2 + len(cell) // 2))
        torch.manual_seed(self.seed)
        shape = tuple(self.data.x_train.shape[1:])
        net = DARTSNetwork(Genotype(cell, concat, cell, concat), C=self.C, layers=self.layers,
                           in_channels=shape[0], rank=len(shape) - 1,
                           num_classes=self.data.num_classes)
        t = time.perf_counter()
        hist = train(net, self.data, epochs=self.epochs, batch_size=self.batch_size,
                     seed=self.seed, test=False, progress=False)
        return {"score": float(hist.val_acc[-1]), "cost": time.perf_counter() - t}


class CellController(nn.Module):
    """An LSTM policy over DARTS cells, trained with REINFORCE (ask/tell, like the NB201
    strategies; scores in %, e.g. validation accuracy or 100 x `cell_similarity`)."""

    name = "cell-reinforce"

    def __init__(self, *, space: DARTSSpace | None = None, hidden: int = 32, lr: float = 0.01,
                 baseline_decay: float = 0.9, entropy_weight: float = 0.01,
                 feed_previous: bool = True, update_baseline: bool = True,
                 use_entropy: bool = True, distinct_inputs: bool = True,
                 seed: int = 0) -> None:
        super().__init__()
        self.space = space or DARTSSpace()
        self.feed_previous, self.update_baseline = feed_previous, update_baseline
        self.use_entropy, self.distinct_inputs = use_entropy, distinct_inputs
        n_ops, n_inputs = len(self.space.operations), self.space.n_nodes + 1
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.op_embedding = nn.Embedding(n_ops, hidden)
        self.input_embedding = nn.Embedding(n_inputs, hidden)
        self.start = nn.Parameter(torch.zeros(1, hidden))  # the first step's input
        self.op_head = nn.Linear(hidden, n_ops)
        self.input_head = nn.Linear(hidden, n_inputs)   # logits cut to the allowed inputs
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():  # ENAS: every parameter uniform in [-0.1, 0.1]
            for p in self.parameters():
                p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * CONTROLLER_INIT_RANGE)
        self.sampler = torch.Generator().manual_seed(seed + 1)
        self.optimizer = torch.optim.Adam(self.parameters(), lr=lr, foreach=False)
        self.baseline: float | None = None
        self.baseline_decay, self.entropy_weight = baseline_decay, entropy_weight
        self._last: tuple | None = None

    @classmethod
    def sketch(cls, **kwargs) -> CellController:
        """The article's controller: all four defects in place."""
        flags = dict(feed_previous=False, update_baseline=False, use_entropy=False,
                     distinct_inputs=False)
        return cls(**{**flags, **kwargs})

    def forward(self, cell=None, *, greedy: bool = False):
        """Sample a cell (or score the given one; `greedy`: take the argmax). Returns the cell
        as a tuple of (op, input) pairs in decision order, the summed log-probability and the
        summed entropy."""
        h = c = torch.zeros_like(self.start)
        x = self.start
        ops = self.space.operations
        out, logp, ent = [], torch.zeros(()), torch.zeros(())
        for i in range(self.space.n_nodes):
            taken = None
            for k in range(2):
                # the input of the node's k-th edge: one of the i + 2 earlier nodes
                h, c = self.lstm(x if self.feed_previous else h, (h, c))
                logits = self.input_head(h)[0, : i + 2]
                if self.distinct_inputs and taken is not None:
                    logits = logits.masked_fill(torch.arange(i + 2) == taken, float("-inf"))
                j, lp, e = self._decide(logits, None if cell is None else cell[2 * i + k][1],
                                        greedy)
                x = self.input_embedding(torch.tensor([j]))
                # its op
                h, c = self.lstm(x if self.feed_previous else h, (h, c))
                o, lp2, e2 = self._decide(self.op_head(h)[0], None if cell is None
                                          else ops.index(cell[2 * i + k][0]), greedy)
                x = self.op_embedding(torch.tensor([o]))
                logp, ent = logp + lp + lp2, ent + e + e2
                out.append((ops[o], j))
                taken = j
        return tuple(out), logp, ent

    def _decide(self, logits: torch.Tensor, given: int | None, greedy: bool):
        log_probs = torch.log_softmax(logits, -1)
        probs = log_probs.exp()
        if given is not None:
            a = given
        elif greedy:
            a = int(probs.argmax())
        else:
            a = int(torch.multinomial(probs.detach(), 1, generator=self.sampler))
        finite = torch.isfinite(log_probs)
        entropy = -(probs[finite] * log_probs[finite]).sum()
        return a, log_probs[a], entropy

    def ask(self) -> DARTSArch:
        cell, logp, ent = self(None)
        self._last = (cell, logp, ent)
        return cell

    def tell(self, cell, score: float) -> None:
        """REINFORCE on `score` (in %) for `cell` (the one just asked, or any cell in
        decision order: it is re-scored)."""
        cell = tuple((str(op), int(j)) for op, j in cell)
        last, self._last = self._last, None
        _, logp, ent = last if last is not None and last[0] == cell else self(cell)
        self.baseline = reinforce_step(
            self.optimizer, logp, ent, float(score) / REWARD_SCALE, self.baseline,
            decay=self.baseline_decay if self.update_baseline else None,
            entropy_weight=self.entropy_weight if self.use_entropy else 0.0)

    def greedy(self) -> DARTSArch:
        """The most likely decision at every step (the policy's mode, step by step)."""
        with torch.no_grad():
            return self(greedy=True)[0]
