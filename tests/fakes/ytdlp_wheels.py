"""Releases of yt-dlp made in a test: the installed yt-dlp packed again as a wheel with another
version, optionally broken on purpose, into a folder pip reads as a package index
(``<root>/simple/yt-dlp/*.whl``, given as ``--index-url file://<root>/simple``)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

# Appended to a module of the copy: extraction (what the canary does) or the download fails.
BREAK_EXTRACTION = (
    "yt_dlp/extractor/generic.py",
    "\n\ndef _broken_extract(self, url):\n"
    "    raise ExtractorError('this build cannot read pages (a test release)', expected=True)\n\n"
    "GenericIE._real_extract = _broken_extract\n",
)
BREAK_DOWNLOAD = (
    "yt_dlp/downloader/http.py",
    "\n\ndef _broken_download(self, filename, info_dict):\n"
    "    raise OSError('this build cannot download (a test release)')\n\n"
    "HttpFD.real_download = _broken_download\n",
)


def build_release(index_root: Path, version: str, *, breaks: tuple[str, str] | None = None) -> Path:
    """A wheel of the installed yt-dlp as ``version`` in ``index_root/simple/yt-dlp/``."""
    dist = metadata.distribution("yt-dlp")
    installed = dist.version
    site = Path(str(dist.locate_file("")))
    out = index_root / "simple" / "yt-dlp"
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"yt_dlp-{version}-py3-none-any.whl"
    info = f"yt_dlp-{version}.dist-info"
    records: list[str] = []

    def add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
        archive.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        records.append(f"{name},sha256={digest},{len(data)}")

    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted((site / "yt_dlp").rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            name = path.relative_to(site).as_posix()
            data = path.read_bytes()
            if name == "yt_dlp/version.py":
                data = data.replace(installed.encode(), version.encode())
            if breaks is not None and name == breaks[0]:
                data += breaks[1].encode()
            add(archive, name, data)
        meta = (site / f"yt_dlp-{installed}.dist-info" / "METADATA").read_text(encoding="utf-8")
        add(
            archive,
            f"{info}/METADATA",
            meta.replace(f"Version: {installed}", f"Version: {version}", 1).encode(),
        )
        add(archive, f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: spotsyncd-tests\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n")  # fmt: skip
        records.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    links = "".join(f'<a href="{w.name}">{w.name}</a>\n' for w in sorted(out.glob("*.whl")))
    (out / "index.html").write_text(f"<html><body>\n{links}</body></html>\n", encoding="utf-8")
    return wheel


def index_url(index_root: Path) -> str:
    return (index_root / "simple").as_uri()
