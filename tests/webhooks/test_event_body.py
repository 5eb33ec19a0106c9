"""``event_body(event)``: the delivery an event was decoded from, byte for byte, kept only as
long as the event lives."""

from __future__ import annotations

import gc
import time
import weakref

from qonto_async import Client
from qonto_async.webhooks import ClientUpdated, decode_event, event_body, sign, verify

SECRET = "whsec_event_body_event_body_event_body_0"
BODY = b'{"id":"e-1","type":"v1/clients","data":{"event":"updated","id":"c-1","x_new":  1}}'


def test_a_verified_event_gives_back_its_body_byte_for_byte() -> None:
    event = verify(BODY, sign(BODY, SECRET, int(time.time())), SECRET)
    assert isinstance(event, ClientUpdated)
    assert event_body(event) == BODY  # spacing and the field the model does not know kept


def test_an_event_built_in_code_has_no_body() -> None:
    assert event_body(ClientUpdated(id="e-2", data=Client(id="c-2"))) is None


def test_keeping_the_body_keeps_no_event_alive() -> None:
    event = decode_event(BODY)
    alive = weakref.ref(event)
    del event
    gc.collect()
    assert alive() is None
