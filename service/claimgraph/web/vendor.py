"""Browser assets fetched at install time from the npm registry, pinned and checked.

`make setup` runs `python -m claimgraph.web.vendor`: for each package below it asks the
ordinary npm client for the pinned tarball (`npm pack name@version`), refuses it unless its
sha512 integrity is the one written here, and copies only the files the pages load into
web/static/vendor/<dir>/ (with the package's licence). Nothing is fetched at run time: the
pages reference /static/vendor/… on this server, never a CDN. A package already in place at
its pinned version is left alone, so re-running setup offline costs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"


@dataclass(frozen=True)
class Asset:
    name: str          # npm package name
    version: str       # exact version
    integrity: str     # the registry's sha512 integrity of the tarball
    licence: str       # SPDX id, as the package declares it
    dir: str           # folder under static/vendor/
    files: tuple[str, ...]  # paths inside the tarball's package/ folder


ASSETS = (
    Asset("@zazuko/yasgui", "4.6.2",
          "sha512-Zw45KdPoAE1KRaAoxIHdQqeJxvaVG1oQdntw0hy0ktX35Zu8ZccuOLrXCLwR+GU+0xMzLw8Mjw6BkSZV2vUuQw==",
          "MIT", "yasgui", ("build/yasgui.min.js", "build/yasgui.min.css", "package.json")),
    Asset("swagger-ui-dist", "5.31.0",
          "sha512-zSUTIck02fSga6rc0RZP3b7J7wgHXwLea8ZjgLA3Vgnb8QeOl3Wou2/j5QkzSGeoz6HusP/coYuJl33aQxQZpg==",
          "Apache-2.0", "swagger-ui", ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE")),
    Asset("axe-core", "4.11.0",
          "sha512-ilYanEU8vxxBexpJd8cWM4ElSQq4QctCLKih0TSfjIfCQTeyH/6zVrmIJfLPrKTKJRbiG+cfnZbQIjAlJmF1jQ==",
          "MPL-2.0", "axe-core", ("axe.min.js", "LICENSE")),
    Asset("cytoscape", "3.33.1",
          "sha512-iJc4TwyANnOGR1OmWhsS9ayRS3s+XQ185FmuHObThD+5AeJCakAAbWv8KimMTt08xCCLNgneQwFp+JRJOr9qGQ==",
          "MIT", "cytoscape", ("dist/cytoscape.min.js", "LICENSE")),
)


class VendorError(RuntimeError):
    pass


def _stamp(asset: Asset) -> Path:
    return VENDOR / asset.dir / ".version"


def present(asset: Asset) -> bool:
    stamp = _stamp(asset)
    return stamp.exists() and stamp.read_text().strip() == f"{asset.name}@{asset.version}" and all(
        (VENDOR / asset.dir / Path(f).name).exists() for f in asset.files)


def _pack(asset: Asset, workdir: Path) -> bytes:
    spec = f"{asset.name}@{asset.version}"
    try:
        done = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
                              capture_output=True, text=True, timeout=600, cwd=workdir)
    except FileNotFoundError:
        raise VendorError("npm is not installed: install Debian's `npm` (the CI script does) and re-run "
                          "`make setup`") from None
    if done.returncode != 0:
        raise VendorError(f"npm pack {spec} failed: {done.stderr.strip()[-500:]}")
    filename = json.loads(done.stdout)[0]["filename"]
    return (workdir / filename).read_bytes()


def _check(asset: Asset, blob: bytes) -> None:
    got = "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()
    if got != asset.integrity:
        raise VendorError(f"{asset.name}@{asset.version}: tarball integrity {got} is not the pinned {asset.integrity}")


def install(asset: Asset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        blob = _pack(asset, Path(tmp))
    _check(asset, blob)
    target = VENDOR / asset.dir
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for inner in asset.files:
            member = tar.extractfile(f"package/{inner}")
            if member is None:
                raise VendorError(f"{asset.name}@{asset.version} has no {inner}")
            (target / Path(inner).name).write_bytes(member.read())
    _stamp(asset).write_text(f"{asset.name}@{asset.version}\n")


def main() -> int:
    failed = 0
    for asset in ASSETS:
        if present(asset):
            continue
        try:
            install(asset)
            print(f"vendored {asset.name}@{asset.version} ({asset.licence}) into {VENDOR / asset.dir}")
        except VendorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
