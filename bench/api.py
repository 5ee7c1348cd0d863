"""The API under load: wrk against gunicorn (2 workers, production settings) for each endpoint,
then the same comment page made in this process by one raw SQL query and a JSON dump.

Queries per request are counted on a one-off request through the whole Django stack in this
process (CaptureQueriesContext); its time is printed too, to tell the server's own work from
HTTP and queueing under load.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from bench import seed as seeding
from bench.stack import Service

PAGE_SIZE = 50  # reviews.pagination's default: the first page of the comment list
WARM_UP_SECONDS = 2
IN_PROCESS_RUNS = 30
BASELINE_RUNS = 300


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    user: str
    body: dict | None = None


def endpoints(data: seeding.Seeded) -> list[Endpoint]:
    version, project = data.version_id, data.project_id
    return [
        Endpoint("comment list, first page", "GET", f"/api/v1/versions/{version}/comments/", "carol"),
        Endpoint("version detail", "GET", f"/api/v1/versions/{version}/", "carol"),
        Endpoint("shot list, 200 shots", "GET", f"/api/v1/projects/{project}/shots/?page_size=200", "carol"),
        # Last: every post adds a top-level comment to the version.
        Endpoint(
            "post a comment",
            "POST",
            f"/api/v1/versions/{version}/comments/",
            "bob",
            {"body": "@alice her hand should hesitate here", "timecode": "00:00:02:00"},
        ),
    ]


_WRK_SCRIPT = """
wrk.method = "{method}"
wrk.headers["Authorization"] = "Token {token}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
{body}
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH {{\\"requests\\": %d, \\"duration_us\\": %d, \\"non_2xx\\": %d, \\"socket_errors\\": %d,"
    .. " \\"p50_us\\": %d, \\"p90_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}}\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def wrk(endpoint: Endpoint, *, token: str, port: int, seconds: int, connections: int) -> dict:
    body = f"wrk.body = {json.dumps(json.dumps(endpoint.body))}" if endpoint.body else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(_WRK_SCRIPT.format(method=endpoint.method, token=token, body=body))
        script.flush()
        command = [
            *("wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name),
            f"http://127.0.0.1:{port}{endpoint.path}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    figures["requests_per_second"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def check_over_http(endpoint: Endpoint, *, token: str, port: int) -> int:
    """One request before the load: a wrong status would make every figure meaningless."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{endpoint.path}",
        method=endpoint.method,
        data=json.dumps(endpoint.body).encode() if endpoint.body else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status not in (200, 201):
            raise RuntimeError(f"{endpoint.name}: HTTP {response.status}")
        return len(response.read())


def in_process(endpoint: Endpoint, *, token: str) -> tuple[int, float]:
    """Queries of one request through the whole Django stack, and its median time in ms."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def request() -> None:
        response = client.generic(
            endpoint.method,
            endpoint.path,
            json.dumps(endpoint.body) if endpoint.body else "",
            content_type="application/json",
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{endpoint.name}: HTTP {response.status_code} {response.content[:300]!r}")

    request()  # warm: connections, caches
    with CaptureQueriesContext(connection) as queries:
        request()
    # Read now: the next request's request_started signal empties the log.
    count = len(queries.captured_queries)
    times = []
    for _ in range(IN_PROCESS_RUNS):
        started = time.perf_counter()
        request()
        times.append(time.perf_counter() - started)
    return count, statistics.median(times) * 1000


_PAGE_SQL = """
WITH page AS (
    SELECT id, row_number() OVER (ORDER BY frame ASC NULLS FIRST, created_at, id) AS position,
           count(*) OVER () AS total
    FROM reviews_comment
    WHERE version_id = %(version)s AND parent_id IS NULL
    ORDER BY position
    LIMIT %(limit)s
)
SELECT page.position, page.total, c.id, c.version_id, c.parent_id,
       c.author_id, author.username, author.first_name, author.last_name, membership.role,
       c.body, c.frame, c.frame_end, c.annotation, c.resolved,
       c.resolved_by_id, resolver.username, resolver.first_name, resolver.last_name,
       c.resolved_at, c.created_at, c.edited_at,
       ARRAY(SELECT u.username FROM reviews_comment_mentions m JOIN auth_user u ON u.id = m.user_id
             WHERE m.comment_id = c.id ORDER BY u.username) AS mentions
FROM page
CROSS JOIN LATERAL (
    SELECT * FROM reviews_comment WHERE id = page.id
    UNION ALL
    SELECT * FROM reviews_comment WHERE thread_id = page.id
) c
LEFT JOIN auth_user author ON author.id = c.author_id
LEFT JOIN reviews_membership membership
       ON membership.user_id = c.author_id AND membership.project_id = %(project)s
LEFT JOIN auth_user resolver ON resolver.id = c.resolved_by_id
ORDER BY page.position, c.created_at, c.id
"""


def _timecode(frame: int | None, rate: int = 24) -> str | None:
    if frame is None:
        return None
    seconds, frames = divmod(frame, rate)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frames:02d}"


def _user(user_id: int | None, username: str, first: str, last: str) -> dict | None:
    if user_id is None:
        return None
    return {"id": user_id, "username": username, "display_name": f"{first} {last}".strip() or username}


def raw_comment_page(cursor, *, version_id: int, project_id: int) -> bytes:
    """The first page of the comment list by hand: one query, the tree put together, one dump."""
    cursor.execute(_PAGE_SQL, {"version": version_id, "project": project_id, "limit": PAGE_SIZE})
    comments, top, total = {}, [], 0
    for row in cursor.fetchall():
        (_, total, pk, version, parent, author_id, username, first, last, role, body, frame, frame_end,
         annotation, resolved, resolver_id, resolver_name, resolver_first, resolver_last,
         resolved_at, created_at, edited_at, mentions) = row  # fmt: skip
        author = _user(author_id, username, first, last)
        if author:
            author["role"] = role
        comment = {
            "id": pk, "version": version, "parent": parent, "author": author, "body": body,
            "frame": frame, "frame_end": frame_end,
            "timecode": _timecode(frame), "timecode_end": _timecode(frame_end),
            "seconds": None if frame is None else frame / 24,
            "seconds_end": None if frame_end is None else frame_end / 24,
            "annotation": annotation, "mentions": mentions, "resolved": resolved,
            "resolved_by": _user(resolver_id, resolver_name, resolver_first, resolver_last),
            "resolved_at": resolved_at and resolved_at.isoformat(),
            "created_at": created_at.isoformat(), "edited_at": edited_at and edited_at.isoformat(),
            "replies": [],
        }  # fmt: skip
        comments[pk] = comment
        if parent is None:
            top.append(comment)
        else:
            comments[parent]["replies"].append(comment)
    page = {
        "count": total,
        "next": "?page=2" if total > PAGE_SIZE else None,
        "previous": None,
        "results": top,
    }
    # Compact, as DRF renders JSON.
    return json.dumps(page, separators=(",", ":")).encode()


def baseline(data: seeding.Seeded) -> tuple[float, int]:
    """Median ms of the raw comment page, and its size in bytes."""
    from django.db import connection

    with connection.cursor() as cursor:
        for _ in range(20):
            page = raw_comment_page(cursor, version_id=data.version_id, project_id=data.project_id)
        times = []
        for _ in range(BASELINE_RUNS):
            started = time.perf_counter()
            raw_comment_page(cursor, version_id=data.version_id, project_id=data.project_id)
            times.append(time.perf_counter() - started)
    comments = sum(1 + _count(thread["replies"]) for thread in json.loads(page)["results"])
    if comments != PAGE_SIZE * (1 + seeding.REPLIES_PER_THREAD):
        raise RuntimeError(f"the raw page has {comments} comments")
    return statistics.median(times) * 1000, len(page)


def _count(replies: list[dict]) -> int:
    return sum(1 + _count(reply["replies"]) for reply in replies)


def run(web: Service, *, port: int, seconds: int, connections: int, log: Callable[[str], None]) -> dict:
    data = seeding.seed()
    raw_ms, raw_bytes = baseline(data)
    log(
        f"  baseline: the comment page by one raw SQL query + json.dumps: p50 {raw_ms:.2f} ms, {raw_bytes} bytes"
    )
    results = []
    for endpoint in endpoints(data):
        token = data.tokens[endpoint.user]
        size = check_over_http(endpoint, token=token, port=port)
        queries, in_process_ms = in_process(endpoint, token=token)
        wrk(endpoint, token=token, port=port, seconds=WARM_UP_SECONDS, connections=connections)
        figures = wrk(endpoint, token=token, port=port, seconds=seconds, connections=connections)
        result = {
            "endpoint": f"{endpoint.method} {endpoint.path}",
            "name": endpoint.name,
            "requests_per_second": round(figures["requests_per_second"], 1),
            "p50_ms": round(figures["p50_us"] / 1000, 2),
            "p90_ms": round(figures["p90_us"] / 1000, 2),
            "p99_ms": round(figures["p99_us"] / 1000, 2),
            "errors": figures["non_2xx"] + figures["socket_errors"],
            "queries_per_request": queries,
            "in_process_ms": round(in_process_ms, 2),
            "response_bytes": size,
        }
        if endpoint.name.startswith("comment list"):
            result["p50_over_raw_sql"] = round(result["p50_ms"] / raw_ms, 2)
            result["in_process_over_raw_sql"] = round(in_process_ms / raw_ms, 2)
        results.append(result)
        log(
            f"  {endpoint.name:<26} {result['requests_per_second']:7.1f} req/s  p50 {result['p50_ms']:7.2f} ms"
            f"  p99 {result['p99_ms']:7.2f} ms  {queries:2d} queries  in-process {in_process_ms:6.2f} ms"
            f"  errors {result['errors']}"
            + (f"  p50/raw {result['p50_over_raw_sql']}" if "p50_over_raw_sql" in result else "")
        )
    return {
        "connections": connections,
        "seconds_per_endpoint": seconds,
        "raw_sql_page_ms": round(raw_ms, 3),
        "raw_sql_page_bytes": raw_bytes,
        "endpoints": results,
    }
