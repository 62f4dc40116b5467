"""The scale-out shape, run for real on loopback: several `ddh serve` processes on one
PostgreSQL, one Redis and one Chroma server, behind HAProxy (round robin, no sticky
sessions, health-checked on `/readyz`), as `docker-compose.yml` describes it.

Used by the fault tests (tests/test_scaleout.py) and `bench/scaleout.py`. Needs
Debian's postgresql, redis-server and haproxy (`scripts/install.sh --test`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.postgres import postgres_server
from tests.servers import DDH, ROOT, free_port, redis_server, wait_ok

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent))
HAPROXY = shutil.which("haproxy") or next(
    (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.path.exists(p)), None)
CORPUS = Path(__file__).parent / "fixtures" / "exports" / "markdown"


def missing() -> list[str]:
    """What this machine lacks for a cluster (empty: it can run one)."""
    from tests.postgres import pg_bin

    need = {"haproxy": HAPROXY, "redis-server": shutil.which("redis-server"),
            "postgresql": pg_bin(), "chroma": CHROMA}
    return [name for name, found in need.items() if not found]


@dataclass
class Gateway:
    port: int
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    log: Path | None = None  # its output, appended over restarts

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen([DDH, "serve", "--port", str(self.port)], cwd=ROOT,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)
        finally:
            if self.log:
                out.close()
        if not wait_ok(f"{self.url}/readyz", timeout=timeout):
            self.proc.kill()
            raise RuntimeError(f"gateway on {self.port} did not become ready")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class Cluster:
    url: str  # the balancer
    database_url: str
    redis_url: str
    gateways: list[Gateway] = field(default_factory=list)


def _haproxy_config(port: int, backends: list[int]) -> str:
    servers = "\n".join(f"  server g{i} 127.0.0.1:{p} check"
                        for i, p in enumerate(backends, 1))
    return f"""global
  maxconn 8192
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout tunnel 1h
  option redispatch
  retries 2
frontend citizens
  bind 127.0.0.1:{port}
  option forwardfor
  default_backend gateways
backend gateways
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  timeout check 3s
  default-server inter 500ms fall 3 rise 2
{servers}
"""


@contextlib.contextmanager
def cluster(n: int = 3, extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """`n` gateway processes behind HAProxy on PostgreSQL, Redis and a Chroma server."""
    if missing():
        raise RuntimeError(f"the cluster needs {', '.join(missing())}")
    assert CHROMA is not None and HAPROXY is not None
    tmp = Path(tempfile.mkdtemp(prefix="ddh-cluster-"))
    procs: list[subprocess.Popen] = []
    gateways: list[Gateway] = []
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        keep = os.environ.get("DDH_CLUSTER_LOGS")  # a folder to keep the gateways' logs in
        if keep:  # (copied after they stopped)
            stack.callback(lambda: [shutil.copy(g.log, keep) for g in gateways if g.log])
        db = stack.enter_context(postgres_server())
        redis = stack.enter_context(redis_server())
        stack.callback(_stop_all, procs, gateways)  # first of all: gateways, then the rest
        chroma_port = free_port()
        procs.append(subprocess.Popen(
            [CHROMA, "run", "--path", str(tmp / "chroma"), "--host", "127.0.0.1",
             "--port", str(chroma_port)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
        chroma = f"http://127.0.0.1:{chroma_port}"
        if not wait_ok(f"{chroma}/api/v2/heartbeat", timeout=30):
            raise RuntimeError("chroma server did not start")
        corpus = tmp / "guides"
        shutil.copytree(CORPUS, corpus)
        env = {**os.environ, "DDH_DATABASE_URL": db, "DDH_REDIS_URL": redis,
               "DDH_CHROMA_URL": chroma, "DDH_DATA_DIR": str(tmp / "var"),
               "DDH_GUIDES_DIR": str(corpus), "DDH_LOG_LEVEL": "WARNING",
               **(extra_env or {})}
        gateways += [Gateway(free_port(), env, log=tmp / f"gateway-{i}.log")
                     for i in range(1, n + 1)]

        gateways[0].start()  # builds the index on the Chroma server
        for g in gateways[1:]:
            g.start()
        port = free_port()
        cfg = tmp / "haproxy.cfg"
        cfg.write_text(_haproxy_config(port, [g.port for g in gateways]))
        procs.append(subprocess.Popen([HAPROXY, "-f", str(cfg), "-db"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"http://127.0.0.1:{port}"
        if not wait_ok(f"{url}/readyz", timeout=30):
            raise RuntimeError("haproxy did not start")
        yield Cluster(url, db, redis, gateways)


def _stop_all(procs: list[subprocess.Popen], gateways: list[Gateway]) -> None:
    for g in gateways:
        g.stop()
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
