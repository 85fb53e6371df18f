"""Hardware cost of a network: parameters, FLOPs, memory, measured and predicted latency,
hardware constraints (lessons 02 and 06).

FLOPs are counted by PyTorch's own `torch.utils.flop_counter.FlopCounterMode`, which counts
a multiply-add as 2 FLOPs for convolutions and matrix products (papers often report MACs,
i.e. half of this; NAS-Bench-201 reports "FLOPs" that are MACs of conv and linear layers).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import platform
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .models import NB201Network
from .ops import NB201_OPS, make_op
from .spaces import ArchLike, NB201Space

__all__ = ["count_params", "count_flops", "measure_latency", "op_costs", "memory_mb",
           "peak_memory_mb", "deployed",
           "HardwareConstraints", "LatencyTable", "prediction_report", "CPUContention",
           "cpu_model", "machine_info"]


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; BN running statistics are buffers, not counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@contextmanager
def _probe(model: nn.Module, input_shape: tuple[int, ...], batch_size: int, random: bool):
    """Check `input_shape`, put `model` in eval mode, and yield an input batch on the model's
    device (zeros, or standard normal when `random`); the training mode is restored."""
    if not input_shape or any(not isinstance(d, int) or d < 1 for d in input_shape):
        raise ValueError(f"input_shape must be a tuple of positive ints without the batch "
                         f"axis, e.g. (1, 40) or (3, 32, 32); got {input_shape!r}")
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else "cpu"
        make = torch.randn if random else torch.zeros
        yield make(batch_size, *input_shape, device=device)
    finally:
        model.train(was_training)


def count_flops(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1) -> int:
    """Forward FLOPs for one batch of `input_shape` (without the batch axis), in eval mode."""
    with _probe(model, input_shape, batch_size, random=False) as x:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(x)
    return int(counter.get_total_flops())


def measure_latency(model: nn.Module, input_shape: tuple[int, ...], *, batch_size: int = 1,
                    threads: int = 1, min_run_time: float = 0.1, warmup: int = 3
                    ) -> dict[str, float]:
    """Measured forward latency on this machine, in milliseconds (eval mode, no grad).

    Uses `torch.utils.benchmark.Timer.blocked_autorange`, which picks a number of calls per
    block and repeats blocks for at least `min_run_time` seconds; only `model(x)` is timed
    (gradient recording is switched off once, outside the timed statement). Returns
    `median_ms`, the median over blocks of the mean time per call; `iqr_ms`, the
    interquartile range of those block means (a spread of averages, narrower than the spread
    of single calls); `blocks` and `calls`, how many of each were timed.
    """
    from torch.utils import benchmark

    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    with _probe(model, input_shape, batch_size, random=True) as x:
        with torch.no_grad():
            for _ in range(warmup):
                model(x)
        timer = benchmark.Timer("model(x)", globals={"model": model, "x": x},
                                num_threads=threads)
        with torch.no_grad():  # grad mode is thread-local: the timed calls run without it
            m = timer.blocked_autorange(min_run_time=min_run_time)
    return {"median_ms": m.median * 1e3, "iqr_ms": m.iqr * 1e3, "blocks": len(m.times),
            "calls": len(m.times) * m.number_per_run}


def op_costs(names, *, C: int, input_shape: tuple[int, ...], stride: int = 1,
             affine: bool = True) -> list[dict]:
    """Output shape, parameters and forward FLOPs of each op applied to a `(C, *spatial)`
    input (batch 1) — the per-operation view of a search space's cost."""
    rank = len(input_shape)
    rows = []
    for name in names:
        op = make_op(name, C, C, stride, affine=affine, rank=rank)
        op.eval()
        with torch.no_grad():
            out = op(torch.zeros(1, C, *input_shape))
        rows.append({"op": name, "out_shape": tuple(out.shape[1:]),
                     "params": count_params(op),
                     "flops": count_flops(op, (C, *input_shape))})
    return rows


