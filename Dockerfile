# fluxbot: a non-root image with the database on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/fluxbot.sqlite3 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080

RUN useradd --create-home --uid 10001 fluxbot \
    && mkdir -p /data && chown fluxbot:fluxbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY migrations ./migrations
RUN pip install . \
    # The bot runs from /app (python -m bot), where PYTHONDONTWRITEBYTECODE and a read-only
    # user mean nothing is ever cached: compile once here instead of at every start.
    && python -m compileall -q bot cogs

USER fluxbot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["python", "-m", "bot", "run"]
