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


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the session (`nas_lessons.postgres.LocalPostgres`):
    `.url`, `.restart()`. Skipped where the server or the psycopg driver is missing."""
    from nas_lessons.postgres import LocalPostgres, postgres_bindir

    pytest.importorskip("psycopg", reason="the PostgreSQL driver is an optional extra: "
                                          "pip install -e '.[cluster]'")
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    try:
        server = LocalPostgres().__enter__()
    except RuntimeError as e:
        pytest.skip(f"no local PostgreSQL server: {e}")
    try:
        yield server
    finally:
        server.__exit__()


@pytest.fixture(scope="session")
def postgres_url(postgres) -> str:
    """The URL of the throwaway PostgreSQL server's empty database."""
    return postgres.url
