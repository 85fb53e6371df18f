"""A throwaway PostgreSQL server on this machine, for trying a shared Optuna study the way a
cluster runs it — and for the tests and benchmarks that check that it works.

`LocalPostgres()` starts Debian's (or any installed) PostgreSQL server binaries on 127.0.0.1,
with a fresh data directory in a temporary folder, trust authentication and a free port; its
`url` is an empty database `optuna` for `nas-lessons search --storage URL`. `restart()` takes
the server away for a moment, as a rebooting database machine would. Leaving the `with` block
stops the server and deletes everything. Run as root, it runs the server as the `postgres`
user (PostgreSQL refuses to run as root). Needs the driver: `pip install -e ".[cluster]"`.

    with LocalPostgres() as pg:
        subprocess.run(["nas-lessons", "search", "--storage", pg.url, ...])
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .utils import free_port

__all__ = ["postgres_bindir", "LocalPostgres"]


def postgres_bindir() -> Path | None:
    """The directory of the PostgreSQL server binaries (initdb, pg_ctl), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class LocalPostgres:
    """A throwaway PostgreSQL server (see the module docstring)."""

    def __init__(self, *, database: str = "optuna") -> None:
        self.bindir = postgres_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.database = database
        self.as_user: list[str] = []
        self.home: Path | None = None

    def _run(self, *cmd: str) -> None:
        res = subprocess.run([*self.as_user, *cmd], capture_output=True, text=True,
                             timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} failed: {res.stderr.strip()}")

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.home / "data"), *args)

    def start(self) -> None:
        self._pg_ctl("-w", "-l", str(self.home / "log"), "-o",
                     f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off", "start")

    def restart(self, pause: float = 2.0) -> None:
        """Stop the server, wait `pause` seconds, start it again."""
        self._pg_ctl("-m", "fast", "-w", "stop")
        time.sleep(pause)
        self.start()

    def __enter__(self) -> LocalPostgres:
        self.home = Path(tempfile.mkdtemp(prefix="nas-lessons-pg-"))
        if os.geteuid() == 0:  # initdb refuses to run as root
            import pwd

            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to run "
                                   "the server as") from None
            os.chown(self.home, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.url = f"postgresql://nas@127.0.0.1:{self.port}/{self.database}"
        try:
            self._run(str(self.bindir / "initdb"), "-D", str(self.home / "data"), "-A",
                      "trust", "-U", "nas", "--no-sync")
            self.start()
            self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                      "-U", "nas", self.database)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.home is not None:
            subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D",
                            str(self.home / "data"), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None
