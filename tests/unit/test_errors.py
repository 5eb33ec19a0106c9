"""The exception tree: pickling, copying, bounded messages."""

from __future__ import annotations

import copy
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from qonto_async import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ErrorDetail,
    EventLoopMismatchError,
    InternalServerError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    QontoError,
    RateLimitError,
    UnprocessableEntityError,
)
from qonto_async.errors import status_error_class

SECRET = "sk_live_never_in_an_exception"
LONG_ID = "x" * 10_000


def samples() -> list[QontoError]:
    detail = ErrorDetail(code="invalid", detail="must be a date", pointer="/issue_date")
    rate_limited = RateLimitError(
        status=429, method="GET", url="https://q.test/v2/clients", retry_after=2.5
    )
    exhausted = InternalServerError(
        status=503,
        method="GET",
        url="https://q.test/v2/client_invoices/abc",
        errors=[ErrorDetail(code="service_unavailable", detail="later")],
        trace_id="trace-1",
        resource_id="abc",
    )
    exhausted._record_attempts(4)
    return [
        NotFoundError(
            status=404,
            method="GET",
            url="https://q.test/v2/clients/c1",
            errors=[ErrorDetail(code="not_found", detail="Object not found", parameter="id")],
            trace_id="trace-404",
            resource_id="c1",
        ),
        UnprocessableEntityError(
            status=422, method="POST", url="https://q.test/v2/clients", errors=[detail]
        ),
        rate_limited,
        exhausted,
        APIStatusError(status=418, method="GET", url="https://q.test/v2/x", body_excerpt="<html>"),
        APIConnectionError("connection error (ServerDisconnectedError)", method="GET", url="u"),
        APITimeoutError(method="GET", url="https://q.test/v2/clients/c1", resource_id="c1"),
        APIResponseValidationError(
            status=200,
            body_excerpt='{"client": 1}',
            where="Expected `object`, got `int` - at `$.client`",
            method="GET",
            url="https://q.test/v2/clients/c1",
            resource_id="c1",
            trace_id="trace-2",
        ),
        ClientClosedError(resource_id="c1"),
        EventLoopMismatchError(),
        QontoError("plain"),
    ]


def state(error: QontoError) -> dict[str, Any]:
    return {"type": type(error), "str": str(error), "args": error.args, **vars(error)}


@pytest.mark.parametrize("error", samples(), ids=lambda e: type(e).__name__)
def test_round_trips_through_pickle_and_copy(error: QontoError) -> None:
    for clone in (
        pickle.loads(pickle.dumps(error)),
        copy.copy(error),
        copy.deepcopy(error),
    ):
        assert state(clone) == state(error)
        assert SECRET not in repr(vars(clone))


def _raise_in_child(index: int) -> None:
    raise samples()[index]


def test_errors_cross_a_process_boundary_intact() -> None:
    originals = samples()
    with ProcessPoolExecutor(max_workers=1) as pool:
        for index, original in enumerate(originals):
            with pytest.raises(QontoError) as caught:
                pool.submit(_raise_in_child, index).result(timeout=30)
            assert state(caught.value) == state(original)


def test_status_error_state_carries_every_field() -> None:
    error = pickle.loads(pickle.dumps(samples()[3]))
    assert isinstance(error, InternalServerError)
    assert (error.status, error.code, error.detail) == (503, "service_unavailable", "later")
    assert (error.trace_id, error.method, error.resource_id) == ("trace-1", "GET", "abc")
    assert error.url == "https://q.test/v2/client_invoices/abc"
    assert error.errors == (ErrorDetail(code="service_unavailable", detail="later"),)
    assert error.attempts == 4
    assert "after 4 attempts" in str(error)


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError(
            status=404, method="GET", url="https://q.test/v2/clients/x", resource_id=LONG_ID
        ),
        APIConnectionError(method="GET", url="https://q.test/v2/" + LONG_ID, resource_id=LONG_ID),
        APIResponseValidationError(
            status=200,
            body_excerpt="",
            where="w",
            url="https://q.test/" + LONG_ID,
            resource_id=LONG_ID,
        ),
        ClientClosedError(resource_id=LONG_ID),
    ],
    ids=lambda e: type(e).__name__,
)
def test_messages_repeat_a_bounded_part_of_an_id_or_url(error: QontoError) -> None:
    assert len(str(error)) < 700
    assert "more]" in str(error)
    assert getattr(error, "resource_id", None) == LONG_ID  # the attribute keeps it whole


@pytest.mark.parametrize(
    ("status", "status_class"),
    [
        (400, BadRequestError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (403, PermissionDeniedError),
        (503, InternalServerError),
    ],
)
def test_a_refused_transition_is_caught_by_its_status_class(
    status: int, status_class: type[APIStatusError]
) -> None:
    detail = ErrorDetail(code="invalid_status", detail="not a draft", pointer="/status")
    refused = status_error_class(status)(
        status=status,
        method="POST",
        url="https://q.test/v2/client_invoices/i1/finalize",
        errors=[detail],
        trace_id="t-1",
        resource_id="i1",
    )
    refused._record_attempts(2)
    error = InvalidTransitionError.refusing(refused, transition="finalize", state="paid")
    for clone in (error, pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert isinstance(clone, InvalidTransitionError)
        assert isinstance(clone, status_class)
        assert state(clone) == state(error)
        assert (clone.transition, clone.state, clone.status) == ("finalize", "paid", status)
        assert (clone.trace_id, clone.attempts, clone.code) == ("t-1", 2, "invalid_status")
    with pytest.raises(status_class):  # what `except UnprocessableEntityError:` relies on
        raise error
    if status == 422:
        assert error.field_errors == {"status": "not a draft"}  # type: ignore[attr-defined]


def test_a_refused_transition_of_an_unlisted_status_is_still_one() -> None:
    refused = status_error_class(412)(status=412, method="PATCH", url="https://q.test/v2/quotes/q")
    error = InvalidTransitionError.refusing(refused, transition="update", state="approved")
    assert isinstance(error, InvalidTransitionError)
    assert not isinstance(error, BadRequestError | UnprocessableEntityError | ConflictError)
    assert state(pickle.loads(pickle.dumps(error))) == state(error)
