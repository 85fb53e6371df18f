"""The `nas-lessons` command line.

    nas-lessons course run [--lesson N] [--threads N]  run lessons headless, print seconds
    nas-lessons exercises build [--check]      write exercises/ from solutions/
    nas-lessons bench pilot|build|latency|traintime|pack|verify|info   the benchmark
    nas-lessons proxies [--pack]               zero-cost proxies of every benchmark network
    nas-lessons search --strategy re ...       an architecture search, alone or as a worker
    nas-lessons experiment compare|challenge   many seeds, tables, figures, a report
    nas-lessons starter list|run KEY           lesson 09's thesis starters
    nas-lessons site build [--out _site]       the course website, every edition (Sphinx, offline)
    nas-lessons lab [FOLDER]                   JupyterLab on the lessons, with the course's settings
    nas-lessons i18n update|build|status       translated editions (gettext catalogues in i18n/)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def inject_parameters(nb, values: dict) -> None:
    """Set parameters of a lesson as papermill does: a cell tagged `injected-parameters`
    right after the cell tagged `parameters`, assigning `values`. Each name must already be
    a parameter of the lesson."""
    import nbformat

    idx = [i for i, c in enumerate(nb.cells)
           if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not idx:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    src = nb.cells[idx[0]].source
    unknown = [k for k in values if not any(line.split("=")[0].strip() == k
                                            for line in src.splitlines())]
    if unknown:
        raise ValueError(f"not a parameter of this lesson: {', '.join(unknown)}")
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in values.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(idx[0] + 1, cell)


def _course_run(args) -> int:
    import shutil
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    root = Path(args.notebooks) if not args.lang else Path(args.lang) / "notebooks"
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
    if args.threads is not None and args.threads < 1:
        print(f"error: --threads must be a positive int, got {args.threads}", file=sys.stderr)
        return 2
    if args.inplace and args.threads is not None:
        print("error: --inplace commits the lessons' default run; drop --threads",
              file=sys.stderr)
        return 2
    scratch = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="nas_lessons_"))
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ["NAS_LESSONS_QUIET"] = "1"   # the kernels inherit it: no progress bars in outputs
    failures = 0
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        if args.threads is not None:
            inject_parameters(nb, {"THREADS": args.threads})
        work = scratch / p.stem
        if work.exists():
            shutil.rmtree(work)
        work.mkdir()
        # the kernel's own log (e.g. its warning about TCP transport) is not the lesson's
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                record_timing=not args.inplace,
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
        if args.inplace and status == "pass":
            nbformat.write(nb, p)
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

    if args.bench_cmd == "pilot":
        return _bench_pilot(args)
    if args.bench_cmd == "snapshot":
        for stem in ("results", "pilot", "train_time"):
            if (Path(args.out) / f"{stem}.jsonl").exists():
                path = B.snapshot(args.out, stem)
                print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
        return 0
    settings = B.PILOT_RECIPES[args.recipe] if getattr(args, "recipe", None) else B.SETTINGS
    if args.bench_cmd == "build":
        n = B.build(args.out, workers=args.workers, limit=args.limit, settings=settings)
        print(f"{n} new record(s); {len(B.read_results(args.out))} in {args.out}")
        return 0
    if args.bench_cmd == "pack":
        import json

        pilot = json.loads(Path(args.pilot).read_text()) if args.pilot else None
        dest = B.pack(args.out, args.dest or B.BUNDLED, allow_partial=args.partial,
                      settings=settings, pilot_summary=pilot)
        print(f"wrote {dest} ({dest.stat().st_size / 1e6:.2f} MB)")
        return 0
    if args.bench_cmd == "latency":
        path = B.remeasure_latency(args.out, passes=args.passes, settings=settings)
        print(f"wrote {path}; run `nas-lessons bench pack` to use it")
        return 0
    if args.bench_cmd == "traintime":
        n = B.remeasure_train_seconds(args.out, settings=settings, workers=args.workers,
                                      epochs=args.epochs)
        print(f"{n} cell(s) timed; {len(B.read_train_time(args.out))} in {args.out}; run "
              "`nas-lessons bench pack` to use them")
        return 0
    if args.bench_cmd == "verify":
        rep = B.verify(args.sample, seed=args.seed, threads=args.threads,
                       tolerance=args.tolerance)
        for r in rep["cells"]:
            print(f"{r['arch']}  stored {r['stored_val_acc']:.2f}  retrained "
                  f"{r['val_acc']:.2f}  diff {r['diff_val_acc']:+.2f} pp")
        print(f"{rep['threads']} thread(s): {rep['within']} of {len(rep['cells'])} cells within "
              f"{rep['tolerance']} pp of the table (max |diff| {rep['max_abs_diff']:.2f} pp)")
        if rep["resolvable"] is not None:
            print(f"{rep['within_noise']} of {len(rep['cells'])} within the benchmark's "
                  f"resolvable difference of two runs ({rep['resolvable']:.2f} pp)")
        return 0
    if args.bench_cmd == "info":
        for label, text in B.describe(B.Benchmark.load()).items():
            print(f"{label}: {text}")
        return 0
    return 2


#: lesson 05's derived cell, which a student retrained 11 pp below the v2 table
LESSON05_CELL = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+"
                 "|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_3x3~2|")


def _bench_pilot(args) -> int:
    import json

    from . import benchmark as B

    out = Path(args.out)
    cells = None
    if not (out / "cells.json").exists():
        cells = B.pilot_cells(B.Benchmark.load(), n_cells=args.cells, include=(LESSON05_CELL,))
    if not args.report_only:
        names = args.recipes.split(",") if args.recipes else list(B.PILOT_RECIPES)
        unknown = [r for r in names if r not in B.PILOT_RECIPES]
        if unknown:
            raise ValueError(f"unknown recipe(s) {unknown}; allowed: "
                             f"{', '.join(B.PILOT_RECIPES)}")
        n = B.run_pilot(out, cells, workers=args.workers,
                        recipes={r: B.PILOT_RECIPES[r] for r in names})
        print(f"{n} new pilot record(s) in {out}")
    rep = B.pilot_report(B.read_pilot(out))
    cols = ("seconds", "cost_ratio", "between_sd", "within_sd", "within_sd_top", "ratio",
            "spearman", "spearman_top", "thread_agreement", "last_gain")
    print(f"{'recipe':20s} {'cells':>5s} " + " ".join(f"{c[:12]:>12s}" for c in cols))
    for name, row in rep["recipes"].items():
        vals = " ".join(f"{row.get(c):12.3f}" if row.get(c) is not None else f"{'-':>12s}"
                        for c in cols)
        print(f"{name:20s} {row['n_cells']:5d} {vals}")
    print(f"chosen: {rep['chosen']} ({rep['reason']})")
    if args.summary:
        Path(args.summary).write_text(json.dumps(rep, indent=1) + "\n")
        print(f"wrote {args.summary}")
    return 0


def _proxies(args) -> int:
    from .estimation import compute_proxies, pack_proxies

    if not args.pack:
        n = compute_proxies(args.out, limit=args.limit)
        print(f"scored {n} network(s); records in {Path(args.out) / 'proxies.jsonl'}")
        return 0
    dest = pack_proxies(args.out, args.dest) if args.dest else pack_proxies(args.out)
    print(f"wrote {dest} ({dest.stat().st_size / 1e6:.2f} MB)")
    return 0


def _search(args) -> int:
    from .optuna_bridge import search_worker
    from .search import BenchmarkObjective, TrainingObjective, run_search
    from .spaces import NB201Space
    from .strategies import make_strategy

    if args.objective == "bench":
        from .benchmark import Benchmark

        objective = BenchmarkObjective(Benchmark.load(), epoch=args.epoch)
    else:
        objective = TrainingObjective(seed=args.seed)
    if args.storage:
        n = search_worker(args.strategy, objective, args.budget, seed=args.seed,
                          storage=args.storage, study_name=args.study,
                          heartbeat=args.heartbeat)
        print(f"worker evaluated {n} trial(s) of study {args.study!r} in {args.storage}")
        if n == 0:
            print(f"the study already holds its budget of {args.budget} trials: nothing left "
                  "to do")
        return 0
    traj = run_search(make_strategy(args.strategy, seed=args.seed), objective, args.budget)
    for i, (a, s) in enumerate(zip(traj.archs, traj.scores), start=1):
        print(f"{i:4d}  val {s:6.2f}%  best {traj.best_score[i - 1]:6.2f}%  "
              f"{NB201Space().format(a)}")
    print(f"best val {traj.best_score[-1]:.2f}%, its test {traj.best_test[-1]:.2f}%, "
          f"regret {traj.regret[-1]:.2f}, simulated train time {traj.seconds[-1]:.0f} s")
    return 0


def _experiment(args) -> int:
    from .experiment import CHALLENGE_SEEDS, ExperimentConfig, run_challenge, run_experiment
    from .strategies import make_strategy

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    for name in strategies if getattr(args, "space", "nb201") == "nb201" else ():
        try:  # a student's class that breaks the interface: one line
            make_strategy(name, seed=0)
        except TypeError as e:
            raise ValueError(str(e)) from None
    if args.seeds < 2:
        raise ValueError(f"--seeds must be at least 2 (intervals need several runs), "
                         f"got {args.seeds}")
    if args.experiment_cmd == "challenge":
        start = CHALLENGE_SEEDS[0] if args.seed_start is None else args.seed_start
        run_challenge(strategies, args.out, budget=args.budget,
                      seeds=tuple(range(start, start + args.seeds)), storage=args.storage,
                      progress=True)
    else:
        start = 0 if args.seed_start is None else args.seed_start
        config = ExperimentConfig(strategies=tuple(strategies),
                                  seeds=tuple(range(start, start + args.seeds)),
                                  budget=args.budget, time_budget=args.time_budget,
                                  objective=args.objective,
                                  max_latency_ms=args.max_latency_ms, space=args.space)
        run_experiment(config, args.out, storage=args.storage, progress=True)
        print((Path(args.out) / "table.md").read_text())
    print(f"wrote {args.out}/: results.csv, table.md, table.tex, report.md, figures")
    return 0


def _starter(args) -> int:
    from .starters import STARTERS, run

    if args.starter_cmd == "list":
        for s in STARTERS.values():
            print(f"{s.key:18s} [{s.level}] {s.question}")
        return 0
    run(args.key, scale=args.scale, seed=args.seed)
    return 0


def _site(args) -> int:
    from .site import EDITIONS, build

    try:
        html = build(root=Path(args.root), out=Path(args.out), strict=not args.keep_warnings,
                     editions=tuple(args.editions or EDITIONS))
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"error: the site needs Sphinx, MyST-NB and sphinx-book-theme ({e.name} is "
              "missing): pip install -e \".[site]\"", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"site built: open {html / 'index.html'}")
    return 0


def lab_environment(env: dict | None = None) -> dict:
    """The environment JupyterLab runs in for this course: `env` (default: this process's)
    with the package's Jupyter configuration folder first on `JUPYTER_CONFIG_PATH`. Its
    `labconfig/default_setting_overrides.json` answers JupyterLab's first-launch question
    about fetching Jupyter news (no) so that no pop-up covers a lesson; the reader's own
    settings still win over it."""
    from importlib.resources import files

    env = dict(os.environ if env is None else env)
    ours = str(files("nas_lessons") / "jupyter_config")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (ours, env.get("JUPYTER_CONFIG_PATH")) if p)
    return env


def _lab(args) -> int:
    import subprocess

    folder = Path(args.folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder} (run from the repository's root, or "
                                "name the folder of notebooks)")
    cmd = [sys.executable, "-m", "jupyterlab", str(folder), *args.lab_args]
    return subprocess.call(cmd, env=lab_environment())


def _i18n(args) -> int:
    from . import i18n

    if args.i18n_cmd == "update":
        for path in i18n.update(".", args.lang):
            print(f"updated {path}")
        return 0
    if args.i18n_cmd == "status":
        rows = i18n.status(".", args.lang)
        for r in rows:
            print(f"{r['file']:40s} {r['translated']:4d}/{r['blocks']:<4d} translated  "
                  f"{r['fuzzy']:3d} fuzzy  {r['missing']:3d} missing")
        done = sum(r["translated"] for r in rows)
        print(f"{done} of {sum(r['blocks'] for r in rows)} blocks translated")
        return 0
    written = i18n.build(".", args.lang, check=args.check, only_complete=args.partial)
    for path in written:
        print(f"{'differs' if args.check else 'wrote'} {path}")
    return 1 if args.check and written else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nas-lessons", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    course = sub.add_parser("course", help="run the lesson notebooks")
    csub = course.add_subparsers(dest="course_cmd", required=True)
    run = csub.add_parser("run", help="execute lessons headless and time them")
    run.add_argument("--lesson", type=int, help="only lesson N (default: all)")
    run.add_argument("--notebooks", default="notebooks", help="folder of lesson notebooks")
    run.add_argument("--lang", help="run a translated edition's lessons (<lang>/notebooks)")
    run.add_argument("--out", help="scratch folder for executed copies (default: temp)")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    run.add_argument("--threads", type=int, help="run each lesson with THREADS=N (another "
                     "floating-point path: the closest stand-in for another machine)")
    run.add_argument("--inplace", action="store_true", help="write each lesson that passes "
                     "back with its outputs (how the committed notebooks are made)")
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
    bt = bsub.add_parser("traintime", help="re-measure every cell's training time, alone "
                         "(resumable)")
    bt.add_argument("--out", default="bench_build", help="results folder")
    bt.add_argument("--workers", type=int, default=2, help="as many as the build used")
    bt.add_argument("--epochs", type=int, default=2, help="epochs timed per cell (the "
                    "fastest counts)")
    from .benchmark.recipe import PILOT_RECIPES

    for sp in (bb, bp, bl, bt):
        sp.add_argument("--recipe", choices=sorted(PILOT_RECIPES),
                        help="a pilot recipe instead of the bundled benchmark's")
    bv = bsub.add_parser("verify", help="retrain K random cells and compare")
    bv.add_argument("--sample", type=int, default=2)
    bv.add_argument("--seed", type=int, default=0, help="which cells to sample")
    bv.add_argument("--threads", type=int, help="retrain on this many threads (default: the "
                    "recorded count); another count is another floating-point path")
    bv.add_argument("--tolerance", type=float, default=1.5, help="pp counted as agreement")
    bpi = bsub.add_parser("pilot", help="compare candidate recipes (resumable)")
    bpi.add_argument("--out", default="bench_build/pilot_v3", help="pilot folder")
    bpi.add_argument("--workers", type=int, default=2)
    bpi.add_argument("--cells", type=int, default=60, help="cells (first run only)")
    bpi.add_argument("--recipes", help="comma-separated subset of the candidate recipes")
    bpi.add_argument("--report-only", action="store_true", help="only print the table")
    bpi.add_argument("--summary", help="write the report as JSON to this file")
    bsn = bsub.add_parser("snapshot", help="compress finished records into the file to commit")
    bsn.add_argument("--out", default="bench_build", help="results or pilot folder")
    bsub.add_parser("info", help="describe the bundled benchmark")
    bench.set_defaults(func=_bench)

    px = sub.add_parser("proxies", help="zero-cost proxies of every benchmark network")
    px.add_argument("--out", default="bench_build/proxies", help="records folder")
    px.add_argument("--limit", type=int, help="stop after N more networks")
    px.add_argument("--pack", action="store_true", help="write the shipped table instead")
    px.add_argument("--dest", help="file to write with --pack (default: inside the package)")
    px.set_defaults(func=_proxies)

    se = sub.add_parser("search", help="run (or join) an architecture search")
    se.add_argument("--strategy", choices=["rs", "re", "ls", "reinforce", "tpe"], default="re")
    se.add_argument("--objective", choices=["bench", "train"], default="bench",
                    help="look up the mnist1d-201 benchmark, or really train each cell")
    se.add_argument("--budget", type=int, default=100, help="trials (for a shared study: "
                    "in total, over all workers)")
    se.add_argument("--seed", type=int, default=0)
    se.add_argument("--epoch", type=int, help="benchmark epoch to score at (default: last)")
    se.add_argument("--storage", help="Optuna storage URL, e.g. sqlite:///search.db, "
                    "postgresql://user@host/db or journal:///path/study.log; "
                    "workers started with the same storage and study cooperate")
    se.add_argument("--study", default="nas", help="study name inside the storage")
    se.add_argument("--heartbeat", type=int, help="seconds between a running trial's "
                    "heartbeats (database storages): a trial silent for twice as long, its "
                    "worker killed, is failed and retried by another worker")
    se.set_defaults(func=_search)

    ex = sub.add_parser("experiment", help="compare strategies over many seeds, with a report")
    exsub = ex.add_subparsers(dest="experiment_cmd", required=True)
    for cmd, help_text, seeds in [
            ("compare", "strategies at equal budget: results.csv, figures, tables, report", 20),
            ("challenge", "rank submitted strategies on held-out seeds: a leaderboard", 20)]:
        c = exsub.add_parser(cmd, help=help_text)
        c.add_argument("--strategies", required=True, help="comma-separated: rs, re, ls, "
                       "reinforce, tpe, bananas, or path/to/file.py:ClassName for your own")
        c.add_argument("--seeds", type=int, default=seeds, help="runs per strategy")
        c.add_argument("--seed-start", type=int, help="first seed (compare: 0; challenge: "
                       "1000, seeds nobody tuned on)")
        c.add_argument("--budget", type=int, default=100, help="evaluations per run")
        c.add_argument("--storage", help="Optuna storage URL (default: a journal file in "
                       "--out); a killed experiment continues from it")
        c.add_argument("--out", required=True, help="folder for the outputs")
        if cmd == "compare":
            c.add_argument("--time-budget", type=float, help="also stop a run after this "
                           "many seconds of simulated training")
            c.add_argument("--objective", choices=["bench", "train"], default="bench")
            c.add_argument("--space", choices=["nb201", "svm", "cnn"], default="nb201",
                           help="nb201: cells, the course's strategies; svm / cnn: lesson 08's "
                           "hyperparameters, Optuna's samplers (random, tpe, gp, cmaes, qmc)")
            c.add_argument("--max-latency-ms", type=float, help="hardware-aware: only cells "
                           "whose benchmark latency is at most this (rs and re reject the "
                           "others before evaluating them)")
    ex.set_defaults(func=_experiment)

    st = sub.add_parser("starter", help="lesson 09's thesis starters: list them, run one")
    stsub = st.add_subparsers(dest="starter_cmd", required=True)
    stsub.add_parser("list", help="the starters and their questions")
    sr = stsub.add_parser("run", help="run a starter's experiment and print its card")
    sr.add_argument("key", help="a starter (see `nas-lessons starter list`)")
    sr.add_argument("--scale", choices=["lesson", "minimal"], default="minimal",
                    help="lesson: a few seconds; minimal: up to about a minute")
    sr.add_argument("--seed", type=int, default=0)
    st.set_defaults(func=_starter)

    site = sub.add_parser("site", help="the course website")
    ssub = site.add_subparsers(dest="site_cmd", required=True)
    sb = ssub.add_parser("build", help="build it from the committed notebooks (offline; "
                         "warnings are errors, internal links checked)")
    sb.add_argument("--root", default=".", help="the repository's root")
    sb.add_argument("--out", default="_site", help="output folder (pages in OUT/html)")
    sb.add_argument("--keep-warnings", action="store_true",
                    help="build even if Sphinx warns (for drafting)")
    sb.add_argument("--editions", nargs="+", default=None, metavar="LANG",
                    help="the editions to build, English included (default: all: "
                         "en and every translation)")
    sb.set_defaults(func=_site)

    lab = sub.add_parser("lab", help="JupyterLab on the lessons, with the course's settings "
                         "(no news pop-up); extra arguments go to JupyterLab")
    lab.add_argument("folder", nargs="?", default="notebooks")
    lab.set_defaults(func=_lab)

    tr = sub.add_parser("i18n", help="translated editions of the course")
    trsub = tr.add_subparsers(dest="i18n_cmd", required=True)
    for cmd, text in (("update", "merge the current English text into the catalogues"),
                      ("status", "how much of each file is translated"),
                      ("build", "write the translated notebooks and README")):
        c = trsub.add_parser(cmd, help=text)
        c.add_argument("--lang", default="uk")
        if cmd == "build":
            c.add_argument("--check", action="store_true",
                           help="write nothing; exit 1 if the edition differs")
            c.add_argument("--partial", action="store_true",
                           help="skip files not fully translated yet")
        c.set_defaults(func=_i18n)
    return p


def main(argv: list[str] | None = None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    if extra and args.func is not _lab:
        build_parser().parse_args(argv)  # the usual error for unknown arguments
    args.lab_args = extra
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as e:  # mistakes a user can make: one line
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
