"""DARTS: differentiable architecture search (Liu, Simonyan & Yang, ICLR 2019).

The continuous relaxation (Sec. 2.2): every edge carries all candidate ops at once, mixed by
softmax(alpha), so the architecture alpha is learned by gradient descent together with the
weights w. The bilevel problem (Eq. 3-4)

    min_alpha L_val(w*(alpha), alpha)   s.t.   w*(alpha) = argmin_w L_train(w, alpha)

is solved by alternating an architecture step on validation data with a weight step on
training data (Alg. 1; the two are different halves of the training set). The architecture
gradient is first order (w*(alpha) ~ w) or second order (w*(alpha) ~ w' = w - xi grad_w L_train,
Eq. 6-8, with the Hessian-vector product by finite differences, epsilon = 0.01 / ||grad_w' L_val||).

As in the paper and its code: BN in the search network is `affine=False` (Sec. A.1.1) so that
alpha alone scales the ops; one alpha per cell type (normal, reduce) is shared by every cell
of that type; alpha and w are separate parameter groups with their own optimizers (Adam for
alpha, SGD for w); the mixed op holds DARTS' own ops (separable and dilated convolutions);
and discretization ranks edges and ops by softmax(alpha) with `none` excluded (Sec. 2.4).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from .models import cell_inputs, darts_skeleton, nb201_skeleton
from .ops import DARTS_OPS, NB201_OPS, make_op, nd
from .spaces import Genotype, NB201Arch, NB201Space
from .utils import progress_bar

__all__ = ["MixedOp", "SearchNetwork", "NB201SearchCell", "NB201SearchNetwork",
           "DARTSSearchCell", "DARTSSearchNetwork", "Architect", "derive_nb201",
           "derive_darts", "darts_genotype", "darts_search", "exact_unrolled_gradient",
           "hessian_eigenvalue",
           "GRAD_CLIP", "ALPHA_INIT_SCALE", "ARCH_LR", "ARCH_WEIGHT_DECAY", "ARCH_BETAS",
           "W_LR", "W_LR_MIN", "W_MOMENTUM", "W_WEIGHT_DECAY", "FD_RADIUS", "GDAS_TAU"]

# The search hyperparameters of DARTS' reference code (train_search.py, model_search.py,
# architect.py), which the paper's Sec. A.1.1 states.
GRAD_CLIP = 5.0            # --grad_clip: max norm of the weight gradient
ALPHA_INIT_SCALE = 1e-3    # alphas = 1e-3 * randn(...)
ARCH_LR = 3e-4             # --arch_learning_rate (Adam)
ARCH_WEIGHT_DECAY = 1e-3   # --arch_weight_decay
ARCH_BETAS = (0.5, 0.999)  # Adam betas of the architecture optimizer
W_LR = 0.025               # --learning_rate (SGD, cosine-annealed)
W_LR_MIN = 1e-3            # --learning_rate_min
W_MOMENTUM = 0.9           # --momentum
W_WEIGHT_DECAY = 3e-4      # --weight_decay
FD_RADIUS = 0.01           # Eq. 8: epsilon = 0.01 / ||grad_w' L_val||
GDAS_TAU = (10.0, 0.1)     # GDAS (Dong & Yang, CVPR 2019, Sec. 4.1): tau from 10 down to 0.1


class MixedOp(nn.Module):
    """sum_o softmax(alpha)_o * o(x) over the candidate ops of one edge (Eq. 2). Pooling ops get
    a BN(affine=False) after them, as in the DARTS code, so that all ops have comparable
    scale."""

    def __init__(self, C: int, stride: int, *, ops: tuple[str, ...] = DARTS_OPS,
                 rank: int = 2) -> None:
        super().__init__()
        self.names = tuple(ops)
        mods = []
        for name in self.names:
            op = make_op(name, C, C, stride, affine=False, rank=rank)
            if "pool" in name:
                op = nn.Sequential(op, nd("BatchNorm", rank)(C, affine=False))
            mods.append(op)
        self.ops = nn.ModuleList(mods)

    def forward(self, x: torch.Tensor, weights: torch.Tensor, index: int | None = None
                ) -> torch.Tensor:
        if index is None:
            return sum(w * op(x) for w, op in zip(weights, self.ops))
        # GDAS: only the sampled op runs; the other (zero-valued) weights are added so that
        # the straight-through gradient still reaches every alpha
        rest = sum(w for k, w in enumerate(weights) if k != index)
        return weights[index] * self.ops[index](x) + rest


class SearchNetwork(nn.Module):
    """A network with architecture parameters (alpha) kept apart from its weights w: the
    two parameter groups of DARTS' bilevel problem, each with its own optimizer."""

    arch_names: tuple[str, ...] = ()

    def arch_parameters(self) -> list[nn.Parameter]:
        return [getattr(self, n) for n in self.arch_names]

    def weights(self) -> list[nn.Parameter]:
        arch = {id(p) for p in self.arch_parameters()}
        return [p for p in self.parameters() if id(p) not in arch]

    def named_weights(self) -> dict[str, nn.Parameter]:
        return {k: v for k, v in self.named_parameters() if k not in self.arch_names}

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(x), y)