def cpu_model() -> str:
    """The CPU's model name plus a short hash of its instruction-set flags (Linux
    /proc/cpuinfo; platform.processor() elsewhere). Virtual machines often report a generic
    name, and the flags decide which SIMD kernels PyTorch runs, hence which floats come out."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())  # the first core's entry
    except OSError:
        pass
    name = info.get("model name") or platform.processor() or platform.machine()
    flags = " ".join(sorted(info.get("flags", "").split()))
    if flags:
        name += f" [flags {hashlib.sha256(flags.encode()).hexdigest()[:8]}]"
    return name


def machine_info() -> dict:
    """Where a measurement was taken: OS, CPU, Python, torch and the number of cores."""
    return {"platform": platform.platform(), "processor": cpu_model(),
            "machine": platform.machine(), "python": platform.python_version(),
            "torch": torch.__version__, "cpu_count": os.cpu_count()}


# ---- memory ------------------------------------------------------------------------------------
def memory_mb(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1) -> float:
    """Memory estimate in MB (float32): parameters plus the outputs of every leaf module of one
    forward pass — what training keeps for the backward pass, an upper bound for inference."""
    total = [0]

    def hook(_m, _inp, out):
        if isinstance(out, torch.Tensor):
            total[0] += out.numel() * out.element_size()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with _probe(model, input_shape, batch_size, random=False) as x, torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    return (params + total[0]) / 1e6


def peak_memory_mb(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1
                   ) -> float:
    """Measured peak memory of one inference forward pass, in MB: the parameters and buffers,
    plus the largest total size of tensors alive at the same time. Every tensor an operator
    creates is recorded as it is created (a `TorchDispatchMode`) and released when the last
    tensor viewing its storage is freed, so an activation counts only while something still
    needs it — unlike `memory_mb`, which adds up every activation. Operators' internal
    scratch buffers (e.g. im2col) are not tensors and are not counted."""
    import weakref

    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    state = {"live": 0, "peak": 0}
    refs: dict[int, list[int]] = {}  # storage pointer -> [tensors alive, bytes]

    def release(key: int) -> None:
        entry = refs[key]
        entry[0] -= 1
        if entry[0] == 0:
            state["live"] -= entry[1]
            del refs[key]

    weights = list(itertools.chain(model.parameters(), model.buffers()))
    counted_apart = {t.untyped_storage().data_ptr() for t in weights}

    def track(t: torch.Tensor) -> None:
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key == 0 or key in counted_apart:  # views of weights are not new memory
            return
        if key not in refs:
            refs[key] = [0, storage.nbytes()]
            state["live"] += storage.nbytes()
            state["peak"] = max(state["peak"], state["live"])
        refs[key][0] += 1
        weakref.finalize(t, release, key)

    class Live(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in tree_flatten(out)[0]:
                if isinstance(t, torch.Tensor):
                    track(t)
            return out

    fixed = sum(t.numel() * t.element_size() for t in weights)
    with _probe(model, input_shape, batch_size, random=False) as x, torch.no_grad():
        track(x)
        with Live():
            out = model(x)
        peak = state["peak"]
        del out
    return (fixed + peak) / 1e6


def deployed(model: nn.Module, *, fuse_conv_bn: bool = False,
             int8_dynamic: bool = False) -> nn.Module:
    """`model` (in eval mode) as an inference runtime would run it. `fuse_conv_bn` folds
    every BatchNorm that follows a convolution into the convolution's weights and traces the
    network into one flat graph (`torch.fx.experimental.optimization.fuse`): the same
    function (up to float rounding), fewer operators — which is why a lookup table of
    separately measured ops stops adding up (nn-Meter's point: runtimes fuse kernels; Zhang et
    al., MobiSys 2021). `int8_dynamic` quantizes the weights of Linear layers to int8
    (`torch.ao.quantization.quantize_dynamic`; PyTorch's dynamic quantization covers Linear
    and recurrent layers only, and is deprecated in favour of torchao)."""
    import copy
    import warnings

    out = copy.deepcopy(model).eval()
    if fuse_conv_bn:
        from torch.fx.experimental.optimization import fuse

        out = fuse(out)
    if int8_dynamic:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = torch.ao.quantization.quantize_dynamic(out, {nn.Linear}, dtype=torch.qint8)
    return out


# ---- constraints -------------------------------------------------------------------------------
@dataclass(frozen=True)
class HardwareConstraints:
    """Upper limits for a deployable network; None means unconstrained."""

    max_latency_ms: float | None = None
    max_memory_mb: float | None = None
    max_params_m: float | None = None
    max_flops_m: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_latency_ms", "max_memory_mb", "max_params_m", "max_flops_m"):
            v = getattr(self, name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v) or v <= 0:
                raise ValueError(f"{name} must be a positive number or None, got {v!r}")

    def excess(self, *, latency_ms=None, memory_mb=None, params=None, flops=None) -> dict:
        """For each given metric that has a limit: value minus limit (positive = over it), in
        the limit's unit (params and FLOPs in millions); elementwise for arrays."""
        checks = {"max_latency_ms": latency_ms, "max_memory_mb": memory_mb,
                  "max_params_m": None if params is None else np.asarray(params) / 1e6,
                  "max_flops_m": None if flops is None else np.asarray(flops) / 1e6}
        return {name: np.asarray(value, dtype=float) - getattr(self, name)
                for name, value in checks.items()
                if getattr(self, name) is not None and value is not None}

    def violations(self, **metrics) -> dict[str, float]:
        """How far each given metric is over its limit (only the violated ones), for one
        network."""
        return {k: float(v) for k, v in self.excess(**metrics).items() if v > 0}

    def feasible(self, **metrics) -> bool | np.ndarray:
        """Whether every given metric is within its limit; elementwise for arrays (NaN, an
        unknown value, counts as infeasible)."""
        ok: bool | np.ndarray = True
        for v in self.excess(**metrics).values():
            ok = ok & (v <= 0)
        return ok


