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
