"""A model folder written atomically: built in `<out>.tmp-<pid>`, `fld-model.json` (family, version,
tasks or classes, sha256 and size of every file) written last, then renamed into place. A failure at
any point removes the temp folder and leaves any previous `<out>` untouched."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from typing import Iterator

MANIFEST = "fld-model.json"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(folder: str, manifest: dict, roles: dict = None) -> dict:
    """Lists every file under `folder` (sorted, forward slashes) with sha256 and size."""
    files = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if rel == MANIFEST:
                continue
            entry = {"path": rel, "sha256": sha256_file(full), "size": os.path.getsize(full)}
            if roles and rel in roles:
                entry["role"] = roles[rel]
            files.append(entry)
    files.sort(key=lambda f: f["path"])
    out = dict(manifest, files=files)
    with open(os.path.join(folder, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    return out


@contextlib.contextmanager
def staged(out_dir: str) -> Iterator[str]:
    """Yields a temp folder beside `out_dir`; on normal exit it replaces `out_dir`, on error it is removed."""
    out_dir = os.path.abspath(out_dir)
    tmp = f"{out_dir}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    os.makedirs(tmp)
    try:
        yield tmp
        if os.path.exists(out_dir):
            old = f"{out_dir}.old-{os.getpid()}"
            os.rename(out_dir, old)
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
