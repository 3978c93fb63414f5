"""A wrk-like load generator in Python that costs the machine little: raw HTTP/1.1
keep-alive requests on asyncio (uvloop), spread over several processes. Only the standard
library and orjson are imported here, so the processes start fast.

Each connection sends one request, waits for its answer, and sends the next, for a fixed
window that opens at the same moment in every process (after each connection answered one
untimed warm-up request). Answers slower than 2 s are counted as timeouts, as wrk does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from array import array
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

TIMEOUT_SECONDS = 2.0  # wrk's default
GIVE_UP_SECONDS = 30.0
SLOW_SECONDS = 0.5  # when such answers were asked for is reported (stalls)


@dataclass(frozen=True)
class Plan:
    host: str
    port: int
    path: str
    # per connection: an extra header line ("" or "Authorization: ...\r\n") and a user id
    users: list[tuple[str, str]]
    project_id: int
    seed: bool  # the seed's body (user_id) instead of Backlot's (switch: true)
    run: str  # makes every file name of the run fresh
    seconds: float


def _request(plan: Plan, index: int, serial: int) -> bytes:
    header, user = plan.users[index]
    name = f"{plan.run}-c{index}-{serial}.jpg"
    fields: dict[str, Any] = {"project_id": plan.project_id, "file_name": name}
    if plan.seed:
        fields["user_id"] = user
    else:
        fields["switch"] = True
    body = orjson.dumps(fields)
    head = (
        f"POST {plan.path} HTTP/1.1\r\nHost: {plan.host}:{plan.port}\r\n"
        f"{header}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        raise RuntimeError(f"no content-length in {head!r}")
    end = lowered.find(b"\r\n", at + 2)
    await reader.readexactly(int(lowered[at + 17 : end]))
    return status


class _Connection:
    def __init__(self, plan: Plan, index: int) -> None:
        self.plan, self.index, self.serial = plan, index, 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self) -> int:
        assert self.reader is not None and self.writer is not None
        self.serial += 1
        self.writer.write(_request(self.plan, self.index, self.serial))
        return await asyncio.wait_for(_answer(self.reader), GIVE_UP_SECONDS)

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.plan.host, self.plan.port)
        status = await self.call()
        if status != 200:
            raise RuntimeError(f"the warm-up request was answered {status}")

    async def run(
        self, until: float, latencies: array[float], tally: dict[str, int], slow: array[float]
    ) -> None:
        clock = time.perf_counter
        while True:
            started = clock()
            try:
                status = await self.call()
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed the connection: counted, then a new one (as wrk does).
                tally["errors"] += 1
                tally["reconnects"] += 1
                self.reader, self.writer = await asyncio.open_connection(
                    self.plan.host, self.plan.port
                )
                continue
            ended = clock()
            if ended > until:
                break  # answered after the window closed: not counted, as wrk does
            took = ended - started
            latencies.append(took)
            if took > TIMEOUT_SECONDS:
                tally["timeouts"] += 1
            if took > SLOW_SECONDS:
                slow.append(time.time() - took)
            if status != 200:
                tally["errors"] += 1
        assert self.writer is not None
        self.writer.close()


def _process(plan: Plan, pipe: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    latencies: array[float] = array("d")
    slow: array[float] = array("d")
    tally = {"timeouts": 0, "errors": 0, "reconnects": 0}

    async def main() -> None:
        connections = [_Connection(plan, i) for i in range(len(plan.users))]
        await asyncio.gather(*(c.open() for c in connections))
        pipe.send("ready")
        start_at = await asyncio.to_thread(pipe.recv)  # time.time() of the window's start
        await asyncio.sleep(max(0.0, start_at - time.time()))
        until = time.perf_counter() + plan.seconds
        await asyncio.gather(*(c.run(until, latencies, tally, slow) for c in connections))

    try:
        asyncio.run(main())
        pipe.send((latencies.tobytes(), tally, slow.tolist(), None))
    except Exception as exc:  # reported by the parent
        pipe.send((b"", tally, [], repr(exc)))


def run_load(
    base: str,
    path: str,
    users: list[tuple[str, str]],
    project_id: int,
    *,
    seed: bool,
    processes: int,
    seconds: float,
) -> tuple[list[float], dict[str, int]]:
    """Latencies (s) of the answers within the window, and counts of timeouts and non-200s.
    `users` are split round-robin among `processes`."""
    parts = urlsplit(base)
    assert parts.hostname is not None and parts.port is not None
    context = multiprocessing.get_context("spawn")
    run = uuid.uuid4().hex[:6]
    pipes, workers = [], []
    for number in range(processes):
        plan = Plan(
            parts.hostname,
            parts.port,
            path,
            users[number::processes],
            project_id,
            seed,
            f"{run}p{number}",
            seconds,
        )
        mine, theirs = context.Pipe()
        worker = context.Process(target=_process, args=(plan, theirs), daemon=True)
        worker.start()
        pipes.append(mine)
        workers.append(worker)
    problems = []
    for pipe in pipes:
        said = pipe.recv()
        if said != "ready":
            problems.append(said[3])
    if problems:
        raise RuntimeError(f"load processes failed: {problems}")
    start_at = time.time() + 0.2
    for pipe in pipes:
        pipe.send(start_at)
    latencies: list[float] = []
    tally = {"timeouts": 0, "errors": 0, "reconnects": 0}
    slow: list[float] = []
    for pipe, worker in zip(pipes, workers, strict=True):
        raw, counts, slow_here, problem = pipe.recv()
        slow += [at - start_at for at in slow_here]
        worker.join()
        if problem:
            problems.append(problem)
        chunk: array[float] = array("d")
        chunk.frombytes(raw)
        latencies += chunk.tolist()
        for key in tally:
            tally[key] += counts[key]
    if problems:
        raise RuntimeError(f"load processes failed: {problems}")
    if slow:
        moments = sorted({round(at, 1) for at in slow})
        print(f"  answers over {SLOW_SECONDS} s were asked for at t = {moments} s", flush=True)
    return latencies, tally
