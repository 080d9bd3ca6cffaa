"""Does a recipe let the Florence-2-layout model localise? Single-shape images, `<OD>` boxes.

    /usr/bin/python3 -m training.trainer.localisation_probe [--device auto|cpu|cuda] [--steps N]
        [--images N] [--heldout N] [--variants frozen,od-trains-encoder] [--tasks "<OD>,<CAPTION>"]
        [--seed S] [--threads T] [--config training/world-config.json] [--work DIR]

Draws its own images (PIL: one shape of the demo world's kinds and colours on a light background,
at the world's two size bands), writes them as a JSONL + images export (`<OD>`: `name<loc_x0><loc_y0>
<loc_x1><loc_y1>`, `<CAPTION>`: "a red circle"), and trains the refinement model's recipe
(`training/world-config.json`'s florence2 section: dims, lr, batch, label cut, seed, `--aux-grid`)
through the reference trainer's `fit`, once per variant, from the same images and seed:

    frozen              the recipe as frozen: `--detach-encoder` (all), the seq2seq loss never reaches
                        the image side; only the grid auxiliary loss shapes it
    od-trains-encoder   `--detach-encoder captions`: the caption rows are detached, the `<OD>` rows'
                        loss trains the vision side and the encoder
    none                no detach at all (for comparison)

Then greedy-decodes `<OD>` on held-out images (a batched, device-side copy of
training/florence2_layout/decode.py's greedy: forced BOS first, forced EOS last, no n-gram ban) and
prints, per variant, one JSON line `{"event": "localisation", ...}`: the share of held-out shapes
found at IoU >= 0.5 with the right name (`found_iou50`), at IoU >= 0.5 whatever the name
(`box_iou50`), the mean best IoU, right names, seconds; the first line (`probe`) gives what the label
prior alone scores (`prior`: the most frequent name with the mean training box on every image). The trainer's own progress lines come before;
with `--eval-every N`, a `localisation-at` line every N steps (a learning curve under the full run's
schedule).
Needs Python, PyTorch, numpy and Pillow only (no Node, no onnx, no onnxruntime); runs on CUDA with
`--device cuda` (auto picks it where torch sees one).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from PIL import Image, ImageDraw

from ..florence2_layout.config import ModelDims, construct_prompt, preprocessor_config
from .common import ImageCache, parse_od, progress, resolve_device, seed_everything
from .export_data import load_export
from .train_florence2 import fit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAPES = ("circle", "square", "triangle", "star", "hexagon", "diamond")
COLOURS = {"red": (214, 39, 40), "orange": (247, 129, 23), "yellow": (236, 200, 20), "green": (44, 160, 44),
           "blue": (31, 89, 214), "purple": (128, 52, 176), "black": (24, 24, 24)}
BACKGROUNDS = ((248, 248, 246), (206, 208, 210), (243, 234, 208), (206, 224, 242), (214, 236, 210), (228, 220, 242))
VARIANTS = {"frozen": "all", "od-trains-encoder": "captions", "none": "none"}
LOC_BINS = 1000


def shape_points(shape: str, cx: float, cy: float, r: float, angle: float) -> List[Tuple[float, float]]:
    """Outline vertices of a polygon shape (circles are drawn as ellipses, not here)."""
    def ring(n: int, rad: Sequence[float], a0: float) -> List[Tuple[float, float]]:
        return [(cx + rad[i % len(rad)] * math.cos(a0 + 2 * math.pi * i / n), cy + rad[i % len(rad)] * math.sin(a0 + 2 * math.pi * i / n))
                for i in range(n)]
    if shape == "square":
        return ring(4, [r], angle + math.pi / 4)
    if shape == "diamond":
        return [(cx, cy - r), (cx + 0.7 * r, cy), (cx, cy + r), (cx - 0.7 * r, cy)]
    if shape == "triangle":
        return ring(3, [r], angle - math.pi / 2)
    if shape == "hexagon":
        return ring(6, [r], angle)
    if shape == "star":
        return ring(10, [r, 0.45 * r], angle - math.pi / 2)
    raise ValueError(shape)


def draw(rng: random.Random, size: int) -> Tuple[Image.Image, str, str, List[float]]:
    """One image: (image, shape, colour, box [x0, y0, x1, y1] in pixels). Sizes as the demo world's
    (radius 5-7% or 11-16% of the side, half each)."""
    shape, colour = rng.choice(SHAPES), rng.choice(sorted(COLOURS))
    im = Image.new("RGB", (size, size), rng.choice(BACKGROUNDS))
    d = ImageDraw.Draw(im)
    r = size * (rng.uniform(0.05, 0.07) if rng.random() < 0.5 else rng.uniform(0.11, 0.16))
    cx, cy = rng.uniform(r + 2, size - r - 2), rng.uniform(r + 2, size - r - 2)
    if shape == "circle":
        box = [cx - r, cy - r, cx + r, cy + r]
        d.ellipse(box, fill=COLOURS[colour])
    else:
        pts = shape_points(shape, cx, cy, r, rng.uniform(0, math.pi / 6) if shape in ("square", "hexagon") else 0.0)
        d.polygon(pts, fill=COLOURS[colour])
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        box = [min(xs), min(ys), max(xs), max(ys)]
    return im, shape, colour, box


def loc(v: float, size: int) -> int:
    """Florence-2's floor quantisation of a pixel coordinate (docs/florence2-formats.md section 4)."""
    return max(0, min(LOC_BINS - 1, int(v / size * LOC_BINS)))


