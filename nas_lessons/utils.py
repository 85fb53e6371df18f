"""Reproducibility and small helpers shared by every lesson.

`seed_everything` fixes every source of randomness the course uses (Python's `random`,
NumPy, PyTorch) *and* the PyTorch thread count, because the same seed gives different floats
at 1 and at 2 threads (reductions are split differently). `show_source` lets a notebook show
the package's own implementation instead of keeping a second copy of it.
"""

from __future__ import annotations

import inspect
import json
import os
import random
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

__all__ = ["seed_everything", "show_source", "get_device", "in_notebook", "free_port"]


def seed_everything(seed: int, *, threads: int = 1) -> torch.Generator:
    """Seed `random`, NumPy and PyTorch, fix the thread count, return a seeded generator.

    Same seed + same machine + same `threads` -> bit-identical results in this course.
    The returned `torch.Generator` is what data loaders and samplers should receive.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    os.environ["PYTHONHASHSEED"] = str(seed)
    return torch.Generator().manual_seed(seed)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where rich display is available)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def show_progress(progress: bool | None) -> bool:
    """Whether a long loop shows a progress bar: `progress` when given; by default (None) only
    in a Jupyter notebook, and never where the environment sets NAS_LESSONS_QUIET=1 — as
    `nas-lessons course run` and the test suite do, so that committed outputs stay clean."""
    if progress is not None:
        return bool(progress)
    return in_notebook() and os.environ.get("NAS_LESSONS_QUIET") != "1"


def progress_bar(*, total: int, desc: str, unit: str, progress: bool | None = None,
                 initial: int = 0):
    """A tqdm bar (a live widget in Jupyter, text in a terminal) when
    `show_progress(progress)`, else None; callers update it with `bar.update(n)`."""
    if not show_progress(progress):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, initial=initial)


def show_source(obj: object) -> str | None:
    """Show the source code of a package function or class.

    In Jupyter it is rendered with syntax highlighting; elsewhere it is printed as plain
    text. Returns the source string outside Jupyter (handy in tests), None inside.
    """
    try:
        src = inspect.getsource(obj)  # type: ignore[arg-type]
    except (TypeError, OSError) as e:
        raise TypeError(f"cannot show the source of {obj!r}: {e}") from None
    if in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(f"```python\n{src}\n```"))
        return None
    print(src)
    return src


def get_device(name: str = "cpu") -> torch.device:
    """Return the torch device for 'cpu' or 'cuda' ('auto' picks CUDA when present).

    Asking for 'cuda' on a machine without a usable GPU raises a ValueError that says so,
    instead of failing later inside a forward pass.
    """
    allowed = ("cpu", "cuda", "auto")
    base = str(name).split(":")[0]
    if base not in allowed:
        raise ValueError(f"unknown device {name!r}; allowed: {', '.join(allowed)} (or 'cuda:N')")
    if base == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if base == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "DEVICE='cuda' was asked for but PyTorch sees no CUDA GPU on this machine "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda is not None}); "
            "set DEVICE='cpu' in the parameters cell, or install a CUDA build of torch."
        )
    return torch.device(name)


def run_resumable(path: Path, jobs: Iterable[tuple], run: Callable[..., dict], *,
                  key: Callable[[dict], tuple | None],
                  replace_stale: bool = False) -> Iterator[tuple[tuple, dict]]:
    """Run each job (a tuple of `run`'s arguments) that has no record yet in the JSON-lines
    file `path`, appending each record the moment it finishes, and yield (job, record): a
    killed script, started again, skips what is done and loses at most the job it was in.
    `key(record)` names the job a stored record belongs to (None for a record that does not
    count, e.g. one made on another benchmark version). With `replace_stale=True` such records
    are removed from the file first (the file is rewritten in one step, and the removal is
    reported on stderr), so a result file never mixes two benchmarks; keep it False where a
    record that does not count may still be wanted (e.g. runs of another length)."""
    path = Path(path)
    records = ([json.loads(line) for line in path.read_text().splitlines()]
               if path.exists() else [])
    done = {key(r) for r in records}
    if replace_stale and None in done:
        keep = [r for r in records if key(r) is not None]
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in keep))
        os.replace(tmp, path)
        print(f"{path.name}: removed {len(records) - len(keep)} records that no longer count "
              f"(kept {len(keep)})", file=sys.stderr, flush=True)
    for job in jobs:
        if tuple(job) in done:
            continue
        record = run(*job)
        with path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        yield tuple(job), record


def free_port() -> int:
    """A TCP port on 127.0.0.1 that no program listens on now (the system picks it), for a
    local server: a database, JupyterLab."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
