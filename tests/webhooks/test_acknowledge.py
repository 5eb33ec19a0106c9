"""When the receiver answers: at once (the default), or once the handler is done
(``acknowledge="after_handling"``), so that a failed handler is redelivered by Qonto; and an
``on_error`` that raises is logged, never an unretrieved task exception."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import pytest

from qonto_async.webhooks import WebhookEvent, WebhookReceiver

from .test_receiver import SECRET, SERVERS, Mount, delivery, post


async def receive(receiver: WebhookReceiver, event_id: str) -> tuple[int, str, dict[str, str]]:
    body, headers = delivery(event_id)
    reply = await receiver.receive(body, headers["X-Qonto-Signature"])
    return reply.status, reply.body, reply.headers


async def settle(receiver: WebhookReceiver) -> None:
    """Until no handler runs, without ``drain()`` (which would retrieve task exceptions)."""
    for _ in range(500):  # bounded: up to about 5 s
        if receiver.pending == 0:
            break
        await asyncio.sleep(0.01)
    for _ in range(3):
        await asyncio.sleep(0)  # let done-callbacks run
    gc.collect()


@pytest.mark.parametrize("mount", SERVERS)
async def test_after_handling_answers_200_only_once_the_handler_succeeded(mount: Mount) -> None:
    handled: list[str] = []

    async def handler(event: WebhookEvent) -> None:
        await asyncio.sleep(0.05)
        handled.append(event.id)

    receiver = WebhookReceiver(
        SECRET, handler, acknowledge="after_handling", handler_timeout=30
    )  # a generous timeout: this busy machine's scheduling is not what is tested
    async with mount(receiver) as url:
        status, text, _ = await post(url, *delivery("e1"))
        assert (status, text) == (200, "ok")
        assert handled == ["e1"]  # done before the answer: no drain() needed
        assert (await post(url, *delivery("e1")))[:2] == (200, "duplicate")
    await receiver.aclose()
    assert handled == ["e1"]
    assert (receiver.stats.accepted, receiver.stats.handled, receiver.stats.duplicates) == (1, 1, 1)


@pytest.mark.parametrize("mount", SERVERS)
async def test_after_handling_a_handler_that_raises_is_answered_500_and_runs_again(
    mount: Mount,
) -> None:
    calls: list[str] = []
    failures: list[BaseException] = []

    async def flaky(event: WebhookEvent) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("database down")

    receiver = WebhookReceiver(
        SECRET,
        flaky,
        acknowledge="after_handling",
        handler_timeout=30,
        on_error=lambda e, x: failures.append(x),
    )
    async with mount(receiver) as url:
        status, text, _ = await post(url, *delivery("e2"))
        assert status == 500
        assert "database down" not in text  # the handler's error stays in this process
        assert [str(f) for f in failures] == ["database down"]  # reported before the answer
        assert (await post(url, *delivery("e2")))[:2] == (200, "ok")  # not a "duplicate"
        assert (await post(url, *delivery("e2")))[:2] == (200, "duplicate")
    await receiver.aclose()
    assert calls == ["e2", "e2"]
    assert (receiver.stats.failed, receiver.stats.handled) == (1, 1)


async def test_after_handling_a_handler_past_its_timeout_is_cancelled_and_answered_503() -> None:
    outcomes: list[str] = []
    failures: list[BaseException] = []

    async def handler(event: WebhookEvent) -> None:
        if not outcomes:
            try:
                await asyncio.Event().wait()  # stuck
            except asyncio.CancelledError:
                outcomes.append("cancelled")
                raise
        outcomes.append("handled")

    receiver = WebhookReceiver(
        SECRET,
        handler,
        acknowledge="after_handling",
        handler_timeout=0.2,
        retry_after=11,
        on_error=lambda e, x: failures.append(x),
    )
    status, text, headers = await receive(receiver, "e3")
    assert (status, headers) == (503, {"Retry-After": "11"})
    assert "0.2" in text
    assert outcomes == ["cancelled"]
    assert receiver.pending == 0
    assert [type(f) for f in failures] == [TimeoutError]
    assert (await receive(receiver, "e3"))[:2] == (200, "ok")  # the redelivery runs it
    await receiver.aclose()
    assert outcomes == ["cancelled", "handled"]
    assert (receiver.stats.timed_out, receiver.stats.failed, receiver.stats.handled) == (1, 1, 1)


@pytest.mark.parametrize("succeeds", [True, False])
async def test_after_handling_a_concurrent_duplicate_waits_for_the_first(succeeds: bool) -> None:
    calls: list[str] = []

    async def handler(event: WebhookEvent) -> None:
        calls.append(event.id)
        await asyncio.sleep(0.05)
        if not succeeds:
            raise RuntimeError("no")

    receiver = WebhookReceiver(
        SECRET,
        handler,
        acknowledge="after_handling",
        handler_timeout=30,
        on_error=lambda e, x: None,
    )
    first, second = await asyncio.gather(receive(receiver, "e4"), receive(receiver, "e4"))
    await receiver.aclose()
    assert calls == ["e4"]
    if succeeds:
        assert [first[:2], second[:2]] == [(200, "ok"), (200, "duplicate")]
    else:
        assert first[0] == 500
        assert second[0] == 503  # not handled: Qonto must deliver it again
        assert "Retry-After" in second[2]


class SharedStore:
    def __init__(self) -> None:
        self.claimed: set[str] = set()
        self.log: list[str] = []

    async def claim(self, event_id: str) -> bool:
        await asyncio.sleep(0)
        if event_id in self.claimed:
            return False
        self.claimed.add(event_id)
        return True

    async def forget(self, event_id: str) -> None:
        await asyncio.sleep(0.01)
        self.claimed.discard(event_id)
        self.log.append(f"forgot {event_id}")


async def test_after_handling_with_a_shared_store_releases_the_claim_before_answering() -> None:
    store = SharedStore()

    async def failing(event: WebhookEvent) -> None:
        raise RuntimeError("no")

    receiver = WebhookReceiver(
        SECRET,
        failing,
        acknowledge="after_handling",
        handler_timeout=30,
        seen=store,
        on_error=lambda e, x: None,
    )
    status, _, _ = await receive(receiver, "e5")
    assert status == 500
    assert store.log == ["forgot e5"]  # a redelivery to another process can claim it now
    assert store.claimed == set()
    await receiver.aclose()


def catch_loop_errors() -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
    return errors


@pytest.mark.parametrize("acknowledge", ["on_receipt", "after_handling"])
async def test_an_on_error_that_raises_is_logged_never_an_unretrieved_task_exception(
    acknowledge: Any, caplog: pytest.LogCaptureFixture
) -> None:
    loop_errors = catch_loop_errors()

    async def failing(event: WebhookEvent) -> None:
        raise RuntimeError("handler broke")

    def broken_hook(event: WebhookEvent, error: BaseException) -> None:
        raise ValueError("the hook broke too")

    receiver = WebhookReceiver(
        SECRET, failing, on_error=broken_hook, acknowledge=acknowledge, handler_timeout=30
    )
    with caplog.at_level(logging.ERROR, logger="qonto_async.webhooks"):
        status, _, _ = await receive(receiver, "e6")
        await settle(receiver)
    await receiver.aclose()
    assert status == (200 if acknowledge == "on_receipt" else 500)
    assert [c.get("message") for c in loop_errors] == []
    hook_records = [r for r in caplog.records if "on_error" in r.getMessage()]
    assert len(hook_records) == 1
    assert hook_records[0].exc_info is not None
    assert isinstance(hook_records[0].exc_info[1], ValueError)
    assert receiver.stats.failed == 1


async def test_an_async_on_error_is_awaited() -> None:
    reported: list[str] = []

    async def failing(event: WebhookEvent) -> None:
        raise RuntimeError("handler broke")

    async def hook(event: WebhookEvent, error: BaseException) -> None:
        await asyncio.sleep(0)
        reported.append(str(error))

    receiver = WebhookReceiver(SECRET, failing, on_error=hook)
    await receive(receiver, "e7")
    await receiver.drain()
    await receiver.aclose()
    assert reported == ["handler broke"]


def test_acknowledge_and_handler_timeout_are_checked() -> None:
    async def handler(event: WebhookEvent) -> None:
        return None

    with pytest.raises(ValueError, match="acknowledge"):
        WebhookReceiver(SECRET, handler, acknowledge="later")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="handler_timeout"):
        WebhookReceiver(SECRET, handler, acknowledge="after_handling", handler_timeout=0)
