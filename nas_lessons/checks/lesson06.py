"""Checks of exercise 06 (`solutions/06_hardware_aware_nas.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, run_cases


def check_pareto_2d(fn: Callable) -> None:
    """Exercise 6.1: `fn(points)` = indices of the non-dominated (accuracy up, latency down)
    points, sorted."""
    import numpy as np

    from ..multiobjective import pareto_front

    rng = np.random.default_rng(0)
    cases = []
    for desc, pts in [("random cloud of 30", rng.integers(0, 10, (30, 2)).astype(float)),
                      ("random cloud of 200, real values", rng.normal(size=(200, 2))),
                      ("duplicates are both kept", np.array([[1, 1], [1, 1], [0, 2.0]])),
                      ("same accuracy, faster wins", np.array([[5, 2], [5, 1.0]])),
                      ("same latency, more accurate wins", np.array([[4, 1], [5, 1.0]])),
                      ("one point", np.array([[3.0, 3.0]])),
                      ("a perfect trade-off: all kept", np.array([[1, 1], [2, 2], [3, 3.0]]))]:
        want = pareto_front(pts, ["max", "min"]).tolist()
        cases.append((desc, lambda p=pts: sorted(int(i) for i in fn(p.copy())),
                      lambda got, w=want: got == w,
                      f"expected {want if len(want) < 12 else str(len(want)) + ' points'}: "
                      "keep a point unless another is at least as good in both objectives and "
                      "strictly better in one"))
    run_cases("Exercise 6.1", cases)


def constrained_dominates(a, ca, b, cb, senses) -> bool:
    """Deb et al. (IEEE TEC 2002, Sec. VI) constrained domination, Optuna's convention: a
    constraint value <= 0 is met; a solution's violation is the sum of its positive values."""
    import numpy as np

    va, vb = (float(np.sum(np.maximum(np.asarray(c, dtype=float), 0))) for c in (ca, cb))
    if va == 0 and vb > 0:
        return True
    if va > 0 or vb > 0:
        return va < vb
    s = np.array([1.0 if x == "max" else -1.0 for x in senses])
    fa, fb = np.asarray(a, dtype=float) * s, np.asarray(b, dtype=float) * s
    return bool(np.all(fa >= fb) and np.any(fa > fb))


def check_constrained_dominates(fn: Callable) -> None:
    """Exercise 6.2: `fn(a, ca, b, cb, senses)` = whether solution a (objective values `a`,
    constraint values `ca`) constrained-dominates b (Deb et al. 2002): a feasible solution
    beats an infeasible one; of two infeasible ones the smaller total violation wins; two
    feasible ones compare by Pareto dominance over `senses`."""
    import itertools

    import numpy as np

    mm = ("max", "min")
    fixed = [
        ("feasible beats infeasible, even when worse", (80, 2.0), (-1,), (95, 1.0), (0.5,)),
        ("infeasible never beats feasible", (95, 1.0), (0.5,), (80, 2.0), (-1,)),
        ("less violation wins among infeasible", (70, 3.0), (0.2,), (95, 1.0), (0.9,)),
        ("violation is the sum of the positive parts", (70, 3.0), (0.3, -5.0), (95, 1.0),
         (0.2, 0.2)),
        ("equal violation: neither wins", (95, 1.0), (0.5,), (80, 2.0), (0.5,)),
        ("a constraint exactly met (0) is feasible", (90, 1.0), (0.0,), (95, 0.5), (0.1,)),
        ("both feasible: Pareto dominance", (95, 1.0), (-1,), (90, 1.5), (-2,)),
        ("both feasible, equal: neither", (95, 1.0), (-1,), (95, 1.0), (-3,)),
        ("both feasible, a trade-off: neither", (95, 2.0), (-1,), (90, 1.0), (-1,)),
        ("both feasible, better in one, equal in the other", (95, 1.0), (-1,), (95, 1.5), (-1,)),
    ]
    cases = []
    for desc, a, ca, b, cb in fixed:
        want = constrained_dominates(a, ca, b, cb, mm)
        cases.append((desc, lambda a=a, ca=ca, b=b, cb=cb: bool(fn(a, ca, b, cb, mm)),
                      lambda got, w=want: got == w, f"expected {want}"))
    rng = np.random.default_rng(6)
    pts = [(tuple(rng.integers(0, 3, 3).astype(float)), tuple(rng.choice([-1.0, 0.0, 0.5, 1.0],
                                                                          2)))
           for _ in range(12)]
    senses = ("max", "min", "max")
    want = [constrained_dominates(a, ca, b, cb, senses)
            for (a, ca), (b, cb) in itertools.product(pts, pts)]
    cases.append(("all pairs of 12 random solutions, 3 objectives, 2 constraints",
                  lambda: [bool(fn(a, ca, b, cb, senses))
                           for (a, ca), (b, cb) in itertools.product(pts, pts)],
                  lambda got: got == want,
                  f"expected {sum(want)} dominating pairs of {len(want)}; no solution may "
                  "dominate itself"))
    run_cases("Exercise 6.2", cases)


