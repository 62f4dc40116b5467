"""A throwaway PostgreSQL server for tests: initdb in a temp dir, on a free port.

Uses Debian's postgresql binaries; as root it runs them as the `postgres` user, which
is how `.ci/run` (root, fresh machine) gets a real server without a system service.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest

from store.outcomes import OutcomeStore, database_url
from tests.servers import free_port


def pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(found[-1]) if found else None


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh database; the server is gone afterwards."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = tempfile.mkdtemp(prefix="ddh-pg-")
    data, sock = os.path.join(tmp, "data"), os.path.join(tmp, "sock")
    os.makedirs(sock)
    if as_root:
        shutil.chown(tmp, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run([*run_as, f"{bindir}/initdb", "-D", data, "-U", "ddh", "-A", "trust",
                    "--no-sync"], check=True, capture_output=True)
    subprocess.run([*run_as, f"{bindir}/pg_ctl", "-D", data, "-w", "-l",
                    os.path.join(tmp, "log"), "-o",
                    f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
                    "start"], check=True, capture_output=True)
    try:
        for _ in range(50):
            ok = subprocess.run([f"{bindir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                                capture_output=True).returncode == 0
            if ok:
                break
            time.sleep(0.1)
        subprocess.run([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "ddh",
                        "ddh"], check=True, capture_output=True)
        yield f"postgresql+psycopg://ddh@127.0.0.1:{port}/ddh"
    finally:
        subprocess.run([*run_as, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def store_on(kind: str, tmp_path_factory: pytest.TempPathFactory,
             fill: Callable[[OutcomeStore], None]) -> Iterator[OutcomeStore]:
    """A filled outcome store on SQLite or on a throwaway PostgreSQL server (skipped when
    PostgreSQL is not installed): the same SQL checked on both."""
    if kind == "sqlite":
        s = OutcomeStore(database_url(None, tmp_path_factory.mktemp("store")))
        fill(s)
        yield s
        s.close()
        return
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed")
    with postgres_server() as url:
        s = OutcomeStore(url)
        fill(s)
        yield s
        s.close()
