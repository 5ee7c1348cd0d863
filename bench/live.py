"""Live pages under load: N open event streams on one version while notes are posted at a steady
rate, against the same posts with no stream open (the baseline, in the same run).

Each note's body carries its sequence number; a stream's delivery latency is the time from the
start of the POST that wrote the note to the moment that stream read the event. The web
processes' memory (RSS of the gunicorn tree) is sampled in both phases.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from collections.abc import Callable

import requests

from bench import seed as seeding
from bench.stack import Service, mib

MARK = "live-bench #"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Poster:
    """Posts `rate` notes a second for `seconds` from a few threads; remembers when each started."""

    def __init__(
        self, *, port: int, token: str, version_id: int, rate: float, seconds: float, tag: str
    ) -> None:
        self.url = f"http://127.0.0.1:{port}/api/v1/versions/{version_id}/comments/"
        self.headers = {"Authorization": f"Token {token}"}
        self.rate, self.seconds, self.tag = rate, seconds, tag
        self.sent: dict[int, float] = {}
        self.post_ms: list[float] = []
        self.errors = 0
        self._lock = threading.Lock()

    def run(self) -> None:
        total = int(self.rate * self.seconds)
        start = time.monotonic()
        slots = iter(range(total))

        def work() -> None:
            session = requests.Session()
            for index in slots:
                due = start + index / self.rate
                time.sleep(max(0.0, due - time.monotonic()))
                began = time.monotonic()
                with self._lock:
                    self.sent[index] = began
                try:
                    answer = session.post(
                        self.url, json={"body": f"{MARK}{self.tag}-{index}"}, headers=self.headers, timeout=30
                    )
                    ok = answer.status_code == 201
                except requests.RequestException:
                    ok = False
                with self._lock:
                    self.post_ms.append((time.monotonic() - began) * 1000)
                    self.errors += not ok

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


async def follow(
    port: int, token: str, version_id: int, received: list[tuple[str, float]], ready, stop
) -> int:
    """One EventSource-like client: the (note tag, arrival time) of every note event it reads."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    writer.write(
        (
            f"GET /api/v1/versions/{version_id}/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Token {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = (await reader.readline()).decode()
    if " 200 " not in status:
        writer.close()
        return 0
    ready()
    count = 0
    try:
        while not stop.is_set():
            try:
                line = await asyncio.wait_for(reader.readline(), 1)
            except TimeoutError:
                continue
            if not line:
                break
            if line.startswith(b"data: ") and MARK.encode() in line:
                arrived = time.monotonic()
                excerpt = json.loads(line[6:])["payload"]["comment"]["excerpt"]
                received.append((excerpt.removeprefix(MARK), arrived))
                count += 1
    finally:
        writer.close()
    return count


def phase(
    web: Service, data: seeding.Seeded, *, port: int, streams: int, rate: float, seconds: float, tag: str
):
    received: list[tuple[str, float]] = []
    poster = Poster(
        port=port, token=data.tokens["bob"], version_id=data.version_id, rate=rate, seconds=seconds, tag=tag
    )
    memory: list[int] = []

    async def main() -> dict:
        stop = asyncio.Event()
        opened = 0

        def ready() -> None:
            nonlocal opened
            opened += 1

        clients = [
            asyncio.create_task(follow(port, data.tokens["alice"], data.version_id, received, ready, stop))
            for _ in range(streams)
        ]
        deadline = time.monotonic() + 30
        while opened < streams and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        idle_rss = web.sampler.current()
        web.sampler.reset()
        posting = asyncio.get_running_loop().run_in_executor(None, poster.run)
        while not posting.done():
            memory.append(web.sampler.current())
            await asyncio.sleep(0.5)
        await posting
        await asyncio.sleep(2)  # the last notes' delivery
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        return {"opened": opened, "idle_rss": idle_rss}

    outcome = asyncio.run(main())
    latencies = []
    for note, arrived in received:
        note_tag, _, index = note.rpartition("-")
        if note_tag == tag and int(index) in poster.sent:
            latencies.append((arrived - poster.sent[int(index)]) * 1000)
    expected = len(poster.sent) * outcome["opened"]
    return {
        "streams": outcome["opened"],
        "notes": len(poster.sent),
        "post_errors": poster.errors,
        "post_p50_ms": round(percentile(poster.post_ms, 0.5), 1),
        "post_p99_ms": round(percentile(poster.post_ms, 0.99), 1),
        "delivered": len(latencies),
        "expected_deliveries": expected,
        "delivery_p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "delivery_p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "web_rss_idle_mib": round(mib(outcome["idle_rss"]), 1),
        "web_rss_peak_mib": round(mib(web.sampler.peak), 1),
        "web_rss_mean_mib": round(mib(statistics.fmean(memory)), 1) if memory else None,
    }


def run(
    web: Service, *, port: int, streams: int, rate: float, seconds: float, log: Callable[[str], None]
) -> dict:
    data = seeding.seed()
    log(f"Baseline: {rate:g} notes/s for {seconds:g} s, no stream open")
    baseline = phase(web, data, port=port, streams=0, rate=rate, seconds=seconds, tag="base")
    log(f"  {baseline}")
    log(f"Live: the same posts with {streams} streams open on the version")
    loaded = phase(web, data, port=port, streams=streams, rate=rate, seconds=seconds, tag="live")
    log(f"  {loaded}")
    return {"rate": rate, "seconds": seconds, "baseline": baseline, "live": loaded}
