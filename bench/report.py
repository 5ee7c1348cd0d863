"""The results of a run as the Markdown tables bench/README.md keeps."""

from __future__ import annotations


def markdown(results: dict, command: str) -> str:
    machine = results["machine"]
    lines = [
        f"Run of {results['date']}: `{command}`, {results['total_seconds']:.0f} s in all.",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB of memory,"
        f" Python {machine['python']}, {machine['ffmpeg'].split(' Copyright')[0]};"
        f" load average {machine['load_average']} before, {machine.get('load_average_after')} after.",
        "",
    ]
    if "pipeline" in results:
        lines += [
            "| clip (1080p24) | service: commit → ready | one ffmpeg command | ratio | CPU ratio"
            " | real-time factor | worker peak RSS (ffmpeg included) | baseline ffmpeg RSS"
            " | queue / before ffmpeg / after ffmpeg |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in results["pipeline"]:
            overhead = row["overhead_seconds"]
            lines.append(
                f"| {row['clip_seconds']} s | {row['service_seconds']:.2f} s | {row['baseline_seconds']:.2f} s"
                f" | **{row['ratio']:.3f}** | {row['cpu_ratio']:.3f} | {row['realtime_factor']:.2f}x"
                f" | {row['worker_peak_rss_mib']:.0f} MiB | {row['baseline_peak_rss_mib']:.0f} MiB"
                f" | {overhead['queue']:.2f} / {overhead['before_ffmpeg']:.2f} / {overhead['after_ffmpeg']:.2f} s |"
            )
        lines.append("")
    if "api" in results:
        api = results["api"]
        lines += [
            f"wrk, {api['connections']} connections, {api['seconds_per_endpoint']} s an endpoint."
            f" Baseline: the comment page by one raw SQL query and `json.dumps`, in process:"
            f" p50 {api['raw_sql_page_ms']:.2f} ms ({api['raw_sql_page_bytes']} bytes).",
            "",
            "| endpoint | req/s | p50 | p99 | errors | queries/request | one request in process"
            " | p50 ÷ raw SQL page |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in api["endpoints"]:
            ratio = (
                f"**{row['p50_over_raw_sql']}** (in process {row['in_process_over_raw_sql']})"
                if "p50_over_raw_sql" in row
                else ""
            )
            lines.append(
                f"| {row['name']} (`{row['endpoint']}`) | {row['requests_per_second']:.1f}"
                f" | {row['p50_ms']:.1f} ms | {row['p99_ms']:.1f} ms | {row['errors']}"
                f" | {row['queries_per_request']} | {row['in_process_ms']:.1f} ms"
                f" | {ratio} |"
            )
        lines.append("")
    if "upload" in results and "skipped" not in results["upload"]:
        up = results["upload"]
        lines += [
            "| upload | through gunicorn, to its response | … and fsynced | same bytes written + fsynced"
            " | ratio (on disk) | last byte → response | web processes' peak RSS growth |",
            "|---|---|---|---|---|---|---|",
            f"| {_size(up['bytes'])} clip, median of {up.get('repeats', 1)}"
            f" | {up['upload_mib_per_second']:.0f} MiB/s | {up.get('upload_on_disk_mib_per_second', 0):.0f} MiB/s"
            f" | {up['disk_write_mib_per_second']:.0f} MiB/s | **{up['ratio']:.2f}**"
            f" | {up.get('after_body_seconds', 0):.2f} s | {up['web_peak_rss_growth_mib']:.1f} MiB |",
            "",
        ]
    if "live" in results:
        live = results["live"]
        lines += [
            f"{live['rate']:g} notes/s posted for {live['seconds']:g} s; delivery = POST start → event read"
            " by a stream.",
            "",
            "| phase | streams | notes (errors) | POST p50 / p99 | delivered / expected | delivery p50 / p99"
            " | web RSS idle / mean / peak |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in ("baseline", "live"):
            row = live[name]
            delivery = (
                f"{row['delivery_p50_ms']} / {row['delivery_p99_ms']} ms"
                if row["delivery_p50_ms"] is not None
                else "none"
            )
            lines.append(
                f"| {name} | {row['streams']} | {row['notes']} ({row['post_errors']})"
                f" | {row['post_p50_ms']} / {row['post_p99_ms']} ms | {row['delivered']} / {row['expected_deliveries']}"
                f" | {delivery} | {row['web_rss_idle_mib']} / {row['web_rss_mean_mib']} / {row['web_rss_peak_mib']} MiB |"
            )
        lines.append("")
    return "\n".join(lines)


def _size(size: int) -> str:
    return f"{size / 1024**3:g} GiB" if size >= 1024**3 else f"{size / 1024**2:.0f} MiB"
