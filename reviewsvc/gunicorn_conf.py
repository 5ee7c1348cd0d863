"""gunicorn's settings for every way reviewsvc is served (`--config python:reviewsvc.gunicorn_conf`): scripts/run-local, the Dockerfile, docker-compose, and an install from the wheel.

The bind address and the number of processes are given on the command line.
"""

# Threaded workers: a slow client holds one thread, not a process. gunicorn puts no time limit
# on reading a request, so the app drops a client silent for REVIEWSVC_BODY_IDLE_TIMEOUT (30 s);
# the timeout restarts a worker process that stops answering (docs/reliability.md). The worker
# class answers the requests gunicorn itself refuses with JSON, as the API does (reviewsvc/server_errors.py).
worker_class = "reviewsvc.server_errors.JSONErrorWorker"
threads = 4
timeout = 60
graceful_timeout = 30
keepalive = 5
# The longest request line gunicorn accepts (its default is 4094): room for long signed media
# links and filters. Longer is a JSON 414.
limit_request_line = 8190
