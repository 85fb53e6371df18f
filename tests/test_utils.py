import json
import random
from itertools import islice

import numpy as np
import pytest
import torch

from nas_lessons.utils import get_device, run_resumable, seed_everything, show_source


def test_seed_everything_reproducible():
    g = seed_everything(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g))
    g = seed_everything(3)
    b = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g))
    assert a == b
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


def test_show_source_plain_text():
    src = show_source(seed_everything)
    assert src.startswith("def seed_everything")
    with pytest.raises(TypeError, match="cannot show the source"):
        show_source(42)


def test_get_device():
    assert get_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="allowed: cpu, cuda"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU.*DEVICE='cpu'"):
            get_device("cuda")
        assert get_device("auto").type == "cpu"


def test_run_resumable_skips_finished_jobs_and_records_of_other_versions(tmp_path):
    path, calls = tmp_path / "runs.jsonl", []

    def run(name, seed):
        calls.append((name, seed))
        return {"name": name, "seed": seed, "version": 2}

    path.write_text(json.dumps({"name": "a", "seed": 1, "version": 1}) + "\n")  # stale
    key = lambda r: (r["name"], r["seed"]) if r["version"] == 2 else None  # noqa: E731
    jobs = [("a", 0), ("a", 1), ("b", 0)]
    assert len(list(islice(run_resumable(path, jobs, run, key=key), 2))) == 2  # "killed"
    assert [j for j, _ in run_resumable(path, jobs, run, key=key)] == [("b", 0)]
    assert calls == jobs
    assert list(run_resumable(path, jobs, run, key=key)) == []
    assert len(path.read_text().splitlines()) == 4


def test_run_resumable_can_replace_stale_records(tmp_path, capsys):
    path = tmp_path / "runs.jsonl"
    old = [{"name": "a", "seed": s, "version": 1} for s in (0, 1)]
    path.write_text("".join(json.dumps(r) + "\n" for r in old))
    key = lambda r: (r["name"], r["seed"]) if r["version"] == 2 else None  # noqa: E731
    run = lambda name, seed: {"name": name, "seed": seed, "version": 2}  # noqa: E731
    gen = run_resumable(path, [("a", 0), ("a", 1)], run, key=key, replace_stale=True)
    assert next(gen) == (("a", 0), {"name": "a", "seed": 0, "version": 2})
    # the stale records went before the first new one was written: killed now, nothing mixes
    assert [json.loads(x)["version"] for x in path.read_text().splitlines()] == [2]
    assert "removed 2 records" in capsys.readouterr().err
    assert [j for j, _ in gen] == [("a", 1)]
    assert list(run_resumable(path, [("a", 0), ("a", 1)], run, key=key,
                              replace_stale=True)) == []
    assert len(path.read_text().splitlines()) == 2


def test_progress_bars_follow_the_argument_and_stay_quiet_under_tests(monkeypatch):
    from nas_lessons import utils

    assert utils.progress_bar(total=3, desc="x", unit="it", progress=False) is None
    bar = utils.progress_bar(total=3, desc="x", unit="it", progress=True)
    assert bar is not None and bar.total == 3
    bar.close()
    monkeypatch.setattr(utils, "in_notebook", lambda: True)
    assert not utils.show_progress(None)          # NAS_LESSONS_QUIET=1 (conftest, course run)
    monkeypatch.delenv("NAS_LESSONS_QUIET")
    assert utils.show_progress(None)              # a student's notebook
    monkeypatch.setattr(utils, "in_notebook", lambda: False)
    assert not utils.show_progress(None)          # a script: only when asked


def test_free_port_can_be_listened_on():
    import socket

    from nas_lessons.utils import free_port

    port = free_port()
    assert 0 < port < 65536
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