def od_suffix(shape: str, box: Sequence[float], size: int) -> str:
    return shape + "".join(f"<loc_{loc(v, size)}>" for v in box)


def write_export(root: str, images: int, heldout: int, seed: int, size: int, valid_fraction: float = 0.1) -> List[dict]:
    """train/ and valid/ (annotations.jsonl + PNGs, the trainer's export form) and heldout/ PNGs;
    returns the held-out truth [{image, shape, box}]."""
    rng = random.Random(seed)
    n_valid = max(1, int(round(images * valid_fraction)))
    truth: List[dict] = []
    for split, n in (("train", images - n_valid), ("valid", n_valid), ("heldout", heldout)):
        os.makedirs(os.path.join(root, split), exist_ok=True)
        lines = []
        for i in range(n):
            im, shape, colour, box = draw(rng, size)
            name = f"{i:06d}.png"
            im.save(os.path.join(root, split, name))
            if split == "heldout":
                truth.append({"image": os.path.join(root, split, name), "shape": shape, "box": box, "size": size})
                continue
            lines.append({"image": name, "task": "<OD>", "prefix": "<OD>", "suffix": od_suffix(shape, box, size)})
            lines.append({"image": name, "task": "<CAPTION>", "prefix": "<CAPTION>", "suffix": f"a {colour} {shape}"})
        if split != "heldout":
            with open(os.path.join(root, split, "annotations.jsonl"), "w") as f:
                f.write("".join(json.dumps(x) + "\n" for x in lines))
    return truth


