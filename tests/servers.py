"""Real servers for tests: a uvicorn server in a thread, or `ddh serve` in a process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from evals.live import free_port, serve_app, wait_ok

__all__ = ["ddh_serve", "free_port", "redis_server", "serve_app", "wait_ok"]

ROOT = Path(__file__).resolve().parent.parent
DDH = str(Path(sys.executable).parent / "ddh")


@contextlib.contextmanager
def ddh_serve(env: dict[str, str], timeout: float = 90, *, args: tuple[str, ...] = (),
              ready: str = "/healthz", quiet: bool = False,
              pids: list[int] | None = None) -> Iterator[tuple[str, float]]:
    """Start `ddh serve` as a process; yield its URL and the seconds until `ready`
    answered 200. `quiet` discards its output (benchmarks: a long run's logs would fill
    a pipe nobody reads and stall the server)."""
    port = free_port()
    t0 = time.monotonic()
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    proc = subprocess.Popen([DDH, "serve", "--port", str(port), *args], cwd=ROOT,
                            env={**os.environ, **env}, stdout=out,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    if pids is not None:  # for the caller's CPU accounting
        pids.append(proc.pid)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ddh serve exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{url}{ready}", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"ddh serve did not answer {ready}")
            time.sleep(0.1)
        yield url, time.monotonic() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """A throwaway `redis-server` on loopback (no persistence); yields its URL. `port`:
    a given one, to start it again where its clients expect it."""
    import shutil
    import tempfile

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (scripts/install.sh --test)")
    port = port or free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", tmp],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client = redis.Redis.from_url(url)
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.RedisError:
                    time.sleep(0.05)
            client.close()
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)
