"""``sync --attachments DIR`` writes inside DIR whatever the API answers (issue 22, defect 13),
and a folder it cannot write into is one line, never a traceback, leaving no ``.partial``
behind (defect 14, attachments).

Hostile attachment ids come from a local aiohttp server standing in front of FakeQonto: it
forwards every request and answers other ids for the attachments of chosen invoices."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiohttp
import pytest
import yarl
from aiohttp import web
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async.resources._base import quote_id
from qonto_async.testing import FakeQonto

from .ledger_checks import assert_one_line_failure, run_sync

HOP_BY_HOP = {"content-length", "content-encoding", "transfer-encoding", "connection"}


def hostile_app(fake: FakeQonto, renames: dict[str, str]) -> web.Application:
    """Forwards to ``fake``; the attachment ids in ``renames`` are answered as their values."""
    back = {quote_id(new): old for old, new in renames.items()}
    session: list[aiohttp.ClientSession] = []

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rename(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rename(item) for item in value]
        return renames.get(value, value) if isinstance(value, str) else value

    async def forward(request: web.Request) -> web.StreamResponse:
        path, _, query = request.raw_path.partition("?")
        prefix = "/v2/attachments/"
        if path.startswith(prefix) and path[len(prefix) :] in back:
            path = prefix + back[path[len(prefix) :]]

        url = yarl.URL(fake.base_url + path + (f"?{query}" if query else ""), encoded=True)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with session[0].request(
            request.method, url, headers=headers, data=await request.read()
        ) as upstream:
            body = await upstream.read()
            if upstream.content_type == "application/json":
                body = json.dumps(rename(json.loads(body))).encode()
            answer = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=upstream.status, body=body, headers=answer)

    async def client(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(auto_decompress=True) as opened:
            session.append(opened)
            yield

    app = web.Application()
    app.cleanup_ctx.append(client)
    app.router.add_route("*", r"/{tail:[\s\S]*}", forward)  # newlines too
    return app


@contextlib.contextmanager
def serving_in_thread(app: web.Application) -> Iterator[str]:
    """``app`` on 127.0.0.1, served from its own loop in a thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hostile-qonto", daemon=True)
    thread.start()
    runner = web.AppRunner(app)

    async def up() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    try:
        port = asyncio.run_coroutine_threadsafe(up(), loop).result(10)
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextlib.contextmanager
def hostile_qonto(hostile_ids: list[str]) -> Iterator[tuple[FakeQonto, str]]:
    """A fake whose first supplier invoices carry ``hostile_ids`` as attachment ids; yields
    the fake and the base URL answering them."""
    server = FakeQonto(seed=3, clients=2, client_invoices=2, supplier_invoices=12)
    with server.running_in_thread() as fake:
        records = [fake.record("supplier_invoices", i) for i in fake.ids("supplier_invoices")]
        renames = {r["attachment_id"]: new for r, new in zip(records, hostile_ids, strict=False)}
        with serving_in_thread(hostile_app(fake, renames)) as base_url:
            yield fake, base_url


def sync_attachments(fake: FakeQonto, base_url: str, db: Path, folder: Path) -> Result:
    env = {"QONTO_LOGIN": fake.login, "QONTO_SECRET_KEY": fake.secret_key}
    args = ["sync", "--no-progress", "--db", str(db), "--resources", "supplier-invoices"]
    return CliRunner().invoke(
        cli, [*args, "--attachments", str(folder)], env={**env, "QONTO_BASE_URL": base_url}
    )


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def assert_all_inside(tmp_path: Path, folder: Path, db: Path, ids: list[str]) -> None:
    written = files_under(tmp_path) - {db, tmp_path / f"{db.name}.lock"}
    outside = [p for p in written if not p.is_relative_to(folder)]
    assert outside == []
    resource_folder = folder / "supplier_invoices"
    assert [p for p in resource_folder.iterdir() if not p.is_file()] == []  # flat: no folders
    assert len(list(resource_folder.iterdir())) == 12
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = dict(conn.execute("SELECT id, file FROM attachments").fetchall())
    for attachment_id in ids:
        file = Path(stored[attachment_id])
        assert file.parent == resource_folder
        assert file.read_bytes().startswith(b"%PDF")
        if "~" in file.name:  # too long for a name: a prefix and a hash of the id
            assert len(file.name) < 130
        else:  # the name says which attachment it is
            assert unquote(file.name.removesuffix(".pdf")) == attachment_id


