"""Real Redis and PostgreSQL servers for the tests, started on free loopback ports in a
temporary folder and stopped afterwards. The test command installs them (Debian's
``redis-server`` and ``postgresql``); where a binary is missing, the tests that need it skip
and say which."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator

__all__ = ["free_port", "postgres_binaries", "running_postgres", "running_redis"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(ready: Callable[[], bool], what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}: {err[-2000:]}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within 30 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    if proc.stderr:
        proc.stderr.close()


def redis_binary() -> str | None:
    return shutil.which("redis-server")


@contextlib.contextmanager
def running_redis() -> Iterator[str]:
    """A fresh ``redis-server`` on 127.0.0.1; yields its URL."""
    binary = redis_binary()
    assert binary is not None
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", folder, "--protected-mode", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _wait_for(lambda: _redis_pings(port), "redis-server", proc)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop(proc)


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def postgres_binaries() -> str | None:
    """The folder holding ``initdb`` and ``postgres`` (Debian keeps them off the PATH)."""
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return os.path.dirname(candidates[0]) if candidates else None


def _as_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root, run it as ``postgres`` (or ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise RuntimeError("running as root with no postgres or nobody user to run PostgreSQL as")


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster on 127.0.0.1 (trust auth, user ``qonto``); yields a URL."""
    folder = postgres_binaries()
    assert folder is not None
    user = _as_user()

    def drop_privileges() -> None:
        if user is not None:
            os.setgid(user[1])
            os.setuid(user[0])

    port = free_port()
    with tempfile.TemporaryDirectory() as root:
        data, sockets = os.path.join(root, "data"), os.path.join(root, "run")
        os.mkdir(sockets)
        if user is not None:
            os.chmod(root, 0o755)
            os.chown(sockets, *user)
            os.mkdir(data)
            os.chown(data, *user)
        subprocess.run(
            [os.path.join(folder, "initdb"), "-D", data, "-U", "qonto", "--auth=trust",
             "-E", "UTF8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=drop_privileges,
        )  # fmt: skip
        proc = subprocess.Popen(
            [os.path.join(folder, "postgres"), "-D", data, "-p", str(port), "-k", sockets,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=drop_privileges,
        )  # fmt: skip
        url = f"postgresql://qonto@127.0.0.1:{port}/postgres"
        try:
            _wait_for(lambda: _postgres_answers(url), "postgres", proc)
            yield url
        finally:
            _stop(proc)


def _postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=1) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def fresh_database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the test server, dropped afterwards: the URL."""
    import uuid

    import psycopg

    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
