"""Checks of exercise 06 (`solutions/06_hardware_aware_nas.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import run_cases


def check_pareto_2d(fn: Callable) -> None:
    """Exercise 6.1: `fn(points)` = indices of the non-dominated (accuracy up, latency down)
    points, sorted."""
    import numpy as np

    from ..multiobjective import pareto_front

    rng = np.random.default_rng(0)
    cases = []
    for desc, pts in [("random cloud of 30", rng.integers(0, 10, (30, 2)).astype(float)),
                      ("duplicates are both kept", np.array([[1, 1], [1, 1], [0, 2.0]])),
                      ("same accuracy, faster wins", np.array([[5, 2], [5, 1.0]]))]:
        want = pareto_front(pts, ["max", "min"]).tolist()
        cases.append((desc, lambda p=pts: sorted(int(i) for i in fn(p)),
                      lambda got, w=want: got == w,
                      f"expected {want}: keep a point unless another is at least as good in "
                      "both objectives and strictly better in one"))
    run_cases("Exercise 6.1", cases)


def check_hypervolume(fn: Callable) -> None:
    """Exercise 6.2: `fn(points, ref)` = 2-D hypervolume (maximise x, minimise y)."""
    from ..multiobjective import hypervolume_2d

    cases = []
    for pts, ref in [([(1.0, 1.0)], (0.0, 2.0)), ([(3, 4), (5, 8)], (0, 10)),
                     ([(3, 4), (5, 8), (2, 9), (-1, 1)], (0, 10))]:
        want = hypervolume_2d(pts, ref)
        cases.append((f"{pts} vs ref {ref}", lambda p=pts, r=ref: fn(p, r),
                      lambda got, w=want: got is not None and abs(got - w) < 1e-9,
                      f"expected {want}: sort by accuracy, add the rectangles each point "
                      "adds below the previous latency; ignore points not beating ref"))
    run_cases("Exercise 6.2", cases)


def check_lut_predict(fn: Callable) -> None:
    """Exercise 6.3: `fn(table, arch, N, overhead, scale)` = the lookup-table latency."""
    from ..hardware import LatencyTable
    from ..ops import NB201_OPS
    from ..spaces import NB201Space

    t = LatencyTable(N=2)
    for s in range(3):
        for k, op in enumerate(NB201_OPS):
            t.table[(op, s)] = 0.0 if op == "none" else 0.01 * (k + 1) * (s + 1)
    t.overhead, t.scale = 0.3, 1.2
    cases = []
    for seed in (0, 1, 2):
        a = NB201Space().sample(seed)
        want = t.predict(a)
        cases.append((f"cell {NB201Space().format(a)}",
                      lambda a=a: fn(dict(t.table), a, 2, 0.3, 1.2),
                      lambda got, w=want: abs(got - w) < 1e-9,
                      f"expected {want:.4f}: overhead + scale * N * sum over the 3 stages and "
                      "the 6 edges of table[(op, stage)]"))
    run_cases("Exercise 6.3", cases)
