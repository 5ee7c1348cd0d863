# One image for the web process and the Celery worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY reviewsvc ./reviewsvc
COPY reviews ./reviews
COPY manage.py ./
RUN pip install -c constraints.txt . \
    && useradd --system --uid 1000 --home-dir /app reviewsvc \
    && mkdir -p /app/media /app/var \
    && chown reviewsvc /app/media /app/var

# collectstatic needs settings but no database or secret.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0

USER reviewsvc
EXPOSE 8000
CMD ["gunicorn", "reviewsvc.asgi", "--config", "python:reviewsvc.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "2"]
