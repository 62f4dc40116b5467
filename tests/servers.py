"""Real servers for tests: a uvicorn server in a thread, or `ddh serve` in a process."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
DDH = str(Path(sys.executable).parent / "ddh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ok(url: str, timeout: float = 60.0) -> bool:
    """Poll `url` until it answers 200 (True) or the timeout passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def serve_app(app) -> Iterator[str]:
    """Run an ASGI app on a real loopback socket in a background thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def ddh_serve(env: dict[str, str], timeout: float = 90, *, args: tuple[str, ...] = (),
              ready: str = "/healthz",
              quiet: bool = False) -> Iterator[tuple[str, float]]:
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
