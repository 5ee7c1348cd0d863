"""`make bench`: the media pipeline, the API under load and a 2 GiB upload, each against its
baseline measured in the same run (these machines are noisy; ratios are what compare).

    .venv/bin/python -m bench.run                  # everything, about 10 minutes
    .venv/bin/python -m bench.run --only api       # one part; --help for the knobs

Results are printed and written to bench/results/ (git-ignored); bench/README.md keeps the
figures of the latest full run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import time

from bench import report, stack

PARTS = ("pipeline", "api", "upload", "live")


def log(message: str) -> None:
    print(message, flush=True)


def ensure_wrk() -> None:
    """wrk drives the API; Debian has it."""
    if shutil.which("wrk"):
        return
    log("Installing Debian's wrk")
    sudo = [] if shutil.os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        check=True,
        env={**shutil.os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--clips", default="5,30,120", help="clip lengths in seconds (default 5,30,120)")
    parser.add_argument("--repeats", type=int, default=3, help="pipeline runs per clip (default 3)")
    parser.add_argument("--api-seconds", type=int, default=30, help="load per endpoint (default 30)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--upload-gib", type=float, default=2.0, help="upload size (default 2)")
    parser.add_argument("--upload-repeats", type=int, default=5, help="uploads (default 5)")
    parser.add_argument(
        "--web-server",
        choices=("asgi", "wsgi"),
        default="asgi",
        help="asgi (uvicorn workers, as served) or wsgi (the former gthread workers) to compare",
    )
    parser.add_argument("--live-streams", type=int, default=200, help="open event streams (default 200)")
    parser.add_argument("--live-rate", type=float, default=20, help="notes posted a second (default 20)")
    parser.add_argument("--live-seconds", type=float, default=20, help="posting time per phase (default 20)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    parts = args.only or list(PARTS)
    if "api" in parts:
        ensure_wrk()
    stack.configure()
    started = time.monotonic()
    machine = stack.machine()
    log(
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB;"
        f" load average {machine['load_average']}"
    )
    stack.create_database()
    results: dict[str, object] = {"machine": machine, "date": datetime.date.today().isoformat()}
    worker = web = None
    try:
        worker = stack.start_worker()
        if "pipeline" in parts:
            from bench import pipeline

            log("\n== Media pipeline: upload committed → ready, against one ffmpeg command")
            durations = tuple(int(value) for value in args.clips.split(","))
            results["pipeline"] = pipeline.run(worker, durations=durations, repeats=args.repeats, log=log)
        if "api" in parts or "upload" in parts or "live" in parts:
            web = stack.start_web(args.web_server)
            port = web.process.port
        if "api" in parts:
            from bench import api

            log(f"\n== API under load: wrk, {args.connections} connections, {args.api_seconds} s an endpoint")
            results["api"] = api.run(
                web, port=port, seconds=args.api_seconds, connections=args.connections, log=log
            )
        if "upload" in parts:
            from bench import upload

            log("\n== Upload: a streamed clip through gunicorn, against writing the same bytes")
            results["upload"] = upload.run(
                web,
                worker,
                port=port,
                size=int(args.upload_gib * 1024**3),
                repeats=args.upload_repeats,
                log=log,
            )
        if "live" in parts:
            from bench import live

            log(
                f"\n== Live pages: {args.live_streams} event streams on one version, {args.live_rate:g} notes/s"
            )
            results["live"] = live.run(
                web,
                port=port,
                streams=args.live_streams,
                rate=args.live_rate,
                seconds=args.live_seconds,
                log=log,
            )
    finally:
        for service in (web, worker):
            if service is not None:
                service.stop()
    results["machine"]["load_average_after"] = stack.machine()["load_average"]  # type: ignore[index]
    results["total_seconds"] = round(time.monotonic() - started, 1)
    log(f"\nTotal {results['total_seconds']} s")
    folder = stack.ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (folder / f"{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")
    command = " ".join([".venv/bin/python -m bench.run", *(sys.argv[1:] if argv is None else argv)])
    table = report.markdown(results, command.strip())
    (folder / f"{stamp}.md").write_text(table)
    log(f"\n{table}\nResults: bench/results/{stamp}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
