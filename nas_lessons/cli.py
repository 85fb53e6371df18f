"""The `nas-lessons` command line.

    nas-lessons course run [--lesson N]        run lesson notebooks headless, print seconds
    nas-lessons exercises build [--check]      write exercises/ from solutions/
    nas-lessons bench build|latency|pack|verify|info   the mnist1d-201 tabular benchmark
    nas-lessons search --strategy re ...       an architecture search, alone or as a worker
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _course_run(args) -> int:
    import shutil
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    root = Path(args.notebooks)
    paths = sorted(root.glob("[0-9][0-9]_*.ipynb"))
    if args.lesson is not None:
        paths = [p for p in paths if int(p.name[:2]) == args.lesson]
        if not paths:
            known = sorted({int(p.name[:2]) for p in root.glob("[0-9][0-9]_*.ipynb")})
            print(f"error: no lesson {args.lesson} in {root}; lessons: {known}", file=sys.stderr)
            return 2
    if not paths:
        print(f"error: no lesson notebooks in {root}", file=sys.stderr)
        return 2
    scratch = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="nas_lessons_"))
    scratch.mkdir(parents=True, exist_ok=True)
    failures = 0
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        work = scratch / p.stem
        if work.exists():
            shutil.rmtree(work)
        work.mkdir()
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}})
        t0 = time.perf_counter()
        try:
            client.execute()
            status = "pass"
        except Exception as e:  # CellExecutionError, timeouts, dead kernels
            status = f"FAIL ({type(e).__name__}: {str(e).strip().splitlines()[-1][:120]})"
            failures += 1
        dt = time.perf_counter() - t0
        nbformat.write(nb, scratch / p.name)
        print(f"{p.name:40s} {dt:7.1f} s  {status}", flush=True)
    print(f"executed copies in {scratch}")
    return 1 if failures else 0


def _exercises_build(args) -> int:
    from .exercises import MarkerError, build_all

    try:
        changed = build_all(args.src, args.dst, check=args.check)
    except MarkerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.check:
        for p in changed:
            print(f"out of date: {p}")
        if changed:
            print("run `nas-lessons exercises build` to regenerate them", file=sys.stderr)
        return 1 if changed else 0
    print(f"wrote {len(changed)} exercise notebook(s)" if changed else "exercises up to date")
    return 0


def _bench(args) -> int:
    from . import benchmark as B

    if args.bench_cmd == "build":
        n = B.build(args.out, workers=args.workers, limit=args.limit)
        print(f"{n} new record(s); {len(B.read_results(args.out))} in {args.out}")
        return 0
    if args.bench_cmd == "pack":
        import json

        pilot = json.loads(Path(args.pilot).read_text()) if args.pilot else None
        dest = B.pack(args.out, args.dest or B.BUNDLED, allow_partial=args.partial,
                      pilot_summary=pilot)
        print(f"wrote {dest} ({dest.stat().st_size / 1e6:.2f} MB)")
        return 0
    if args.bench_cmd == "latency":
        path = B.remeasure_latency(args.out, passes=args.passes)
        print(f"wrote {path}; run `nas-lessons bench pack` to use it")
        return 0
    if args.bench_cmd == "verify":
        rows = B.verify(args.sample, seed=args.seed)
        worst = max(abs(r["diff_val_acc"]) for r in rows)
        for r in rows:
            print(f"{r['arch']}  stored {r['stored_val_acc']:.2f}  retrained "
                  f"{r['val_acc']:.2f}  diff {r['diff_val_acc']:+.2f} pp")
        print(f"max |diff| = {worst:.2f} pp over {len(rows)} cell(s)")
        return 0
    if args.bench_cmd == "info":
        bench = B.Benchmark.load()
        print(bench)
        print("settings:", bench.meta["settings"])
        print("machine:", bench.meta["machine"])
        print("latency:", bench.meta["latency_source"])
        best = bench.optimum("val_acc")
        print(f"best trained cell: {best['arch']}  val {best['val_acc']:.2f}%  "
              f"test {best['test_acc']:.2f}%")
        if len(bench.seeds) > 1:
            n = B.seed_noise(bench)
            print(f"seed noise over {n['n_cells']} cells x {n['n_seeds']} seeds: sd "
                  f"{n['within_sd']:.2f} pp within a cell, {n['between_sd']:.2f} pp between "
                  f"cells (ratio {n['ratio']:.1f})")
        return 0
    return 2


def _search(args) -> int:
    from . import strategies as S

    if args.objective == "bench":
        from .benchmark import Benchmark

        objective = S.BenchmarkObjective(Benchmark.load(), epoch=args.epoch)
    else:
        objective = S.TrainingObjective(seed=args.seed)
    if args.storage:
        n = S.search_worker(args.strategy, objective, args.budget, args.seed, args.storage,
                            args.study)
        print(f"worker evaluated {n} trial(s) of study {args.study!r} in {args.storage}")
        return 0
    traj = S.run_search(S.make_strategy(args.strategy, args.seed), objective, args.budget)
    for i, (a, s) in enumerate(zip(traj.archs, traj.scores), start=1):
        print(f"{i:4d}  val {s:6.2f}%  best {traj.best_score[i - 1]:6.2f}%  "
              f"{S.NB201Space().format(a)}")
    print(f"best val {traj.best_score[-1]:.2f}%, its test {traj.best_test[-1]:.2f}%, "
          f"regret {traj.regret[-1]:.2f}, simulated train time {traj.seconds[-1]:.0f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nas-lessons", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    course = sub.add_parser("course", help="run the lesson notebooks")
    csub = course.add_subparsers(dest="course_cmd", required=True)
    run = csub.add_parser("run", help="execute lessons headless and time them")
    run.add_argument("--lesson", type=int, help="only lesson N (default: all)")
    run.add_argument("--notebooks", default="notebooks", help="folder of lesson notebooks")
    run.add_argument("--out", help="scratch folder for executed copies (default: temp)")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    run.set_defaults(func=_course_run)

    ex = sub.add_parser("exercises", help="student notebooks")
    esub = ex.add_subparsers(dest="ex_cmd", required=True)
    eb = esub.add_parser("build", help="write exercises/ from solutions/")
    eb.add_argument("--src", default="solutions")
    eb.add_argument("--dst", default="exercises")
    eb.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if exercises/ is out of date")
    eb.set_defaults(func=_exercises_build)

    bench = sub.add_parser("bench", help="the mnist1d-201 tabular benchmark")
    bsub = bench.add_subparsers(dest="bench_cmd", required=True)
    bb = bsub.add_parser("build", help="train all cells (resumable)")
    bb.add_argument("--out", default="bench_build", help="results folder")
    bb.add_argument("--workers", type=int, default=2)
    bb.add_argument("--limit", type=int, help="stop after N new cells")
    bp = bsub.add_parser("pack", help="write the compressed benchmark file")
    bp.add_argument("--out", default="bench_build", help="results folder to read")
    bp.add_argument("--dest", help="file to write (default: inside the package)")
    bp.add_argument("--partial", action="store_true", help="allow an unfinished build")
    bp.add_argument("--pilot", help="JSON file with the pilot summary to embed")
    bl = bsub.add_parser("latency", help="re-measure every cell's latency, alone")
    bl.add_argument("--out", default="bench_build", help="results folder")
    bl.add_argument("--passes", type=int, default=3)
    bv = bsub.add_parser("verify", help="retrain K random cells and compare")
    bv.add_argument("--sample", type=int, default=2)
    bv.add_argument("--seed", type=int, default=0, help="which cells to sample")
    bsub.add_parser("info", help="describe the bundled benchmark")
    bench.set_defaults(func=_bench)

    se = sub.add_parser("search", help="run (or join) an architecture search")
    se.add_argument("--strategy", choices=["rs", "re", "ls", "reinforce", "tpe"], default="re")
    se.add_argument("--objective", choices=["bench", "train"], default="bench",
                    help="look up the mnist1d-201 benchmark, or really train each cell")
    se.add_argument("--budget", type=int, default=100, help="trials (for a shared study: "
                    "in total, over all workers)")
    se.add_argument("--seed", type=int, default=0)
    se.add_argument("--epoch", type=int, help="benchmark epoch to score at (default: last)")
    se.add_argument("--storage", help="Optuna storage URL, e.g. sqlite:///search.db; "
                    "workers started with the same storage and study cooperate")
    se.add_argument("--study", default="nas", help="study name inside the storage")
    se.set_defaults(func=_search)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as e:  # mistakes a user can make: one line
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