class NB201SearchCell(nn.Module):
    """A NAS-Bench-201 cell with a MixedOp on each of its 6 edges (the weights come from the
    network, shared by all cells). DARTS- adds `aux_skip` times each edge's input."""

    def __init__(self, C: int, *, rank: int) -> None:
        super().__init__()
        self.edges = NB201Space.EDGES
        self.ops = nn.ModuleList(MixedOp(C, 1, ops=NB201_OPS, rank=rank) for _ in self.edges)

    def forward(self, x: torch.Tensor, weights: torch.Tensor, index: torch.Tensor | None,
                aux_skip: float = 0.0) -> torch.Tensor:
        nodes = [x]
        for j in range(1, 4):
            total = 0
            for e, ((t, i), op) in enumerate(zip(self.edges, self.ops)):
                if t == j:
                    pick = None if index is None else int(index[e])
                    total = total + op(nodes[i], weights[e], pick) + aux_skip * nodes[i]
            nodes.append(total)
        return nodes[-1]


class NB201SearchNetwork(SearchNetwork):
    """The NAS-Bench-201 skeleton (`models.nb201_skeleton`) with every edge a MixedOp;
    alpha has shape (6, 5) and is shared by every cell."""

    arch_names = ("alpha",)

    def __init__(self, *, C: int = 8, N: int = 1, num_classes: int = 10, in_channels: int = 1,
                 rank: int = 1, reduction: str = "cheap", aux_skip: float = 0.0,
                 mode: str = "darts") -> None:
        super().__init__()
        if mode not in ("darts", "gdas"):
            raise ValueError(f"mode must be 'darts' or 'gdas', got {mode!r}")
        #: 'gdas' (Dong & Yang, CVPR 2019): in training, each edge runs one op sampled by
        #: hard Gumbel-softmax with temperature `tau` (straight-through gradient)
        self.mode, self.tau = mode, GDAS_TAU[0]
        self.edges, self.ops = NB201Space.EDGES, NB201_OPS
        self.stem, layers, c_last = nb201_skeleton(
            lambda c: NB201SearchCell(c, rank=rank), C=C, N=N, in_channels=in_channels,
            rank=rank, reduction=reduction)
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nd("BatchNorm", rank)(c_last), nn.ReLU())
        self.pool = nd("AdaptiveAvgPool", rank)(1)
        self.classifier = nn.Linear(c_last, num_classes)
        self.alpha = nn.Parameter(ALPHA_INIT_SCALE * torch.randn(len(self.edges),
                                                                 len(NB201_OPS)))
        #: DARTS- (Chu et al., ICLR 2021): weight of an auxiliary skip on every edge
        self.aux_skip = aux_skip

    def edge_weights(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """softmax(alpha). GDAS: in training, hard Gumbel-softmax samples and their ops; in
        evaluation, the argmax op of every edge — a network of the kind GDAS trains (one op
        per edge), not the softmax mixture, which it never trains."""
        if self.mode == "gdas" and self.training:
            u = torch.rand_like(self.alpha).clamp_(1e-9, 1 - 1e-9)
            soft = F.softmax((self.alpha - torch.log(-torch.log(u))) / self.tau, dim=-1)
            idx = soft.argmax(-1)
            hard = F.one_hot(idx, soft.shape[-1]).to(soft) - soft.detach() + soft
            return hard, idx
        if self.mode == "gdas":
            idx = self.alpha.argmax(-1)
            return F.one_hot(idx, self.alpha.shape[-1]).to(self.alpha), idx
        return F.softmax(self.alpha, dim=-1), None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, idx = self.edge_weights()
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x, w, idx, self.aux_skip) if isinstance(layer, NB201SearchCell) else layer(x)
        return self.classifier(self.pool(self.lastact(x)).flatten(1))