def test_attachment_ids_never_lead_outside_the_folder(tmp_path: Path) -> None:
    ids = [
        "../../escaped",
        str(tmp_path / "absolute" / "x"),
        "sub/dir/x",
        "..",
        ".",
        "%2e%2e%2fpercent",
        ".hidden",
        "UPPER case.pdf",
    ]
    db, folder = tmp_path / "l.sqlite", tmp_path / "files"
    with hostile_qonto(ids) as (fake, base_url):
        result = sync_attachments(fake, base_url, db, folder)
        assert result.exit_code == 0, (result.output, result.exc_info)
        assert "12 attachments" in result.stderr
        assert_all_inside(tmp_path, folder, db, ids)
        again = sync_attachments(fake, base_url, db, folder)  # the names are found again
        assert "0 attachments" in again.stderr, again.output


def test_control_characters_in_attachment_ids_are_no_traceback(tmp_path: Path) -> None:
    ids = ["nul\x00id", "new\nline", "tab\tand space", "café-€", "back\\slash", "x" * 400]
    db, folder = tmp_path / "l.sqlite", tmp_path / "files"
    with hostile_qonto(ids) as (fake, base_url):
        result = sync_attachments(fake, base_url, db, folder)
    assert result.exit_code == 0, (result.output, result.exc_info)
    assert_all_inside(tmp_path, folder, db, ids)


# -- folders that cannot take the files (defect 14) ----------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=7, clients=12, client_invoices=20, supplier_invoices=90)
    with server.running_in_thread() as running:
        yield running


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tiny tmpfs at ``path`` (root only; skipped where mounting is not allowed)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


@contextlib.contextmanager
def read_only_folder(path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:  # permissions stop anyone but root
        path.mkdir()
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    with tmpfs(path, "ro,size=64k") as mounted:
        yield mounted


def attachments_args(db: Path, folder: Path) -> tuple[str, ...]:
    return ("--db", str(db), "--resources", "supplier-invoices", "--attachments", str(folder))


def test_a_read_only_folder_is_one_line(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    with read_only_folder(tmp_path / "ro") as folder:
        result = run_sync(fake, *attachments_args(db, folder))
        assert_one_line_failure(result, 1, str(folder))
        assert list(folder.rglob("*")) == []


def test_a_folder_under_a_file_is_one_line(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    (tmp_path / "a-file").write_text("not a folder")
    folder = tmp_path / "a-file" / "files"
    result = run_sync(fake, *attachments_args(db, folder))
    assert_one_line_failure(result, 1, str(folder))


def test_a_full_disk_is_one_line_and_leaves_no_partial_file(
    fake: FakeQonto, tmp_path: Path
) -> None:
    db = tmp_path / "l.sqlite"
    with tmpfs(tmp_path / "tiny", "size=64k") as folder:
        result = run_sync(fake, *attachments_args(db, folder))
        assert_one_line_failure(result, 1, "No space left on device")
        written = list(folder.rglob("*.pdf*"))
        assert written  # some fitted
        assert [p for p in written if not p.name.endswith(".pdf")] == []  # no .partial left
        assert [p for p in written if p.stat().st_size == 0] == []
    with contextlib.closing(sqlite3.connect(db)) as conn:  # the records are stored all the same
        assert conn.execute("SELECT COUNT(*) FROM supplier_invoices").fetchone() == (90,)


def test_a_symlink_out_of_the_folder_is_refused(fake: FakeQonto, tmp_path: Path) -> None:
    db, folder, elsewhere = tmp_path / "l.sqlite", tmp_path / "files", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "supplier_invoices").symlink_to(elsewhere)
    result = run_sync(fake, *attachments_args(db, folder))
    assert_one_line_failure(result, 1, str(folder), "outside")
    assert list(elsewhere.iterdir()) == []


def test_what_a_killed_run_left_is_cleaned(fake: FakeQonto, tmp_path: Path) -> None:
    db, folder = tmp_path / "l.sqlite", tmp_path / "files"
    place = folder / "supplier_invoices"
    place.mkdir(parents=True)
    left = [place / ".a-b.pdf.0badcafe.partial", place / "a-b.pdf.partial"]  # ours, old and new
    theirs = place / "notes.partial"
    for path in [*left, theirs]:
        path.write_bytes(b"%PDF-1.4 torn")
    result = run_sync(fake, *attachments_args(db, folder))
    assert result.exit_code == 0, result.output
    assert [path.exists() for path in left] == [False, False]
    assert theirs.exists()