@torch.no_grad()
def greedy(model, enc: torch.Tensor, enc_mask: torch.Tensor, start: int, bos: int, eos: int, pad: int,
           max_new_tokens: int) -> List[List[int]]:
    """decode.py's greedy, batched on the model's device: each row is the start token + the generated
    tokens up to and including EOS; forced BOS at the first step, forced EOS at the last."""
    b, dev = enc.shape[0], enc.device
    seqs = [[start] for _ in range(b)]
    done = torch.zeros(b, dtype=torch.bool, device=dev)
    last = torch.full((b, 1), start, dtype=torch.long, device=dev)
    past = None
    for step in range(max_new_tokens):
        logits, past = model.decode(model.embed_tokens(last), enc, enc_mask, past)
        scores = torch.log_softmax(logits[:, -1, :].float(), -1)
        if step == 0:
            scores[:] = -float("inf")
            scores[:, bos] = 0
        if step == max_new_tokens - 1:
            scores[:] = -float("inf")
            scores[:, eos] = 0
        nxt = scores.argmax(-1)
        live = (~done).tolist()
        for r, t in enumerate(nxt.tolist()):
            if live[r]:
                seqs[r].append(t)
        done |= nxt == eos
        if bool(done.all()):
            break
        last = torch.where(done, torch.full_like(nxt, pad), nxt)[:, None]
    return seqs


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@torch.no_grad()
def decode_od(model, tok, images: Sequence[str], device: str, batch: int = 64, max_new_tokens: int = 40) -> List[str]:
    """Greedy `<OD>` texts (special tokens but `<loc_N>` dropped) of image files, as the model folder's
    preprocessor reads them (ImageNet mean / std; the images are already at the input size)."""
    pre = preprocessor_config(model.dims)
    mean = torch.tensor(pre["image_mean"], device=device).view(1, 3, 1, 1)
    std = torch.tensor(pre["image_std"], device=device).view(1, 3, 1, 1)
    cache = ImageCache(model.dims.image_size)
    prompt = tok.encode(construct_prompt("<OD>", pre))
    out: List[str] = []
    model.eval()
    for i in range(0, len(images), batch):
        paths = images[i:i + batch]
        px = (torch.stack([cache.get(p) for p in paths]).to(device).float() / 255.0 - mean) / std
        ids = torch.tensor([prompt] * len(paths), device=device)
        mask = torch.ones_like(ids)
        embeds, emask = model.encoder_inputs(px, ids, mask)
        enc = model.encode(embeds, emask)
        for seq in greedy(model, enc, emask, tok.eos_id, tok.bos_id, tok.eos_id, tok.pad_id, max_new_tokens):
            body = [t for t in seq[1:] if t not in (tok.bos_id, tok.eos_id, tok.pad_id)]
            out.append(tok.decode(body))
    return out


def score(texts: Sequence[str], truth: Sequence[dict]) -> dict:
    """Per held-out image (one true shape): the best-IoU predicted box of the right name, and of any name."""
    found = boxed = named = 0
    ious: List[float] = []
    for text, t in zip(texts, truth):
        try:
            items = parse_od(text, t["size"], t["size"])
        except ValueError:
            items = []
        best_any = max((iou(b, t["box"]) for _, b in items), default=0.0)
        best_named = max((iou(b, t["box"]) for n, b in items if n == t["shape"]), default=0.0)
        named += any(n == t["shape"] for n, _ in items)
        found += best_named >= 0.5
        boxed += best_any >= 0.5
        ious.append(best_any)
    n = max(1, len(truth))
    return {"heldout": len(truth), "found_iou50": found / n, "box_iou50": boxed / n, "mean_best_iou": sum(ious) / n,
            "right_name": named / n}


def recipe(config: str) -> dict:
    with open(config) as f:
        return json.load(f)["florence2"]


