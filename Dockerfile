# The points service: `points serve` (the API) by default; the same image runs the scheduler and the `points`
# command (docs/deployment.md, "Docker").
#   docker build -t points .
#   docker run --rm --env-file points.env points points init-db
#   docker run -d --name points-api --env-file points.env -p 127.0.0.1:8000:8000 points
#   docker run -d --name points-scheduler --env-file points.env points points scheduler
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 points \
    && useradd --system --uid 10001 --gid points --home-dir /var/lib/points --shell /usr/sbin/nologin points \
    && install -d -o points -g points -m 0700 /var/lib/points

# The package, its migrations (installed under /usr/local/share/points) and the `points` command.
WORKDIR /build
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY points ./points
COPY api ./api
COPY scheduler ./scheduler
RUN pip install . \
    && cd / && rm -rf /build

# In a container the API listens on every interface; POINTS_DATABASE_URL, POINTS_SECRET_KEY and POINTS_AUDIT_KEY
# come from the environment (--env-file). Behind a proxy in another container, also set FORWARDED_ALLOW_IPS.
ENV POINTS_DATA_DIR=/var/lib/points \
    POINTS_HOST=0.0.0.0 \
    POINTS_PORT=8000
WORKDIR /var/lib/points
VOLUME ["/var/lib/points"]
USER points:points
EXPOSE 8000

# Liveness only: /healthz answers from memory and never waits for the database (use /readyz in the load balancer).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('POINTS_PORT', '8000'), timeout=2)"]

# Workers default to the number of cores the container sees (the host's): pass `--workers N` to match its CPU limit.
CMD ["points", "serve"]
