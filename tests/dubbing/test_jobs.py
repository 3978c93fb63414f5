"""Attempts end to end on a real server (embedded shape: the queue runs jobs in the API
process): upload, 202, SSE events in order, result; resume; bad input; who may look."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.analysis.voices import FIXTURES, noise
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import events, practice, upload, wav_bytes
from tests.helpers import running_server

ATTEMPT = (FIXTURES / "line_high.ogg").read_bytes()
STAGES = ["queued", "decoding", "analysing", "completed"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dubbing")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[str]:
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_DUBBING_MAX_AUDIO_SECONDS": "30",
    }
    with running_server(folder, env) as base:
        yield base


def rows(folder: Path, table: str) -> int:
    with sqlite3.connect(folder / "var" / "backlot.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def objects(folder: Path) -> int:
    return sum(1 for p in (folder / "var" / "objects" / "data").rglob("*") if p.is_file())


async def test_upload_runs_a_job_whose_events_arrive_in_order(server: str) -> None:
    p = await practice(server)

    async def attempts() -> int:
        async with httpx.AsyncClient(base_url=server) as http:
            popular = await http.get("/v1/scripts?sort=popular&limit=100", headers=p.headers)
        return next(s["attempts"] for s in popular.json()["items"] if s["id"] == p.script_id)

    assert await attempts() == 0  # now cached
    accepted = await upload(p, ATTEMPT)
    assert accepted.status_code == 202, accepted.text
    assert await attempts() == 1  # the count moved: the cached list was dropped
    body = accepted.json()
    assert body["state"] == "queued" and len(body["job_id"]) == 32
    heard = await events(server, body["progress_url"])  # its token: no header needed
    ids = [int(e["id"]) for e in heard]
    assert ids == sorted(set(ids))
    stages = [e["event"] for e in heard]
    assert stages[-1] == "completed"
    assert stages == [s for s in STAGES if s in stages]  # a late client starts mid-way
    progress = [e["data"]["progress"] for e in heard]
    assert progress == sorted(progress) and progress[-1] == 100
    final = heard[-1]["data"]
    async with httpx.AsyncClient(base_url=server) as http:
        result = await http.get(body["result_url"], headers=p.headers)
    assert result.status_code == 200
    assert result.json()["state"] == "completed"
    assert result.json()["scores"] == final["scores"]
    assert result.json()["scores"]["pronunciation"] >= 60  # the same line, another voice
    feedback = result.json()["detailed_feedback"]
    assert feedback["remarks"] and feedback["contours"]["reference_pitch"]

    # Resume: after event 1, exactly the rest; after the last, the end again.
    rest = await events(server, body["progress_url"], {"Last-Event-ID": "1"})
    assert [int(e["id"]) for e in rest] == list(range(2, ids[-1] + 1))
    assert [e["event"] for e in rest] == STAGES[1:]
    again = await events(server, body["progress_url"], {"Last-Event-ID": str(ids[-1])})
    assert [e["event"] for e in again] == ["completed"]
    # Bearer works as well as the URL's token.
    plain = body["progress_url"].split("?")[0]
    assert [e["event"] for e in await events(server, plain, p.headers)] == ["completed"]


async def test_a_recording_without_speech_fails_with_a_reason(server: str) -> None:
    p = await practice(server)
    accepted = await upload(p, wav_bytes(noise(3.0)), "noise.wav")
    assert accepted.status_code == 202
    heard = await events(server, accepted.json()["progress_url"])
    assert heard[-1]["event"] == "failed"
    assert "no voiced speech" in heard[-1]["data"]["reason"]
    assert heard[-1]["data"]["tries"] == 1  # no retry can fix that
    async with httpx.AsyncClient(base_url=server) as http:
        result = await http.get(accepted.json()["result_url"], headers=p.headers)
    assert result.json()["state"] == "failed" and result.json()["scores"] is None


async def test_only_the_owner_sees_a_job(server: str) -> None:
    p = await practice(server)
    accepted = (await upload(p, ATTEMPT)).json()
    job = accepted["job_id"]
    async with httpx.AsyncClient(base_url=server) as http:
        mine = await http.get(f"/v1/tokens/analysis-audio/{job}", headers=p.headers)
        assert mine.status_code == 200 and mine.content == ATTEMPT
        for url in (
            f"/v1/tokens/analysis-result/{job}",
            f"/v1/tokens/analysis-progress/{job}",
            f"/v1/tokens/analysis-audio/{job}",
        ):
            hidden = await http.get(url, headers=p.other)
            assert (hidden.status_code, hidden.json()["code"]) == (404, "job_not_found")
        unknown = await http.get("/v1/tokens/analysis-result/" + "0" * 32, headers=p.headers)
        assert unknown.status_code == 404
        garbage = await http.get("/v1/tokens/analysis-result/not-a-job%00", headers=p.headers)
        assert (garbage.status_code, garbage.json()["code"]) == (422, "validation_failed")
        anonymous = await http.get(f"/v1/tokens/analysis-progress/{job}")
        assert anonymous.status_code == 401
        other = (await upload(p, ATTEMPT)).json()
        token = other["progress_url"].split("token=")[1]
        swapped = await http.get(f"/v1/tokens/analysis-progress/{job}?token={token}")
        assert (swapped.status_code, swapped.json()["code"]) == (401, "invalid_token")
    await events(server, accepted["progress_url"])
    await events(server, other["progress_url"])


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, "empty_file"),
        (b"not audio at all, just text with a .webm name", 415, "unsupported_media_type"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\xff" * 300, 422, "unreadable_audio"),
        (b"ID3\x03\x00" + bytes(range(256)) * 4, 422, "unreadable_audio"),
    ],
)
async def test_bad_recordings_leave_no_object_job_or_row(
    server: str, folder: Path, data: bytes, status: int, code: str
) -> None:
    p = await practice(server)
    jobs, stored = rows(folder, "dubbing_job"), objects(folder)
    refused = await upload(p, data)
    assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    assert (rows(folder, "dubbing_job"), objects(folder)) == (jobs, stored)


async def test_too_long_and_too_big_recordings_are_refused(server: str, folder: Path) -> None:
    p = await practice(server)
    jobs, stored = rows(folder, "dubbing_job"), objects(folder)
    long = np.zeros(31 * 16000, np.float32)  # 31 s, the server's limit is 30 s
    refused = await upload(p, wav_bytes(long), "long.wav")
    assert (refused.status_code, refused.json()["code"]) == (422, "audio_too_long")
    big = await upload(p, b"RIFF" + b"\x00" * (51 * 1024 * 1024))
    assert (big.status_code, big.json()["code"]) == (413, "payload_too_large")
    assert (rows(folder, "dubbing_job"), objects(folder)) == (jobs, stored)


async def test_a_line_without_reference_audio_cannot_be_attempted(server: str) -> None:
    p = await practice(server)
    async with httpx.AsyncClient(base_url=server) as http:
        bare = await http.post(
            f"/v1/scripts/{p.script_id}/tokens", json={"text": "Silent"}, headers=p.admin
        )
    p.line_id = bare.json()["id"]
    refused = await upload(p, ATTEMPT)
    assert (refused.status_code, refused.json()["code"]) == (409, "no_reference")
    p.line_id = 999_999
    missing = await upload(p, ATTEMPT)
    assert (missing.status_code, missing.json()["code"]) == (404, "token_not_found")


@pytest.mark.parametrize("last", [b"\xb2", "\u0661".encode(), b"-3", b"9" * 40])
async def test_a_garbage_last_event_id_is_no_id(server: str, last: bytes) -> None:
    """Whatever a client (or an attacker) sends as Last-Event-ID: the stream starts as for
    a client without one, never a 500."""
    p = await practice(server)
    accepted = (await upload(p, ATTEMPT)).json()
    done = await events(server, accepted["progress_url"])
    assert done[-1]["event"] == "completed"
    again = await events(server, accepted["progress_url"], {"Last-Event-ID": last})  # type: ignore[dict-item]
    assert [e["event"] for e in again] == ["completed"]
    assert again[0]["id"] == done[-1]["id"]
