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


class PostgresServer:
    """A throwaway PostgreSQL server: `url` of an empty database, `restart()` (the server
    goes away for a moment, as when a database machine reboots)."""

    def __init__(self, bindir: Path, home: Path, as_user: list[str], port: int) -> None:
        self.bindir, self.home, self.as_user, self.port = bindir, home, as_user, port
        self.data = home / "data"
        self.url = f"postgresql://nas@127.0.0.1:{port}/optuna"

    def _run(self, *cmd: str) -> None:
        import subprocess

        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True, timeout=120)

    def pg_ctl(self, *args: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args)

    def start(self) -> None:
        self.pg_ctl("-w", "-l", str(self.home / "log"), "-o",
                    f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off", "start")

    def restart(self, pause: float = 2.0) -> None:
        import time

        self.pg_ctl("-m", "fast", "-w", "stop")
        time.sleep(pause)
        self.start()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1 (a temporary data directory, trust
    authentication, a free port), running for the test session. Skipped where the server or
    the psycopg driver is missing."""
    import shutil
    import socket
    import subprocess
    import tempfile

    pytest.importorskip("psycopg", reason="the PostgreSQL driver is an optional extra: "
                                          "pip install -e '.[cluster]'")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    home = Path(tempfile.mkdtemp(prefix="nas-lessons-pg-"))  # outside pytest's 0700 tree
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
    server = PostgresServer(bindir, home, as_user, port)
    server._run(str(bindir / "initdb"), "-D", str(server.data), "-A", "trust", "-U", "nas",
                "--no-sync")
    server.start()
    try:
        server._run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "nas",
                    "optuna")
        yield server
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(server.data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres) -> str:
    """The URL of the throwaway PostgreSQL server's empty database."""
    return postgres.url
