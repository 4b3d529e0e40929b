# spotsyncd in a container: the coordinator (`run`) or a Celery worker (`worker`); see compose.yaml
# and README "Scale out" → "Containers". This image is not built in CI (no image registry there):
# `make lint` checks this file with hadolint.
ARG PYTHON_VERSION=3.12

# ---- build: a virtualenv with spotsyncd and its dependencies (ffmpeg and deno come as wheels)
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/spotsyncd
COPY pyproject.toml README.md ./
COPY spotsyncd ./spotsyncd
RUN /opt/spotsyncd/bin/pip install --no-cache-dir . \
 && /opt/spotsyncd/bin/python -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"

# ---- runtime: the virtualenv only, a non-root user, data in volumes
FROM python:${PYTHON_VERSION}-slim-bookworm
LABEL org.opencontainers.image.title="spotsyncd" \
      org.opencontainers.image.description="Keeps a music library in sync with links, playlists and feeds"
ENV PATH=/opt/spotsyncd/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOME=/state \
    SPOTSYNCD_LIBRARY_DIR=/library \
    SPOTSYNCD_INBOX_DIR=/library/inbox \
    SPOTSYNCD_STATE_DIR=/state \
    SPOTSYNCD_LOG_FILE=""
RUN groupadd --system --gid 10001 spotsyncd \
 && useradd --system --uid 10001 --gid spotsyncd --home-dir /state --shell /usr/sbin/nologin spotsyncd \
 && mkdir -p /library /state \
 && chown spotsyncd:spotsyncd /library /state
COPY --from=build /opt/spotsyncd /opt/spotsyncd
USER 10001:10001
WORKDIR /state
VOLUME ["/library", "/state"]
EXPOSE 8642
# The web API's /healthz (web.listen, 127.0.0.1:8642 by default); workers override this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8642/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["spotsyncd"]
CMD ["run"]
