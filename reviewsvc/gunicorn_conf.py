"""gunicorn's settings for every way reviewsvc is served (`reviewsvc.asgi --config python:reviewsvc.gunicorn_conf`): scripts/run-local, the Dockerfile, docker-compose, and an install from the wheel.

The bind address and the number of processes are given on the command line.
"""

# uvicorn workers serving reviewsvc.asgi (docs/live.md): event streams on each process's event
# loop, the API on REVIEWSVC_WEB_THREADS threads per process. The app drops a client silent for
# REVIEWSVC_BODY_IDLE_TIMEOUT (30 s) while it sends a body, and refuses a chunked body with a
# JSON 411; the timeout restarts a worker process that stops answering (docs/reliability.md).
worker_class = "reviewsvc.server_errors.ASGIWorker"
timeout = 60
graceful_timeout = 30
keepalive = 5
# The request head (line and headers) is bounded by the worker (ASGIWorker, 16 KiB): room for
# long signed media links and filters.
# The access log (`--access-logfile -` in make run) never holds an invitation or reset token:
# this logger's handlers, which the uvicorn worker's access log writes through, redact them.
logger_class = "reviewsvc.log_redaction.RedactingGunicornLogger"
