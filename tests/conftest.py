import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mnist1d():
    from nas_lessons.data import load_dataset

    return load_dataset("mnist1d")


@pytest.fixture(scope="session")
def run_python():
    """Run Python code in a fresh interpreter and return its stdout (raises on failure)."""
    import subprocess

    def run(code: str, cwd: Path = ROOT) -> str:
        res = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                             text=True, timeout=600)
        if res.returncode != 0:
            raise AssertionError(res.stderr)
        return res.stdout

    return run


from hypothesis import settings as _hyp_settings  # noqa: E402

# Some properties build cached tables on first use; wall-clock deadlines would flake on a
# loaded 2-core machine.
_hyp_settings.register_profile("course", deadline=None)
_hyp_settings.load_profile("course")