def run_variant(variant: str, rows, od: Dict[str, str], truth: Sequence[dict], f2: dict, dims: dict, steps: int,
                device: str, batch: Optional[int], eval_every: int = 0) -> dict:
    seed_everything(f2["seed"])
    t0 = time.time()

    def checkpoint(n: int, model, tok) -> None:
        """A learning curve in the same run (the schedule is the full run's): decoding reads no random numbers."""
        if eval_every and n % eval_every == 0 and n < steps:
            progress("localisation-at", variant=variant, step=n, elapsed_s=round(time.time() - t0, 1),
                     **score(decode_od(model, tok, [t["image"] for t in truth], device), truth))
    model, tok, metrics = fit(rows, steps, f2["seed"], None, batch or f2["batch"], f2["lr"],
                              json.dumps(dims), f2.get("max_target_tokens"),
                              aux_grid=f2.get("aux_grid", 0.0), od_suffix=od if f2.get("aux_grid") else None,
                              detach_encoder=VARIANTS[variant], device=device, after_step=checkpoint)
    train_s = time.time() - t0
    t1 = time.time()
    texts = decode_od(model, tok, [t["image"] for t in truth], device)
    result = {"event": "localisation", "variant": variant, "detach_encoder": VARIANTS[variant], "device": device,
              "steps": steps, "batch": batch or f2["batch"], "train_rows": metrics["train_rows"],
              **score(texts, truth), "valid_loss_per_task": metrics["valid"]["loss_per_task"],
              "train_seconds": round(train_s, 1), "decode_seconds": round(time.time() - t1, 1),
              "samples": [{"text": x, "expected": od_suffix(t["shape"], t["box"], t["size"])} for x, t in list(zip(texts, truth))[:3]]}
    return result


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="training.trainer.localisation_probe", description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--steps", type=int, default=300, help="training steps per variant")
    p.add_argument("--images", type=int, default=240, help="training images (10%% of them the valid split)")
    p.add_argument("--heldout", type=int, default=60, help="held-out images decoded and scored")
    p.add_argument("--variants", default="frozen,od-trains-encoder", help=f"comma-separated, of {', '.join(VARIANTS)}")
    p.add_argument("--tasks", default="<OD>,<CAPTION>", help="tasks trained (the export has <OD> and <CAPTION> rows)")
    p.add_argument("--batch", type=int, help="default: the recipe's")
    p.add_argument("--image-size", type=int, help="images and model input (default: the recipe's, 256); a quick CPU run's knob")
    p.add_argument("--patch-stride", type=int, choices=[16, 32], help="the vision stem's stride (default: the recipe's, 32)")
    p.add_argument("--seed", type=int, default=0, help="seed of the images (training uses the recipe's)")
    p.add_argument("--eval-every", type=int, default=0, help="also score the held-out images every N steps (a 'localisation-at' line)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--config", default=os.path.join(ROOT, "training", "world-config.json"))
    p.add_argument("--work", help="write the images here and keep them (default: a temp folder, removed)")
    a = p.parse_args(argv)
    variants = [v.strip() for v in a.variants.split(",") if v.strip()]
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        p.error(f"--variants: unknown {bad}; choose from {', '.join(VARIANTS)}")
    if a.steps < 1 or a.images < 2 or a.heldout < 1:
        p.error("--steps, --heldout must be at least 1 and --images at least 2")
    try:
        device = resolve_device(a.device)
    except ValueError as e:
        p.error(str(e))
    torch.set_num_threads(a.threads)
    f2 = recipe(a.config)
    dims = dict(f2.get("dims", {}))
    if a.image_size:
        dims["image_size"] = a.image_size
    if a.patch_stride:
        dims["patch_stride"] = a.patch_stride
    size = ModelDims(**dims).image_size  # checks the overrides too
    tasks = [t.strip() for t in a.tasks.split(",")]
    work = a.work or tempfile.mkdtemp(prefix="fld-localisation-")
    try:
        t0 = time.time()
        truth = write_export(work, a.images, a.heldout, a.seed, size)
        rows = load_export(work, tasks)
        od = {r.image: r.suffix for r in rows["train"] if r.task == "<OD>"}
        # What the label prior alone scores: the most frequent name with the mean training box, on every image.
        items = [it for t in od.values() for it in parse_od(t, size, size)]
        names = [n for n, _ in items]
        prior_text = od_suffix(max(set(names), key=names.count), [sum(b[k] for _, b in items) / len(items) for k in range(4)], size)
        prior = score([prior_text] * len(truth), truth)
        progress("probe", device=device, torch=torch.__version__, gpu=torch.cuda.get_device_name(0) if device == "cuda" else None,
                 images=a.images, heldout=a.heldout, steps=a.steps, tasks=tasks, variants=variants,
                 recipe={k: f2[k] for k in ("batch", "lr", "max_target_tokens", "seed", "aux_grid", "detach_encoder") if k in f2}, dims=dims,
                 draw_seconds=round(time.time() - t0, 1), prior={"text": prior_text, **prior})
        for v in variants:
            sys.stdout.write(json.dumps(run_variant(v, rows, od, truth, f2, dims, a.steps, device, a.batch, a.eval_every)) + "\n")
            sys.stdout.flush()
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
