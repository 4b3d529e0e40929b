# spotsyncd in a container: the coordinator (`run`) or a Celery worker (`worker`); see compose.yaml
# and docs/guides/containers.md. tests/container/ builds this file and runs it (podman) in
# `make test`; `make lint` checks it with hadolint.
#
# BASE: any Debian-like image with Python >= 3.11 whose `python` runs the venv module. The test
# builds on a Debian root made with mmdebstrap (no image registry there); build it the same way
# with `--build-arg BASE=...`.
ARG BASE=python:3.12-slim-bookworm

# ---- build: a virtualenv with spotsyncd and its dependencies (ffmpeg and deno come as wheels)
FROM ${BASE} AS build
# pip behind a proxy that re-signs TLS: pass its CA bundle as a build secret
# (`--secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt`); it is mounted for the RUNs
# that install and never stored in a layer. PIP_INDEX_URL: a mirror of PyPI, if any.
ARG PIP_INDEX_URL=https://pypi.org/simple
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
RUN python -m venv /opt/spotsyncd
# The dependencies first, from pyproject.toml alone (an empty stand-in package), so that a change
# to the code reuses this layer and rebuilds in seconds. The `pot` extra is yt-dlp's PO-token
# provider plugin: it asks the provider service (compose profile `pot`) when one is configured.
COPY pyproject.toml ./
RUN --mount=type=secret,id=ca_bundle,required=false \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
 && mkdir spotsyncd && touch README.md spotsyncd/__init__.py \
 && /opt/spotsyncd/bin/pip install --no-cache-dir --index-url "$PIP_INDEX_URL" ".[pot]" \
 && /opt/spotsyncd/bin/pip uninstall --yes spotsyncd \
 && rm -r README.md spotsyncd
COPY README.md ./
COPY spotsyncd ./spotsyncd
RUN --mount=type=secret,id=ca_bundle,required=false \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
 && /opt/spotsyncd/bin/pip install --no-cache-dir --index-url "$PIP_INDEX_URL" --no-deps . \
 && /opt/spotsyncd/bin/python -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"

# ---- runtime: the virtualenv only, a non-root user, data in volumes
FROM ${BASE}
LABEL org.opencontainers.image.title="spotsyncd" \
      org.opencontainers.image.description="Keeps a music library in sync with links, playlists and feeds"
# The web listens on every interface of the container's own network (reachable only through a
# published port: compose publishes 127.0.0.1:8642), and answers to the names that reach it
# from the host. Behind a reverse proxy, add its name to SPOTSYNCD_WEB_ALLOWED_HOSTS.
ENV PATH=/opt/spotsyncd/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOME=/state \
    SPOTSYNCD_LIBRARY_DIR=/library \
    SPOTSYNCD_INBOX_DIR=/library/inbox \
    SPOTSYNCD_STATE_DIR=/state \
    SPOTSYNCD_LOG_FILE="" \
    SPOTSYNCD_WEB_LISTEN=0.0.0.0:8642 \
    SPOTSYNCD_WEB_ALLOW_REMOTE=true \
    SPOTSYNCD_WEB_ALLOWED_HOSTS=localhost:8642,127.0.0.1:8642
RUN groupadd --system --gid 10001 spotsyncd \
 && useradd --system --uid 10001 --gid spotsyncd --home-dir /state --shell /usr/sbin/nologin spotsyncd \
 && mkdir -p /library /state \
 && chown spotsyncd:spotsyncd /library /state
COPY --from=build /opt/spotsyncd /opt/spotsyncd
USER 10001:10001
WORKDIR /state
VOLUME ["/library", "/state"]
EXPOSE 8642
# The web's /api/v1/healthz at the address the config gives (web.listen, from SPOTSYNCD_WEB_LISTEN or
# a mounted config; a wildcard is asked on 127.0.0.1). Workers serve no web: compose gives them
# `spotsyncd worker --check` (their heart-beat in the ledger) instead.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request as u; from spotsyncd.core.config import load_config; w = load_config().web; h = '127.0.0.1' if w.host in ('0.0.0.0', '::') else f'[{w.host}]' if ':' in w.host else w.host; sys.exit(u.urlopen(f'http://{h}:{w.port}/api/v1/healthz', timeout=8).status != 200)"]
ENTRYPOINT ["spotsyncd"]
CMD ["run"]
