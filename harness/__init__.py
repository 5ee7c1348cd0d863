"""What the tests and the benchmarks both run: real server processes, clips made with lavfi, and
the ffprobe and upload helpers that check the pipeline from outside.

A development tool, not part of the service: the wheel packages only ``reviews`` and
``reviewsvc`` (pyproject.toml), so nothing here ships to production, and it may use the
development dependencies (requests, the test client).
"""
