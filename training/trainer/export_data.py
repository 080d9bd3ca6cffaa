"""Reads and checks a training export (docs/training-stage.md, JSONL + images form):

    <export>/<split>/annotations.jsonl   one row per (image, task): image, task, prefix, suffix
    <export>/<split>/<image file>

Everything is checked before any training starts, so a bad export fails in seconds with one message
naming the file, the line and the problem, and no model folder is ever started.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

COLUMNS = ("image", "task", "prefix", "suffix")
LOC = re.compile(r"<loc_(\d+)>")
TASK = re.compile(r"^<[A-Z_]+>")
ANNOTATIONS = "annotations.jsonl"


class ExportError(ValueError):
    """A bad export: the message names the file (and line) and what is wrong."""


@dataclass(frozen=True)
class Row:
    image: str  # absolute path
    task: str
    prefix: str
    suffix: str


def _check_locs(text: str, where: str, column: str) -> None:
    for m in LOC.finditer(text):
        if int(m.group(1)) > 999:
            raise ExportError(f"{where}: {column} has {m.group(0)}; location tokens run from <loc_0> to <loc_999> "
                              "(floor quantisation, docs/florence2-formats.md section 4)")


def read_split(export: str, split: str, tasks: Optional[Sequence[str]] = None) -> List[Row]:
    path = os.path.join(export, split, ANNOTATIONS)
    if not os.path.isfile(path):
        raise ExportError(f"{path}: missing; an export needs {split}/{ANNOTATIONS}")
    rows: List[Row] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path} line {n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ExportError(f"{where}: not JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ExportError(f"{where}: a row must be a JSON object")
            missing = [c for c in COLUMNS if c not in obj]
            if missing:
                raise ExportError(f"{where}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                                  f"(a row needs {', '.join(COLUMNS)})")
            for c in COLUMNS:
                if not isinstance(obj[c], str):
                    raise ExportError(f"{where}: column {c} must be a string, got {type(obj[c]).__name__}")
            task, prefix = obj["task"], obj["prefix"]
            if not TASK.match(task) or not prefix.startswith(task):
                raise ExportError(f"{where}: task {task!r} is not a task token that starts the prefix {prefix[:40]!r}")
            _check_locs(prefix, where, "prefix")
            _check_locs(obj["suffix"], where, "suffix")
            image = os.path.normpath(os.path.join(export, split, obj["image"]))
            if not os.path.isfile(image):
                raise ExportError(f"{where}: image file {obj['image']} does not exist ({image})")
            if tasks is None or task in tasks:
                rows.append(Row(image, task, prefix, obj["suffix"]))
    if not rows:
        what = f" for tasks {', '.join(tasks)}" if tasks is not None else ""
        raise ExportError(f"{path}: split {split} is empty{what}; training needs rows in both train and valid")
    return rows


def load_export(export: str, tasks: Optional[Sequence[str]] = None, splits: Iterable[str] = ("train", "valid")) -> Dict[str, List[Row]]:
    if not os.path.isdir(export):
        raise ExportError(f"{export}: the export folder does not exist")
    return {s: read_split(export, s, tasks) for s in splits}