class DARTSSearchCell(nn.Module):
    """A DARTS search cell: `steps` nodes, node i mixing all 2 + i earlier states through
    MixedOps; the output concatenates the last `multiplier` nodes (DARTS' `model_search.Cell`).
    """

    def __init__(self, steps: int, multiplier: int, C_pp: int, C_p: int, C: int, *,
                 reduction: bool, reduction_prev: bool, rank: int) -> None:
        super().__init__()
        self.pre0, self.pre1 = cell_inputs(C_pp, C_p, C, reduction_prev=reduction_prev,
                                           affine=False, rank=rank)
        self.steps, self.multiplier, self.reduction = steps, multiplier, reduction
        self.ops = nn.ModuleList(
            MixedOp(C, 2 if reduction and j < 2 else 1, ops=DARTS_OPS, rank=rank)
            for i in range(steps) for j in range(2 + i))

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor
                ) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        k = 0
        for _ in range(self.steps):
            s = sum(self.ops[k + j](h, weights[k + j]) for j, h in enumerate(states))
            k += len(states)
            states.append(s)
        return torch.cat(states[-self.multiplier:], dim=1)


class DARTSSearchNetwork(SearchNetwork):
    """DARTS' search network: `layers` cells (reductions at 1/3 and 2/3), each node mixing
    all earlier nodes; alpha_normal and alpha_reduce have shape (14, 8) for 4 steps, each
    shared by every cell of its type."""

    arch_names = ("alpha_normal", "alpha_reduce")

    def __init__(self, *, C: int = 8, layers: int = 5, num_classes: int = 10,
                 in_channels: int = 3, rank: int = 2, steps: int = 4, multiplier: int = 4,
                 stem_multiplier: int = 3) -> None:
        super().__init__()
        self.steps = steps
        self.stem, self.cells, c_p = darts_skeleton(
            lambda c_pp, c_p, c, **kw: DARTSSearchCell(steps, multiplier, c_pp, c_p, c,
                                                       rank=rank, **kw),
            C=C, layers=layers, in_channels=in_channels, rank=rank,
            stem_multiplier=stem_multiplier)
        self.pool = nd("AdaptiveAvgPool", rank)(1)
        self.classifier = nn.Linear(c_p, num_classes)
        n_edges = sum(2 + i for i in range(steps))
        self.alpha_normal = nn.Parameter(ALPHA_INIT_SCALE * torch.randn(n_edges, len(DARTS_OPS)))
        self.alpha_reduce = nn.Parameter(ALPHA_INIT_SCALE * torch.randn(n_edges, len(DARTS_OPS)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        wn, wr = F.softmax(self.alpha_normal, -1), F.softmax(self.alpha_reduce, -1)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, wr if cell.reduction else wn)
        return self.classifier(self.pool(s1).flatten(1))


class Architect:
    """The architecture step of DARTS (Alg. 1, Eq. 6-8).

    `order=1`: grad_alpha L_val(w, alpha). `order=2`: grad_alpha L_val(w', alpha) - xi *
    (grad_alpha L_train(w+, alpha) - grad_alpha L_train(w-, alpha)) / (2 eps), where
    w' = w - xi * (momentum buffer + grad_w L_train + weight decay * w) is one virtual SGD
    step, v = grad_w' L_val(w', alpha), w+- = w +- eps v and eps = fd_radius / ||v|| (the
    paper's 0.01: w moves by 0.01 in norm; smaller radii trade truncation for rounding error).
    alpha is updated by Adam(lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3), as in the paper.

    The forward pass at w' runs on copies of the BatchNorm buffers, as the reference code
    runs it on a throw-away copy of the model, so the running statistics of the live network
    do not absorb the virtual step's batch; the w+- passes, like the reference's, run on the
    live buffers.
    """

    def __init__(self, model: SearchNetwork, *, order: int = 1, lr: float = ARCH_LR,
                 weight_decay: float = ARCH_WEIGHT_DECAY, fd_radius: float = FD_RADIUS) -> None:
        if order not in (1, 2):
            raise ValueError(f"order must be 1 (first order) or 2 (unrolled), got {order!r}")
        self.model, self.order, self.fd_radius = model, order, fd_radius
        self.optimizer = torch.optim.Adam(model.arch_parameters(), lr=lr, betas=ARCH_BETAS,
                                          weight_decay=weight_decay)

    def hypergradient(self, x_train, y_train, x_val, y_val, *, xi: float,
                      w_optimizer: torch.optim.Optimizer | None = None) -> list[torch.Tensor]:
        """The architecture gradient (a list matching `model.arch_parameters()`)."""
        model, alphas = self.model, self.model.arch_parameters()
        if self.order == 1:
            return list(torch.autograd.grad(model.loss(x_val, y_val), alphas))
        names, w = zip(*model.named_weights().items())
        g_train = torch.autograd.grad(model.loss(x_train, y_train), w)
        momentum, wd = 0.0, 0.0
        if w_optimizer is not None:
            group = w_optimizer.param_groups[0]
            momentum, wd = group.get("momentum", 0.0), group.get("weight_decay", 0.0)
        unrolled = {}
        with torch.no_grad():
            for n, p, g in zip(names, w, g_train):
                buf = (w_optimizer.state.get(p, {}).get("momentum_buffer")
                       if w_optimizer is not None else None)
                step = g + wd * p + (momentum * buf if buf is not None else 0.0)
                unrolled[n] = (p - xi * step).detach().requires_grad_(True)
        # L_val at w': a functional call on copied buffers (weights and statistics untouched)
        buffers = {n: b.clone() for n, b in model.named_buffers()}
        logits = functional_call(model, {**unrolled, **buffers}, (x_val,))
        grads = torch.autograd.grad(F.cross_entropy(logits, y_val),
                                    [*alphas, *unrolled.values()])
        d_alpha, v = grads[: len(alphas)], grads[len(alphas):]
        eps = self.fd_radius / torch.sqrt(sum((g * g).sum() for g in v))
        implicit = []
        for sign in (1.0, -1.0):
            moved = {n: (p + sign * eps * g).detach() for n, p, g in zip(names, w, v)}
            loss = F.cross_entropy(functional_call(model, moved, (x_train,)), y_train)
            implicit.append(torch.autograd.grad(loss, alphas))
        return [da - xi * (gp - gm) / (2 * eps)
                for da, gp, gm in zip(d_alpha, implicit[0], implicit[1])]

    def step(self, x_train, y_train, x_val, y_val, *, xi: float = 0.0,
             w_optimizer: torch.optim.Optimizer | None = None) -> None:
        grads = self.hypergradient(x_train, y_train, x_val, y_val, xi=xi,
                                   w_optimizer=w_optimizer)
        for a, g in zip(self.model.arch_parameters(), grads):
            a.grad = g.detach()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def exact_unrolled_gradient(model: SearchNetwork, x_train, y_train, x_val, y_val, *,
                            xi: float) -> list[torch.Tensor]:
    """The exact gradient of alpha -> L_val(w - xi * grad_w L_train(w, alpha), alpha) by
    differentiating through the virtual SGD step (double backward). Expensive (it keeps the
    graph of a full gradient); the reference against which `Architect(order=2)`'s
    finite-difference estimate (Eq. 8) is checked. Plain SGD step: no momentum, no decay."""
    names, w = zip(*model.named_weights().items())
    g = torch.autograd.grad(model.loss(x_train, y_train), w, create_graph=True)
    unrolled = {n: p - xi * gi for n, p, gi in zip(names, w, g)}
    loss = F.cross_entropy(functional_call(model, unrolled, (x_val,)), y_val)
    return list(torch.autograd.grad(loss, model.arch_parameters()))


def derive_nb201(alpha: torch.Tensor, *, exclude_none: bool = True) -> NB201Arch:
    """Discretize an NB201 alpha (6 x 5): the strongest op on each edge. `exclude_none=True`
    follows DARTS' rule for its own space (Sec. 2.4: a zero op cannot be an edge's choice);
    NAS-Bench-201's DARTS protocol takes the plain argmax (`exclude_none=False`), which is
    how it reports DARTS collapsing. A choice, not a correction."""
    a = alpha.detach().clone()
    if exclude_none:
        a[:, NB201_OPS.index("none")] = -float("inf")
    return tuple(NB201_OPS[int(i)] for i in a.argmax(-1))  # type: ignore[return-value]


def derive_darts(alpha: torch.Tensor, steps: int = 4) -> list[tuple[str, int]]:
    """Discretize one DARTS cell (Sec. 2.4): for each node keep the 2 incoming edges whose
    strongest non-`none` op (by softmax weight) is strongest, and on each that op. `none` is
    excluded from the ranking *and* from the choice — otherwise a zero op can win an edge."""
    w = F.softmax(alpha.detach(), dim=-1).clone()
    w[:, DARTS_OPS.index("none")] = -1.0
    cell, start = [], 0
    for i in range(steps):
        rows = w[start: start + 2 + i]
        best_in = sorted(range(2 + i), key=lambda j: -float(rows[j].max()))[:2]
        for j in sorted(best_in):
            cell.append((DARTS_OPS[int(rows[j].argmax())], j))
        start += 2 + i
    return cell


def darts_genotype(model: DARTSSearchNetwork) -> Genotype:
    """The normal and reduction cells a DARTS search network derives (Sec. 2.4)."""
    concat = list(range(2, 2 + model.steps))
    return Genotype(derive_darts(model.alpha_normal, model.steps), concat,
                    derive_darts(model.alpha_reduce, model.steps), concat)


def hessian_eigenvalue(model: SearchNetwork, x: torch.Tensor, y: torch.Tensor, *,
                       iters: int = 20, seed: int = 0) -> float:
    """The dominant eigenvalue of the Hessian of L(x, y) w.r.t. the architecture parameters
    (all of them, as one vector), by power iteration on exact Hessian-vector products (double
    backward), in evaluation mode so that BatchNorm statistics stay untouched. RobustDARTS
    (Zela et al., ICLR 2020, Sec. 4) shows that it grows as DARTS moves to solutions that
    generalise poorly when discretised."""
    alphas = model.arch_parameters()
    was_training = model.training
    model.eval()
    try:
        grads = torch.autograd.grad(model.loss(x, y), alphas, create_graph=True)
        gen = torch.Generator().manual_seed(seed)
        v = [torch.randn(a.shape, generator=gen) for a in alphas]
        eig = 0.0
        for _ in range(iters):
            norm = torch.sqrt(sum((u * u).sum() for u in v))
            v = [u / norm for u in v]
            hv = torch.autograd.grad(grads, alphas, grad_outputs=v, retain_graph=True)
            eig = float(sum((h * u).sum() for h, u in zip(hv, v)))  # Rayleigh quotient
            v = [h.detach() for h in hv]
        return eig
    finally:
        model.train(was_training)


def darts_search(model: SearchNetwork, data, *, epochs: int = 10, order: int = 1,
                 batch_size: int = 64, w_lr: float = W_LR, w_momentum: float = W_MOMENTUM,
                 w_weight_decay: float = W_WEIGHT_DECAY, arch_lr: float = ARCH_LR,
                 seed: int = 0, aux_skip_decay: bool = False, eigen_every: int | None = None,
                 early_stop_skips: int | None = None,
                 tau_range: tuple[float, float] = GDAS_TAU,
                 progress: bool | None = None) -> dict:
    """Alg. 1 of DARTS on `data.train` split 50/50 into a weight half and an architecture half.

    Each iteration: an architecture step on an architecture batch (first: alpha is updated
    against the current w), then an SGD step of w on a weight batch. The weight learning rate
    follows a cosine schedule (as in the paper). Returns the softmax(alpha) after every epoch
    and the accuracy on `data.val`. With `aux_skip_decay`, the DARTS- auxiliary skip weight
    decays linearly from its initial value at the first step to exactly 0 at the last (Chu et
    al. 2021, Sec. 3.3: beta decays to 0 by the end of the search). With `eigen_every=k`,
    every k epochs (and after the last) the dominant eigenvalue of the Hessian of the
    validation loss w.r.t. alpha is recorded on one fixed architecture batch
    (`hessian_eigenvalue`; RobustDARTS, Zela et al., ICLR 2020, tracks it as a collapse
    indicator). With `early_stop_skips=k`
    the search stops once the derived cell has k or more skip connections (the DARTS+
    criterion, Liang et al., 2019: collapse shows as skips taking over). A GDAS network's
    temperature falls linearly over `tau_range` (Dong & Yang, 2019). `progress`: a bar per
    epoch (default: in a notebook, not under `course run`; `utils.show_progress`).
    """
    from .training import evaluate

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    n = len(data.y_train)
    perm = torch.randperm(n, generator=gen)
    w_idx, a_idx = perm[: n // 2], perm[n // 2:]
    w_opt = torch.optim.SGD(model.weights(), lr=w_lr, momentum=w_momentum,
                            weight_decay=w_weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(w_opt, epochs, eta_min=W_LR_MIN)
    architect = Architect(model, order=order, lr=arch_lr)
    aux0 = getattr(model, "aux_skip", 0.0)
    steps_per_epoch = len(w_idx) // batch_size
    total_steps, step = epochs * steps_per_epoch, 0
    history: dict = {"alpha": [], "val_acc": [], "eigenvalue": {}}
    probe = a_idx[:256]  # the fixed batch the Hessian is measured on
    bar = progress_bar(total=epochs, desc="search", unit="epoch", progress=progress)
    for epoch in range(epochs):
        if getattr(model, "mode", "darts") == "gdas":
            model.tau = tau_range[0] - (tau_range[0] - tau_range[1]) * epoch / max(epochs - 1, 1)
        model.train()
        wp = w_idx[torch.randperm(len(w_idx), generator=gen)]
        ap = a_idx[torch.randperm(len(a_idx), generator=gen)]
        lr = sched.get_last_lr()[0]
        for k in range(len(wp) // batch_size):
            if aux_skip_decay:
                model.aux_skip = aux0 * (1 - step / max(total_steps - 1, 1))
            step += 1
            sl = slice(k * batch_size, (k + 1) * batch_size)
            bw, ba = wp[sl], ap[sl]
            xw, yw = data.x_train[bw], data.y_train[bw]
            architect.step(xw, yw, data.x_train[ba], data.y_train[ba], xi=lr, w_optimizer=w_opt)
            w_opt.zero_grad(set_to_none=True)
            model.loss(xw, yw).backward()
            nn.utils.clip_grad_norm_(model.weights(), GRAD_CLIP)
            w_opt.step()
        sched.step()
        history["alpha"].append([F.softmax(a.detach(), -1).clone()
                                 for a in model.arch_parameters()])
        history["val_acc"].append(evaluate(model, data.loader("val", 1024))[1])
        if bar is not None:
            bar.update(1)
            bar.set_postfix(val_acc=f"{history['val_acc'][-1]:.1f}%")
        if eigen_every and ((epoch + 1) % eigen_every == 0 or epoch + 1 == epochs):
            history["eigenvalue"][epoch + 1] = hessian_eigenvalue(
                model, data.x_train[probe], data.y_train[probe], seed=seed)
        if early_stop_skips is not None:
            cell = (derive_nb201(model.alpha) if isinstance(model, NB201SearchNetwork)
                    else [op for op, _ in derive_darts(model.alpha_normal, model.steps)])
            if list(cell).count("skip_connect") >= early_stop_skips:
                history["stopped_at"] = epoch + 1
                break
    if bar is not None:
        bar.close()
    return history
