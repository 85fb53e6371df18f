"""Training and evaluation: one deterministic loop used by every lesson and the benchmark.

Mini-batch SGD (Nesterov momentum) or Adam/AdamW with an optional cosine learning-rate
schedule (Loshchilov & Hutter, "SGDR", ICLR 2017), the recipe NAS-Bench-201 uses for all its
architectures (Dong & Yang, ICLR 2020, Table 1); optionally a linear warm-up (Goyal et al.,
"Accurate, large minibatch SGD", 2017, section 2.2), label smoothing (Szegedy et al., CVPR
2016, section 7) and gradient-norm clipping (Pascanu et al., ICML 2013). Returns a per-epoch
`History`. Ctrl-C stops training cleanly and returns the partial history marked
`interrupted`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .data import Dataset, TensorLoader
from .utils import progress_bar

__all__ = ["History", "train", "evaluate", "OPTIMIZERS", "SCHEDULES"]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("cosine", "constant")


@dataclass
class History:
    """Per-epoch record of one training run."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # cumulative wall-clock per epoch
    # cumulative CPU time of this process per epoch: unlike wall-clock, it does not count
    # time the process was paused or waiting for the CPU while other programs ran
    cpu_seconds: list[float] = field(default_factory=list)
    test_acc: float | None = None
    interrupted: bool = False

    @property
    def epochs(self) -> int:
        return len(self.val_acc)


@torch.no_grad()
def evaluate(model: nn.Module, loader: TensorLoader, device: torch.device | str = "cpu"
             ) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy (in %) of `model` over `loader`."""
    was_training = model.training
    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        out = model(x)
        loss_sum += F.cross_entropy(out, y, reduction="sum").item()
        correct += (out.argmax(1) == y).sum().item()
        total += len(y)
    model.train(was_training)
    if total == 0:
        raise ValueError("cannot evaluate on an empty loader")
    return loss_sum / total, 100.0 * correct / total


def _optimizer(name: str, params, lr: float, weight_decay: float, momentum: float):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                               nesterov=momentum > 0)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def _lr_factor(step: int, *, total: int, warmup: int, cosine: bool) -> float:
    """Multiplier of the peak lr at optimizer step `step` (0-based): linear warm-up over
    `warmup` steps, then cosine annealing to 0 over the remaining steps (or constant)."""
    if step < warmup:
        return (step + 1) / warmup
    if not cosine:
        return 1.0
    return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / max(total - warmup, 1)))


def train(
    model: nn.Module,
    data: Dataset,
    *,
    epochs: int = 10,
    lr: float = 0.05,
    optimizer: str = "sgd",
    weight_decay: float = 5e-4,
    batch_size: int = 256,
    schedule: str = "cosine",
    seed: int = 0,
    momentum: float = 0.9,
    warmup_epochs: int = 0,
    label_smoothing: float = 0.0,
    grad_clip: float | None = None,
    progress: bool | None = None,
    device: torch.device | str = "cpu",
    test: bool = True,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train `model` on `data.train`, validate every epoch, test once at the end.

    Shuffling uses a `torch.Generator` seeded with `seed`, and the global torch RNG is seeded
    too (dropout, stochastic ops), so the same model initialisation + seed + thread count
    gives bit-identical weights. Without warm-up the cosine schedule steps once per epoch
    (as NAS-Bench-201 does); with `warmup_epochs` > 0 the lr rises linearly over those
    epochs' steps and then follows a per-step cosine. `label_smoothing` only affects the
    training loss (validation loss is plain cross-entropy). `on_epoch(epoch, history)` is
    called after each epoch; it may raise `optuna.TrialPruned` or similar to stop early.
    Ctrl-C returns the partial history with `interrupted=True`. `progress`: a bar per epoch
    (default: in a notebook, not under `course run`; see `utils.show_progress`).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; allowed: {', '.join(SCHEDULES)}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if not isinstance(warmup_epochs, int) or not 0 <= warmup_epochs <= epochs:
        raise ValueError(f"warmup_epochs must be an int in 0..epochs ({epochs}), "
                         f"got {warmup_epochs!r}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
    if grad_clip is not None and not grad_clip > 0:
        raise ValueError(f"grad_clip must be positive or None, got {grad_clip!r}")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model.to(device)
    opt = _optimizer(optimizer, model.parameters(), lr, weight_decay, momentum)
    train_loader = data.loader("train", batch_size, generator=gen)
    val_loader = data.loader("val", 1024)
    per_step = None
    sched = None
    if warmup_epochs > 0:
        steps = len(train_loader)
        per_step = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: _lr_factor(
            t, total=epochs * steps, warmup=warmup_epochs * steps, cosine=schedule == "cosine"))
    elif schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    hist = History()
    bar = progress_bar(total=epochs, desc="train", unit="epoch", progress=progress)
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        for epoch in range(epochs):
            model.train()
            total, loss_sum, correct = 0, 0.0, 0
            for x, y in train_loader:
                x, y = x.to(device), y.to(device)
                out = model(x)
                loss = F.cross_entropy(out, y, label_smoothing=label_smoothing)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                opt.step()
                if per_step is not None:
                    per_step.step()
                loss_sum += loss.item() * len(y)
                correct += (out.argmax(1) == y).sum().item()
                total += len(y)
            if sched is not None:
                sched.step()
            vl, va = evaluate(model, val_loader, device)
            hist.train_loss.append(loss_sum / total)
            hist.train_acc.append(100.0 * correct / total)
            hist.val_loss.append(vl)
            hist.val_acc.append(va)
            hist.seconds.append(time.perf_counter() - start)
            hist.cpu_seconds.append(time.process_time() - cpu_start)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(val_acc=f"{va:.1f}%")
            if on_epoch is not None:
                on_epoch(epoch, hist)
    except KeyboardInterrupt:
        hist.interrupted = True
    finally:
        if bar is not None:
            bar.close()
    if test and not hist.interrupted:
        hist.test_acc = evaluate(model, data.loader("test", 1024), device)[1]
    return hist