def check_hypervolume(fn: Callable) -> None:
    """Exercise 6.3: `fn(points, ref)` = 2-D hypervolume (maximise x, minimise y)."""
    import numpy as np

    from ..multiobjective import hypervolume_2d

    rng = np.random.default_rng(3)
    cases = []
    sets = [("one point", [(1.0, 1.0)], (0.0, 2.0)),
            ("two points, overlapping rectangles", [(3, 4), (5, 8)], (0, 10)),
            ("a point beyond the reference adds nothing", [(3, 4), (5, 8), (2, 9), (-1, 1)],
             (0, 10)),
            ("a dominated point adds nothing", [(5, 2), (4, 3)], (0, 10)),
            ("duplicates count once", [(5, 2), (5, 2)], (0, 10)),
            ("no point beats the reference", [(-1, 1), (1, 11)], (0, 10))]
    for k in range(4):
        pts = [tuple(p) for p in rng.uniform(0, 10, (25 + 10 * k, 2))]
        sets.append((f"random front of {len(pts)} points, unsorted", pts, (1.0, 9.0)))
    for desc, pts, ref in sets:
        want = hypervolume_2d(pts, ref)
        cases.append((desc, lambda p=pts, r=ref: fn(list(p), r),
                      lambda got, w=want: got is not None and abs(got - w) < 1e-9,
                      f"expected {want:.6g}: the area of the union of the rectangles between "
                      "each point and ref — overlaps counted once, points not beating ref "
                      "in both objectives ignored"))
    run_cases("Exercise 6.3", cases)


def check_skip_infeasible(fn: Callable) -> None:
    """Exercise 6.4: `fn(trial, *, train, params_of, max_params)` suggests `width` =
    trial.suggest_int("width", 4, 64) and `depth` = trial.suggest_int("depth", 1, 4), records
    `params_of(width, depth) - max_params` as the trial's "params" constraint, and returns
    (accuracy, params): accuracy = `train(width, depth)` for a feasible configuration, 0.0
    without training for an infeasible one."""
    import optuna

    def params_of(width: int, depth: int) -> int:
        return width * width * depth + 10 * width

    def make(max_params: int, seed: int):
        calls = []

        def train(width, depth):
            calls.append((width, depth))
            return 50.0 + width / 2 + depth

        def run():
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.create_study(directions=["maximize", "minimize"],
                                        sampler=optuna.samplers.RandomSampler(seed=seed))
            study.optimize(lambda t: fn(t, train=train, params_of=params_of,
                                        max_params=max_params), n_trials=30)
            return study, calls

        return run

    def accept(max_params):
        def ok(got) -> bool:
            study, calls = got
            trained = []
            for t in study.trials:
                w, d = t.params["width"], t.params["depth"]
                n = params_of(w, d)
                if t.state != optuna.trial.TrialState.COMPLETE or t.values[1] != n:
                    return False
                if t.constraints.get("params") != n - max_params:
                    return False
                if n <= max_params:
                    trained.append((w, d))
                    if t.values[0] != 50.0 + w / 2 + d:
                        return False
                elif t.values[0] != 0.0:
                    return False
            return calls == trained

        return ok

    cases = [(f"30 random trials, max_params {m:,}", make(m, s), accept(m),
              "every trial complete with values (accuracy, params); the 'params' constraint = "
              "params - max_params; train called for exactly the feasible configurations, in "
              "order; infeasible ones return accuracy 0.0 untrained")
             for m, s in [(5_000, 0), (800, 1), (20_000, 2)]]
    run_cases("Exercise 6.4", cases)


def check_lut_predict(fn: Callable) -> None:
    """Exercise 6.5: `fn(table, arch, N, overhead, scale)` = the lookup-table latency."""
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
    run_cases("Exercise 6.5", cases)


def reference_point_lab_measurement(*, seeds: int = 5, budget: int = 100) -> dict:
    """Lab 6.6's numbers: on the bundled benchmark, NSGA-II and random sampling
    (`nsga2_search`, seeds 0..`seeds`-1, `budget` completed trials), the mean over seeds of
    (hypervolume of NSGA-II's evaluated points − random's) divided by the true front's
    hypervolume, for the whole-range reference (min accuracy, max latency of the benchmark)
    and the region of interest (90%, median latency)."""
    import numpy as np

    from ..benchmark import Benchmark
    from ..multiobjective import hypervolume, nsga2_search, pareto_front
    from ..spaces import NB201Space

    bench = Benchmark.load()
    space = NB201Space()
    cells = [space.index(a) for a in space.unique_archs()]
    acc, lat = bench.array("val_acc")[cells], bench.array("latency_ms")[cells]
    keep = np.isfinite(acc) & np.isfinite(lat)
    pts = np.stack([acc[keep], lat[keep]], 1)
    front = pts[pareto_front(pts, ["max", "min"])]
    refs = {"whole range": (float(pts[:, 0].min()), float(pts[:, 1].max())),
            "region of interest": (90.0, float(np.median(pts[:, 1])))}

    def evaluate(arch):
        r = bench.query(arch)
        return r["val_acc"], r["latency_ms"]

    out = {}
    for name, ref in refs.items():
        true = hypervolume(front, ref, ("max", "min"))
        diffs = []
        for seed in range(seeds):
            hv = [hypervolume(np.array([t.values for t in nsga2_search(
                evaluate, budget, seed=seed, sampler=s).trials if t.values]), ref,
                ("max", "min")) for s in ("nsga2", "random")]
            diffs.append((hv[0] - hv[1]) / true)
        out[name] = float(np.mean(diffs))
    return out


def check_reference_point_lab(prediction, answer) -> None:
    """Exercise 6.6 (lab): NSGA-II's lead over random sampling in hypervolume (share of the
    true front's), with the region-of-interest reference point."""
    check_lab("6.6", prediction=prediction, answer=answer,
              measured=reference_point_lab_measurement()["region of interest"],
              tolerance=1e-6, what="NSGA-II's mean lead with the region-of-interest reference")
