# The check-in bot in webhook mode. Build: docker build -t checkin-bot .
# The token and the data key come only from the environment; the data lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY deploy/container.toml ./deploy/container.toml
RUN pip install '.[webhook]' \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin checkin \
    && mkdir /data && chown checkin:checkin /data && chmod 0700 /data

USER checkin
VOLUME ["/data"]
# 8080: Telegram's updates (put an https reverse proxy in front); 8081: /healthz
EXPOSE 8080 8081

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8081/healthz', timeout=4)"]

CMD ["checkin-bot", "run", "--config", "/app/deploy/container.toml"]