# ---- latency prediction ------------------------------------------------------------------------
class LatencyTable:
    """Predict an `NB201Network`'s latency from a table of per-op latencies measured on this
    machine — the lookup-table model of FBNet (Wu et al., CVPR 2019), ProxylessNAS (Cai et
    al., ICLR 2019) and OFA (Cai et al., ICLR 2020).

    `build()` measures every op of the space at every (channels, length) it occurs with;
    `fit(archs, measured)` fits latency ~ overhead + scale * (sum of the cells' op latencies)
    by least squares (the overhead covers stem, reductions, head and the node additions);
    `fit_ridge` fits a learned alternative, ridge regression on the cell's op counts.
    """

    def __init__(self, *, C: int = 8, N: int = 1, num_classes: int = 10,
                 input_shape: tuple[int, ...] = (1, 40), reduction: str = "cheap",
                 threads: int = 1, batch_size: int = 1) -> None:
        self.C, self.N, self.num_classes, self.reduction = C, N, num_classes, reduction
        #: the "device": how many threads, how many inputs per call
        self.input_shape, self.threads, self.batch_size = tuple(input_shape), threads, batch_size
        self.rank = len(input_shape) - 1
        self.table: dict[tuple[str, int], float] = {}
        self.overhead, self.scale = 0.0, 1.0
        self.ridge = None

    def stages(self) -> list[tuple[int, tuple[int, ...]]]:
        """(channels, spatial shape) of the cells in each of the three stages."""
        spatial = self.input_shape[1:]
        out = []
        for s in range(3):
            out.append((self.C * 2**s, tuple(d // 2**s for d in spatial)))
        return out

    def build(self, *, min_run_time: float = 0.1, passes: int = 3) -> LatencyTable:
        """Measure every op at every stage shape; each entry is the minimum over `passes`
        sweeps (the minimum is robust to interference from other programs, and sweeping
        all ops per pass spreads slow phases of the machine over all of them)."""
        mods = {}
        for stage, (c, spatial) in enumerate(self.stages()):
            for op in NB201_OPS:
                self.table[(op, stage)] = 0.0 if op == "none" else float("inf")
                if op != "none":  # `none` is not computed by NB201Cell
                    mods[(op, stage)] = (make_op(op, c, c, 1, rank=self.rank), (c, *spatial))
        for _ in range(passes):
            for key, (m, shape) in mods.items():
                ms = measure_latency(m, shape, threads=self.threads, batch_size=self.batch_size,
                                     min_run_time=min_run_time)["median_ms"]
                self.table[key] = min(self.table[key], ms)
        return self

    def cell_sum(self, arch: ArchLike) -> float:
        a = NB201Space().to_arch(arch)
        if not self.table:
            raise ValueError("the table is empty: call build() first")
        return self.N * sum(self.table[(op, s)] for s in range(3) for op in a)

    def fit(self, archs, measured_ms) -> LatencyTable:
        x = np.array([self.cell_sum(a) for a in archs])
        y = np.asarray(measured_ms, dtype=float)
        A = np.stack([np.ones_like(x), x], axis=1)
        (self.overhead, self.scale), *_ = np.linalg.lstsq(A, y, rcond=None)
        return self

    def predict(self, arch: ArchLike) -> float:
        return float(self.overhead + self.scale * self.cell_sum(arch))

    @staticmethod
    def features(arch: ArchLike) -> np.ndarray:
        """Op counts of the cell (5 numbers): the ridge model's input. The same cell is in
        every stage, so per-stage counts would repeat these; and the five counts always sum
        to 6 edges, so they are collinear with the intercept — ridge's penalty picks one of
        the equivalent solutions (a plain least-squares fit would not be unique)."""
        space = NB201Space()
        a = space.to_arch(arch)
        return np.array([a.count(op) for op in space.OPS], dtype=float)

    def fit_ridge(self, archs, measured_ms, *, alpha: float = 1.0) -> LatencyTable:
        from sklearn.linear_model import Ridge

        X = np.stack([self.features(a) for a in archs])
        self.ridge = Ridge(alpha=alpha).fit(X, np.asarray(measured_ms, dtype=float))
        return self

    def predict_ridge(self, arch: ArchLike) -> float:
        if self.ridge is None:
            raise ValueError("call fit_ridge() first")
        return float(self.ridge.predict(self.features(arch)[None, :])[0])

    def measure(self, archs, *, min_run_time: float = 0.05, passes: int = 3,
                **deploy) -> list[float]:
        """Measured latency (ms per call of `batch_size` inputs) of the networks built from
        `archs`, as `deployed(net, **deploy)` runs them: the minimum over `passes` sweeps over
        all of them (see `build`). Sets `repeatability`."""
        return self.measure_deployments(archs, {"": deploy}, min_run_time=min_run_time,
                                        passes=passes)[""]

    def measure_deployments(self, archs, deployments: dict[str, dict], *,
                            min_run_time: float = 0.05, passes: int = 3
                            ) -> dict[str, list[float]]:
        """`measure` for several ways of deploying the same networks, e.g.
        `{"as built": {}, "fused": {"fuse_conv_bn": True}}`: within each sweep the variants
        of one network are timed back to back, so a slow phase of the machine hits them alike
        and their ratio is not a comparison of two moments. Returns a list per variant and
        sets `repeatability` (over all variants)."""
        if not deployments:
            raise ValueError("deployments is empty: give at least one, e.g. {'as built': {}}")
        if not isinstance(passes, int) or passes < 1:
            raise ValueError(f"passes must be a positive int, got {passes!r}")
        nets = [[deployed(NB201Network(a, C=self.C, N=self.N, num_classes=self.num_classes,
                                       in_channels=self.input_shape[0], rank=self.rank,
                                       reduction=self.reduction), **kw)
                 for kw in deployments.values()] for a in archs]
        runs = np.zeros((passes, len(nets), len(deployments)))
        for k in range(passes):
            for i, variants in enumerate(nets):
                for j, net in enumerate(variants):
                    runs[k, i, j] = measure_latency(
                        net, self.input_shape, threads=self.threads, batch_size=self.batch_size,
                        min_run_time=min_run_time)["median_ms"]
        ordered = np.sort(runs, axis=0)
        best = ordered[0]
        #: how repeatable the minimum is: the median over networks of the gap between the two
        #: fastest sweeps, (second - best) / best (the first sweep also warms caches up, so
        #: it is often the slowest); a predictor cannot be judged more finely than this
        self.repeatability = (float(np.median((ordered[1] - best) / best)) if passes > 1
                              else float("nan"))
        return {name: best[:, j].tolist() for j, name in enumerate(deployments)}


class CPUContention:
    """How busy *other* programs kept the CPU while a block ran, in cores (Linux reads
    /proc/stat; elsewhere `others` stays NaN). Single-thread latency measurements are only
    trustworthy when `others` is well below the number of idle cores; lessons check it
    before judging a latency predictor::

        with CPUContention() as c:
            measured = table.measure(archs)
        c.others   # e.g. 0.03 on an idle machine, 2.1 when two other jobs ran
        c.idle     # others < 0.5: judge a timing claim only then
        if c.judge("the predictor"):   # False, with the reason printed, on a busy CPU
            assert ...
    """

    others: float = float("nan")
    #: other programs' load (cores) below which a timing counts as made on an idle machine
    IDLE_BELOW = 0.5

    @staticmethod
    def _busy_seconds() -> float | None:
        import os

        try:
            with open("/proc/stat") as fh:
                fields = [float(v) for v in fh.readline().split()[1:]]
        except OSError:
            return None
        user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0.0] * 8)[:8]
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> CPUContention:
        import time

        self._busy, self._own, self._wall = (self._busy_seconds(), time.process_time(),
                                             time.perf_counter())
        return self

    def __exit__(self, *exc) -> None:
        import time

        busy = self._busy_seconds()
        wall = time.perf_counter() - self._wall
        if busy is not None and self._busy is not None and wall > 0:
            own = time.process_time() - self._own
            self.others = max(0.0, (busy - self._busy) - own) / wall

    @property
    def idle(self) -> bool:
        """Whether other programs left the CPU alone (`others` below `IDLE_BELOW`); False
        where the load cannot be read, so a timing claim is then reported, not judged."""
        return self.others < self.IDLE_BELOW

    @property
    def busy(self) -> str:
        """Why a timing made in this block should not be judged ("" when `idle`)."""
        if self.idle:
            return ""
        if self.others != self.others:   # NaN: never measured, or no /proc/stat
            return "the load of other programs could not be read"
        return (f"other programs used {self.others:.2f} cores meanwhile (rerun on an idle "
                "machine)")

    def judge(self, what: str) -> bool:
        """True when a timing claim about `what` can be judged (`idle`); otherwise prints
        why `what` is not judged and returns False, so a lesson asserts only on an idle CPU."""
        if not self.idle:
            print(f"Not judging {what}: {self.busy}.")
        return self.idle


def prediction_report(predicted, measured) -> dict:
    """Share of predictions within ±10% of the measurement, mean absolute percentage error,
    and Kendall's tau between predicted and measured rankings."""
    from scipy.stats import kendalltau

    p, m = np.asarray(predicted, dtype=float), np.asarray(measured, dtype=float)
    rel = np.abs(p - m) / m
    return {"within_10pct": float(np.mean(rel <= 0.10)), "mape": float(rel.mean()),
            "kendall_tau": float(kendalltau(p, m)[0])}
