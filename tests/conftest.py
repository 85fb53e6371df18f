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


def _postgres_bin() -> Path | None:
    """The directory of Debian's PostgreSQL server binaries (initdb, pg_ctl), if installed."""
    import shutil

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server on 127.0.0.1 (a temporary data directory, trust
    authentication, a free port), running for the test session; yields a connection URL for
    an empty database. Skipped where the server or the psycopg2 driver is missing."""
    import shutil
    import socket
    import subprocess

    pytest.importorskip("psycopg", reason="the PostgreSQL driver is an optional extra: "
                                           "pip install -e '.[cluster]'")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="nas-lessons-pg-"))  # outside pytest's 0700 tree
    data = home / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user for the server")
        os.chown(home, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "nas", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(data.parent / "log"), "-o",
        f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "nas", "optuna")
        yield f"postgresql://nas@127.0.0.1:{port}/optuna"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)
