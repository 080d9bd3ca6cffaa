"""Trains the small YOLO-layout detector on the `<OD>` rows of an export and writes its model folder:
`model.onnx` (output layout in detector.py), `model.pt`, `metrics.json`, `fld-model.json`. Trains on
any device; exports and saves from the CPU."""
from __future__ import annotations

import json
import os
import random
import time
import types
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from .common import ImageCache, parse_od, progress, run_steps
from .detector import TinyYolo, f1_at_05, letterbox, loss_fn, predict
from .export_data import ExportError, Row
from .model_folder import staged, write_manifest

IMAGE_SIZE = 256


def targets_of(rows: Sequence[Row], classes: Sequence[str], cache: ImageCache) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """Boxes in letterbox pixels and class ids per image. World images are square at the input size,
    so the letterbox is the identity there; others are letterboxed the way the engine does it."""
    index = {c: i for i, c in enumerate(classes)}
    out = {}
    for r in rows:
        w, h = cache.sizes[r.image]
        scale = min(IMAGE_SIZE / w, IMAGE_SIZE / h)
        px, py = max(0, round((IMAGE_SIZE - round(w * scale)) / 2 - 0.1)), max(0, round((IMAGE_SIZE - round(h * scale)) / 2 - 0.1))
        items = parse_od(r.suffix, w, h)
        boxes = [[b[0] * scale + px, b[1] * scale + py, b[2] * scale + px, b[3] * scale + py] for _, b in items]
        out[r.image] = (torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                        torch.tensor([index[n] for n, _ in items], dtype=torch.long))
    return out


class LetterboxCache(ImageCache):
    def get(self, path: str) -> torch.Tensor:
        t = self.images.get(path)
        if t is None:
            from PIL import Image, ImageOps
            with Image.open(path) as raw:
                im = ImageOps.exif_transpose(raw)  # boxes are in oriented pixels
                self.sizes[path] = im.size
                t, _s, _x, _y = letterbox(im, self.size)
            self.images[path] = t
        return t


def batch_of(paths: List[str], cache: ImageCache, targets, flip: List[bool], device: str = "cpu"):
    """Images [B, 3, S, S] and per image (boxes, class ids), all on `device`."""
    imgs, tg = [], []
    for p, f in zip(paths, flip):
        x = cache.get(p).float() / 255.0
        b, c = targets[p]
        if f:
            x = x.flip(-1)
            b = torch.stack([IMAGE_SIZE - b[:, 2], b[:, 1], IMAGE_SIZE - b[:, 0], b[:, 3]], 1) if len(b) else b
        imgs.append(x)
        tg.append((b.to(device), c.to(device)))
    return torch.stack(imgs).to(device), tg


def export_onnx(model: TinyYolo, path: str) -> None:
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE), path, input_names=["images"], output_names=["output0"],
                      dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}}, opset_version=17, do_constant_folding=True)


def anchors_on_device(model: TinyYolo) -> None:
    """detector.py's `anchor_info` builds the strides on the CPU; off the CPU the loss needs them on the
    model's device. An instance attribute (not a parameter or buffer): the state_dict and the ONNX graph
    (forward never calls it) are what they are on the CPU."""
    plain = model.anchor_info

    def anchor_info(self) -> Tuple[torch.Tensor, torch.Tensor]:
        c, s = plain()
        return c, s.to(c.device)
    model.anchor_info = types.MethodType(anchor_info, model)


