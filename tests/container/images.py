"""Podman for the container test: the engine, a Debian base image made without any registry, and
the project's image built on it.

No image registry is reachable in CI, so the base is a minimal Debian root with Python that
``mmdebstrap`` makes from the machine's own Debian sources, imported with ``podman import``. It is
kept in podman's store under a tag named after a hash of its recipe (packages, suite, sources,
apt proxy): a later run reuses it, a changed recipe makes a new one and drops the old. The image
itself is built from the working tree every run; podman's layer cache keeps the dependency layer
while ``pyproject.toml`` is unchanged.

Facts of the CI machines: podman's default runtime ``crun`` refuses their hybrid cgroup layout
(``runc`` works), and their default ulimits cannot be raised (the ones below can).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_FLAGS = ("--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096")
BASE_REPOSITORY = "localhost/spotsyncd-test-base"
IMAGE_REPOSITORY = "localhost/spotsyncd-test"
SUITE = "bookworm"  # the suite of the default base, python:3.12-slim-bookworm
# python-is-python3: the Dockerfile runs `python`; passwd: useradd; the rest: what a venv needs
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates", "passwd")
# Documentation, manuals and translations stay out of the base (about 40 MB).
BASE_EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*", "/usr/share/info/*")
_DEBIAN_URI = re.compile(r"^(?:deb\s.*|URIs:.*)(?:https?://\S+/debian(?:-security)?)\b", re.M)


def podman(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args[:3])} … failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def require_engine() -> None:
    """Skip (a failure under CI=true) unless podman can run containers here as CI does."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the container test needs Linux (podman, runc, mmdebstrap)")
    missing = [tool for tool in ("podman", "runc", "mmdebstrap") if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed: apt-get install podman runc mmdebstrap "
            "(.ci/run does)"
        )
    if os.geteuid() != 0:
        pytest.skip("the container test runs podman as root, as CI does (sudo make test)")
    info = podman("info", "--format", "{{.Host.OCIRuntime.Name}}", check=False, timeout=60)
    if info.returncode != 0:
        pytest.skip(f"podman is installed but does not work here: {info.stderr.strip()[-500:]}")


def debian_sources() -> list[str]:
    """The machine's apt source files that name a Debian archive (mirror, proxy or snapshot),
    for mmdebstrap; the public mirror when there are none."""
    candidates = [Path("/etc/apt/sources.list")]
    directory = Path("/etc/apt/sources.list.d")
    if directory.is_dir():
        candidates += sorted(directory.glob("*.list")) + sorted(directory.glob("*.sources"))
    found = [str(p) for p in candidates if p.is_file() and _DEBIAN_URI.search(p.read_text())]
    return found or ["http://deb.debian.org/debian"]


def apt_proxy_options() -> list[str]:
    """The machine's apt proxy settings, as mmdebstrap options (it does not read the host's)."""
    if shutil.which("apt-config") is None:
        return []
    options = []
    for key in ("Acquire::http::Proxy", "Acquire::https::Proxy"):
        result = subprocess.run(
            ["apt-config", "dump", "--format", "%v", key],
            capture_output=True,
            text=True,
            check=False,
        )
        value = result.stdout.strip()
        if result.returncode == 0 and value:
            options.append(f'--aptopt={key} "{value}"')
    return options


def base_image() -> str:
    """The tag of the Debian base in podman's store, made now if its recipe changed."""
    sources = debian_sources()
    command = [
        "mmdebstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
        *(f"--dpkgopt=path-exclude={pattern}" for pattern in BASE_EXCLUDES),
        *apt_proxy_options(), "--format=tar", SUITE,
    ]  # fmt: skip
    recipe = "\n".join(command + [Path(s).read_text() if s.startswith("/") else s for s in sources])
    tag = f"{BASE_REPOSITORY}:{hashlib.sha256(recipe.encode()).hexdigest()[:16]}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    with tempfile.TemporaryDirectory(prefix="spotsyncd-base-") as folder:
        tarball = Path(folder) / "root.tar"
        result = subprocess.run(
            [*command, str(tarball), *sources],
            capture_output=True,
            text=True,
            timeout=900,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"mmdebstrap could not make the base:\n{result.stderr[-3000:]}")
        podman("import", "--change", 'CMD ["python3"]', str(tarball), tag, timeout=300)
    _drop_other_tags(BASE_REPOSITORY, keep=tag)
    return tag


def _drop_other_tags(repository: str, *, keep: str) -> None:
    listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", repository, check=False)
    for name in listed.stdout.split():
        if name != keep:
            podman("rmi", "--force", name, check=False)


def pip_settings() -> tuple[str | None, str | None]:
    """The CA bundle and index pip uses on this machine (a proxy that re-signs TLS, a PyPI
    mirror), to hand to the build; (None, None) when pip talks to PyPI directly."""
    cert = os.environ.get("PIP_CERT")
    index = os.environ.get("PIP_INDEX_URL")
    if cert is None or index is None:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            check=False,
        )
        for line in result.stdout.splitlines():
            name, _, value = line.partition("=")
            value = value.strip().strip("'\"")
            if cert is None and name.endswith(".cert"):
                cert = value
            elif index is None and name.endswith(".index-url"):
                index = value
    cert = cert if cert and Path(cert).is_file() else None
    index = index if index and index.startswith(("http://", "https://")) else None
    return cert, index


def build_image(base: str) -> str:
    """Build the Dockerfile of this tree on ``base``; the image's tag, one of this run's own (two
    worktrees may build at once). The CA bundle goes in as a build secret (mounted for pip, never
    stored in a layer). ``--format docker``: OCI images have no HEALTHCHECK."""
    tag = f"{IMAGE_REPOSITORY}:{uuid.uuid4().hex[:12]}"
    cert, index = pip_settings()
    args = ["build", "--format", "docker", *RUNTIME_FLAGS, "--build-arg", f"BASE={base}"]
    if cert:
        args += ["--secret", f"id=ca_bundle,src={cert}"]
    if index:
        args += ["--build-arg", f"PIP_INDEX_URL={index}"]
    podman(*args, "--tag", tag, str(ROOT), timeout=900)
    _drop_older_build_stages()
    return tag


def _drop_older_build_stages() -> None:
    """Each build leaves its build stage's last image untagged in the store: podman's cache for
    the next build of the same code. Keep the newest of ours (the one just built) and remove
    the older ones, with the layers only they used; the dependency layer they share stays."""
    listed = podman("images", "--filter", "dangling=true", "--format", "{{.ID}}", check=False)
    ours = []
    for image_id in listed.stdout.split():  # newest first
        history = podman("history", "--no-trunc", "--format", "{{.CreatedBy}}", image_id,
                         check=False).stdout  # fmt: skip
        if "/opt/spotsyncd/bin/pip install" in history and "--no-deps ." in history:
            ours.append(image_id)
    for image_id in ours[1:]:
        podman("rmi", image_id, check=False)


def remove_image(tag: str) -> None:
    """Remove the image and the runtime-stage layers only it used; the build stage's layers stay
    as podman's cache (the dependency layer is what makes the next build quick)."""
    podman("rmi", "--force", tag, check=False)
    label = "label=org.opencontainers.image.title=spotsyncd"
    podman("image", "prune", "--force", "--filter", label, check=False)
