# fluxbot: a non-root image with the database on a volume. Usage: README.md, "Docker".
FROM python:3.11.17-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/fluxbot.sqlite3 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080

RUN useradd --create-home --uid 10001 --user-group fluxbot \
    && mkdir -p /data /app && chown 10001:10001 /data

# Dependencies in their own layer: rebuilt only when pyproject.toml changes, not on every code edit.
# The build backend (hatchling) too, so that a code edit rebuilds offline from this layer.
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb')); print('\n'.join(p['build-system']['requires'] + p['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The package itself (pip compiles its bytecode on install, so a read-only user starts fast).
COPY README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
# Reads HTTP_HOST / HTTP_PORT like the bot does; exit 1 unless /healthz answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
CMD ["fluxbot", "run"]
