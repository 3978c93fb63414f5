"""The message parser and the per-socket outbox, on their own; and Hypothesis throwing
arbitrary frames at a live socket, which must answer and stay open."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backlot.workspace.hub import Outbox
from backlot.workspace.protocol import Commit, Heartbeat, LockAcquire, ProtocolError, parse
from tests.workspace.peers import joined

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
kinds = st.sampled_from(["LOCK_ACQUIRE", "COMMIT", "HEARTBEAT", "SHOUT", ""]) | st.text()
payloads = st.fixed_dictionaries(
    {},
    optional={
        "blockId": json_values | st.text(min_size=1, max_size=130),
        "events": json_values | st.lists(json_values, max_size=3),
        "workspaceXml": json_values,
        "token": json_values | st.integers(min_value=-2, max_value=5),
    },
)
messages = st.fixed_dictionaries({}, optional={"t": kinds | json_values, "payload": payloads})
frames = st.text() | st.binary(max_size=64) | messages.map(json.dumps) | json_values.map(json.dumps)


@given(frames)
@settings(max_examples=600)
def test_parse_returns_a_message_or_a_protocol_error(frame: str | bytes) -> None:
    outcome: object
    try:
        outcome = parse(frame)
    except ProtocolError as exc:
        outcome = exc
    if isinstance(outcome, ProtocolError):
        codes = {"invalid_json", "invalid_message", "unknown_type", "validation_failed"}
        assert outcome.code in codes and outcome.message
    else:
        assert isinstance(outcome, LockAcquire | Commit | Heartbeat)


@given(st.text(min_size=1, max_size=128), st.lists(json_values, max_size=3))
def test_valid_messages_round_trip(block_id: str, events: list[Any]) -> None:
    frame = json.dumps({"t": "COMMIT", "payload": {"blockId": block_id, "events": events}})
    message = parse(frame)
    assert isinstance(message, Commit)
    assert (message.blockId, message.events, message.token) == (block_id, events, None)
    assert isinstance(parse('{"t": "HEARTBEAT"}'), Heartbeat)  # payload may be left out


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"t": "LOCK_ACQUIRE", "payload": {"blockId": true}}', "validation_failed"),
        (
            '{"t": "COMMIT", "payload": {"blockId": "b", "events": [], "token": 0}}',
            "validation_failed",
        ),
        (
            '{"t": "COMMIT", "payload": {"blockId": "b", "events": [], "token": 1.5}}',
            "validation_failed",
        ),
        ('{"t": "COMMIT", "payload": {"blockId": "b"}}', "validation_failed"),
        ("null", "invalid_message"),
        ("", "invalid_json"),
    ],
)
def test_parse_refuses(frame: str, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(frame)
    assert refused.value.code == code


async def test_outbox_holds_events_until_open_then_drops_a_laggard_once() -> None:
    drops: list[int] = []
    outbox = Outbox(limit=3, on_drop=lambda: drops.append(1))
    outbox.offer(4, "old")  # arrives while the state is read: held
    outbox.offer(6, "new")
    outbox.open(5, ["STATE"])  # the state covers events up to 5
    assert [outbox.queue.get_nowait() for _ in range(outbox.queue.qsize())] == ["STATE", "new"]
    for seq in range(7, 10):
        outbox.offer(seq, f"e{seq}")
    outbox.offer(10, "one too many")
    outbox.offer(11, "and another")
    assert drops == [1]
    outbox.reply("ERROR")  # replies are never refused
    assert outbox.queue.qsize() == 4


@given(st.lists(frames, min_size=1, max_size=15))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_live_socket_survives_any_frames(server: str, batch: list[str | bytes]) -> None:
    async def run() -> None:
        async with joined(server, "fuzz", "fuzzer") as peer:
            for frame in batch:
                await peer.send_raw(frame)
            await peer.send("LOCK_ACQUIRE", {"blockId": f"alive-{peer.client_id}"})
            update = await peer.expect(
                "LOCK_UPDATE", lambda p: p["blockId"] == f"alive-{peer.client_id}"
            )
            assert update["owner"] == peer.client_id
            assert peer.closed is None
            errors = [f["payload"] for f in peer.frames if f["t"] == "ERROR"]
            assert all(e["code"] != "commit_failed" for e in errors), errors

    asyncio.run(run())
