# fluxbot: a non-root image with the database on a volume. Usage: README.md, "Docker".
FROM python:3.11.17-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/fluxbot.sqlite3 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080

# Fonts for the usage chart, which draws member names in any script (bot/charts.py): Noto Sans CJK
# (CJK, Latin, Cyrillic, Greek; its regular weight only, the serif and bold files are removed) and
# Noto Color Emoji, both under the SIL Open Font License. Not pinned: bookworm's point releases
# replace these versions, and a pin would break the build at the next one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/* /usr/share/fonts/opentype/noto/NotoSerifCJK-* \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc

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