def train(split_rows: Dict[str, List[Row]], out_dir: str, steps: int, seed: int, init: Optional[str], batch: int,
          lr: float, classes: Optional[List[str]], name: str, version: str, device: str = "cpu") -> dict:
    t0 = time.time()
    rows = {s: [r for r in rs if r.task == "<OD>"] for s, rs in split_rows.items()}
    for s, rs in rows.items():
        if not rs:
            raise ExportError(f"split {s} has no <OD> rows; the detector trains on <OD> rows only")
    cache = LetterboxCache(IMAGE_SIZE)
    cache.load_all(r.image for rs in rows.values() for r in rs)
    if init:
        ckpt = torch.load(os.path.join(init, "model.pt"), map_location="cpu")
        classes = ckpt["classes"]
    if classes is None:
        from .common import parse_od as _p
        classes = sorted({n for rs in rows.values() for r in rs for n, _ in _p(r.suffix, 1, 1)})
    known = set(classes)
    for s, rs in rows.items():
        for r in rs:
            for n, _ in parse_od(r.suffix, 1, 1):
                if n not in known:
                    raise ExportError(f"split {s}: {os.path.basename(r.image)} has class {n!r}, not one of the model's {len(classes)} classes")
    targets = {s: targets_of(rs, classes, cache) for s, rs in rows.items()}
    model = TinyYolo(len(classes), IMAGE_SIZE)
    if init:
        model.load_state_dict(ckpt["state_dict"])
    model.to(device)
    if device != "cpu":
        anchors_on_device(model)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    rng = random.Random(seed)
    train_paths = sorted(targets["train"])
    progress("start", family="detector", steps=steps, train_images=len(train_paths), valid_images=len(targets["valid"]), classes=classes, device=device)
    order: List[str] = []

    def step_loss(_step: int):
        nonlocal order
        if len(order) < batch:
            order += rng.sample(train_paths, len(train_paths))
        paths, order = order[:batch], order[batch:]
        x, tg = batch_of(paths, cache, targets["train"], [rng.random() < 0.5 for _ in paths], device)
        return loss_fn(model, x, tg)

    curve = run_steps(model, opt, steps, lr, 10.0, step_loss, t0)
    model.eval()
    vpaths = sorted(targets["valid"])
    with torch.no_grad():
        vl, preds, truths = [], [], []
        for i in range(0, len(vpaths), 32):
            x, tg = batch_of(vpaths[i:i + 32], cache, targets["valid"], [False] * len(vpaths[i:i + 32]), device)
            vl.append(float(loss_fn(model, x, tg)) * len(tg))
            # f1_at_05 builds its bookkeeping on the CPU
            preds += [tuple(t.cpu() for t in p) for p in predict(model, x)]
            truths += [(b.cpu(), c.cpu()) for b, c in tg]
    valid = {"loss": sum(vl) / len(vpaths), "images": len(vpaths), "box_f1_iou50_vs_export_labels": f1_at_05(preds, truths)}
    progress("eval", split="valid", **valid)
    metrics = {"family": "detector", "seed": seed, "steps": steps, "batch": batch, "lr": lr, "init": init,
               "train_rows": len(rows["train"]), "valid_rows": len(rows["valid"]), "loss_curve": curve, "valid": valid,
               "train_seconds": round(time.time() - t0, 1), "device": device}
    model.to("cpu")
    if device != "cpu":
        del model.anchor_info  # back to the class's
    with staged(out_dir) as tmp:
        export_onnx(model, os.path.join(tmp, "model.onnx"))
        torch.save({"classes": classes, "image_size": IMAGE_SIZE, "state_dict": model.state_dict()}, os.path.join(tmp, "model.pt"))
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=1)
        write_manifest(tmp, {"name": name, "family": "detector", "version": version, "classes": classes, "input_size": IMAGE_SIZE,
                             "source": "training/trainer (reference trainer)"}, roles={"model.onnx": "model"})
    progress("done", out=os.path.abspath(out_dir), seconds=round(time.time() - t0, 1))
    return metrics


def load(model_dir: str) -> Tuple[TinyYolo, List[str]]:
    ckpt = torch.load(os.path.join(model_dir, "model.pt"), map_location="cpu")
    m = TinyYolo(len(ckpt["classes"]), ckpt["image_size"])
    m.load_state_dict(ckpt["state_dict"])
    return m.eval(), ckpt["classes"]
