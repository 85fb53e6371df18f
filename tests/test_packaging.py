"""Packaging: pyproject and environment.yml agree; the CLI is installed; style is clean."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_lists_pyproject_packages():
    proj = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in proj["dependencies"] + proj["optional-dependencies"]["dev"]}
    env = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    listed = {_name(m) for m in re.findall(r"^\s+- ([A-Za-z][^\n:]*)$", env, re.M)}
    missing = {w for w in wanted if CONDA_NAMES.get(w, w) not in listed}
    extra = {x for x in listed - {"python", "pip"} if x not in
             {CONDA_NAMES.get(w, w) for w in wanted}}
    assert not missing and not extra, f"missing in environment.yml: {missing}; extra: {extra}"


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "nas_lessons.cli", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    for cmd in ("course", "exercises", "bench"):
        assert cmd in out


def test_ruff_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is a dev dependency: pip install -e '.[dev]'"
    res = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def _nb(path, code, parameters: str | None = None):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.insert(0, cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def test_course_run_reports_seconds_and_failures(tmp_path, capsys):
    from nas_lessons.cli import main

    _nb(tmp_path / "00_ok.ipynb", "print(1 + 1)")
    _nb(tmp_path / "01_bad.ipynb", "raise RuntimeError('boom')")
    assert main(["course", "run", "--notebooks", str(tmp_path), "--lesson", "0",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"00_ok\.ipynb\s+\d+\.\d s  pass", out)
    assert main(["course", "run", "--notebooks", str(tmp_path),
                 "--out", str(tmp_path / "out")]) == 1
    assert "01_bad.ipynb" in capsys.readouterr().out
    assert main(["course", "run", "--notebooks", str(tmp_path), "--lesson", "7"]) == 2
    assert "no lesson 7" in capsys.readouterr().err


def test_course_run_threads_sets_the_lessons_parameter(tmp_path, capfd):
    from nas_lessons.cli import main

    _nb(tmp_path / "00_t.ipynb", "import torch\nassert THREADS == 2, THREADS\n"
        "torch.set_num_threads(THREADS)\nassert torch.get_num_threads() == 2",
        parameters="SEED = 0\nTHREADS = 1  # torch threads")
    assert main(["course", "run", "--notebooks", str(tmp_path), "--threads", "2",
                 "--out", str(tmp_path / "out")]) == 0
    assert main(["course", "run", "--notebooks", str(tmp_path),
                 "--out", str(tmp_path / "out")]) == 1  # THREADS stays 1 without the flag
    out, err = capfd.readouterr()
    assert "without encryption" not in out + err  # the kernel's own log is silenced
    _nb(tmp_path / "01_nothreads.ipynb", "x = 1", parameters="SEED = 0")
    assert main(["course", "run", "--notebooks", str(tmp_path), "--lesson", "1",
                 "--threads", "2", "--out", str(tmp_path / "out")]) == 2
    assert "not a parameter of this lesson: THREADS" in capfd.readouterr().err


def test_course_run_inplace_writes_outputs_without_timings(tmp_path, capsys):
    import nbformat

    from nas_lessons.cli import main

    _nb(tmp_path / "00_ok.ipynb", "print(6 * 7)")
    assert main(["course", "run", "--notebooks", str(tmp_path), "--inplace",
                 "--out", str(tmp_path / "out")]) == 0
    cell = nbformat.read(tmp_path / "00_ok.ipynb", as_version=4).cells[0]
    assert cell.outputs[0]["text"] == "42\n" and "execution" not in cell.metadata
    assert main(["course", "run", "--notebooks", str(tmp_path), "--inplace",
                 "--threads", "2"]) == 2
    assert "drop --threads" in capsys.readouterr().err


def test_cli_errors_are_one_line(tmp_path, capsys):
    from nas_lessons.cli import main

    assert main(["bench", "pack", "--out", str(tmp_path), "--dest",
                 str(tmp_path / "b.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no results found") and err.count("\n") == 1
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "x.ipynb").write_text("{}")
    _nb(tmp_path / "solutions" / "x.ipynb", "# BEGIN SOLUTION\nx = 1\n# END SOLUTION")
    assert main(["exercises", "build", "--src", str(tmp_path / "solutions"), "--dst",
                 str(tmp_path / "ex")]) == 2
    assert "N.k: what to do" in capsys.readouterr().err


def _notebooks() -> list[Path]:
    return sorted(p for folder in ("notebooks", "solutions", "exercises")
                  for p in (ROOT / folder).glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_starts_with_the_colab_cell():
    import nbformat

    from nas_lessons.colab import CELL, add_cell

    for path in _notebooks():
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert first.source == CELL, f"{path.name}: run nas_lessons.colab.add_cell on it"
        assert not first.outputs
        assert not add_cell(nb)  # already there: nothing to change


def test_the_colab_cell_installs_only_on_colab(tmp_path):
    """Elsewhere the cell runs nothing; with a `google.colab` module loaded it runs pip on
    the package, once."""
    from nas_lessons.colab import CELL, SOURCE

    calls = []
    fake = type(sys)("subprocess")
    fake.run = lambda cmd, check: calls.append((cmd, check))
    saved = sys.modules.get("subprocess")
    try:
        sys.modules["subprocess"] = fake
        exec(CELL, {})
        assert calls == []
        sys.modules["google.colab"] = type(sys)("google.colab")
        exec(CELL, {})
    finally:
        sys.modules.pop("google.colab", None)
        sys.modules["subprocess"] = saved
    assert calls == [([sys.executable, "-m", "pip", "install", "--quiet", SOURCE], True)]


def test_add_cell_inserts_before_the_first_code_cell_and_updates_an_old_copy():
    import nbformat

    from nas_lessons.colab import CELL, add_cell

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("x = 1")]
    assert add_cell(nb) and [c.source for c in nb.cells] == ["# title", CELL, "x = 1"]
    nb.cells[1].source = "an older version"
    assert add_cell(nb) and nb.cells[1].source == CELL and len(nb.cells) == 3


def test_the_wheel_carries_every_asset(tmp_path):
    """Installed without a checkout (Colab, `pip install`), the lessons read their data from
    the package: every file under nas_lessons/assets and the Jupyter settings must be in it."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(tmp_path), str(ROOT)], check=True,
                   capture_output=True, cwd=tmp_path)
    names = set(zipfile.ZipFile(next(tmp_path.glob("nas_lessons-*.whl"))).namelist())
    data = [p for p in (ROOT / "nas_lessons").rglob("*")
            if p.is_file() and ("assets" in p.parts or "jupyter_config" in p.parts)]
    missing = [str(p.relative_to(ROOT)) for p in data
               if p.relative_to(ROOT).as_posix() not in names]
    assert data and not missing, f"not in the wheel: {missing}"


def test_lab_environment_puts_the_course_settings_first_and_keeps_the_readers():
    import json
    import os

    from nas_lessons.cli import lab_environment

    env = lab_environment({"JUPYTER_CONFIG_PATH": "/readers/own"})
    ours, theirs = env["JUPYTER_CONFIG_PATH"].split(os.pathsep)
    assert theirs == "/readers/own"
    overrides = json.loads((Path(ours) / "labconfig" / "default_setting_overrides.json")
                           .read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert lab_environment({})["JUPYTER_CONFIG_PATH"] == ours


def test_lab_refuses_a_missing_folder(tmp_path, capsys):
    from nas_lessons.cli import main

    assert main(["lab", str(tmp_path / "nowhere")]) == 2
    assert "no folder" in capsys.readouterr().err
