"""The Python-only mini-loop that sets the demo world's noise knobs and training budgets:

    world (train) --noisy labels--> export --train--> detector D0 + Florence-2-layout F0 (round 0)
    D0/F0 label unlabelled world images --> export --retrain from D0/F0--> D1/F1 (round 1)
    every model scored on held-out world images against the truth

    /usr/bin/python3 -m training.miniloop --work DIR [--train-images N] [--det-steps N] [--f2-steps N] ...

The truth is read only by the quality module: predictions are written as annotation rows
(`region_text.jsonl`, `text.jsonl`) and scored by `fld world score --json`. Python never opens truth/.
Prints one JSON object per line; the last line is the summary (also written to DIR/miniloop.json).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch
from PIL import Image

from .florence2_layout.decode import greedy, load_folder, prepare_encoder
from .florence2_layout.preprocess import preprocess_image
from .trainer.common import progress
from .trainer.detector import letterbox, predict
from .trainer.train_detector import load as load_detector

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F2_TASKS = "<CAPTION>,<OD>,<CAPTION_TO_PHRASE_GROUNDING>,<REGION_TO_DESCRIPTION>"
NOISE_KNOBS = ("drop-object", "wrong-category", "box-jitter", "duplicate-box", "caption-wrong-colour",
               "caption-missing-object", "caption-extra-object")


def fld(*args: str) -> str:
    r = subprocess.run(["npx", "tsx", os.path.join(ROOT, "pipeline/cli/main.ts"), *args], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"fld {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return r.stdout


def train(*args: str) -> None:
    """Runs the trainer, passing its progress lines through as they come."""
    with subprocess.Popen([sys.executable, "-m", "training.train", *args], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}) as proc:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            sys.stdout.write(line)
            sys.stdout.flush()
        err = proc.stderr.read()
    if proc.returncode != 0:
        raise RuntimeError(f"training.train {' '.join(args)} failed ({proc.returncode}): {err.strip()[-2000:]}")
    done = [json.loads(line) for line in lines if line.startswith("{")]
    progress("trained", out=args[args.index("--out") + 1], eval=next((d for d in done if d["event"] == "eval"), None),
             seconds=next((d["seconds"] for d in done if d["event"] == "done"), None))


def world_images(world: str) -> List[str]:
    d = os.path.join(world, "collection", "images")
    return [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".png")]


def image_id(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


@torch.no_grad()
def detect(model_dir: str, images: List[str], score: float) -> Dict[str, List[dict]]:
    model, classes = load_detector(model_dir)
    out: Dict[str, List[dict]] = {}
    for i in range(0, len(images), 32):
        chunk = images[i:i + 32]
        boxes_info, tensors = [], []
        for p in chunk:
            with Image.open(p) as im:
                t, s, px, py = letterbox(im, model.image_size)
                boxes_info.append((s, px, py, im.width, im.height))
            tensors.append(t.float() / 255.0)
        for p, (b, sc, cl), (s, px, py, w, h) in zip(chunk, predict(model, torch.stack(tensors), score), boxes_info):
            rows = []
            for k in range(len(sc)):
                x0, y0, x1, y1 = b[k].tolist()
                box = [min(max((x0 - px) / s, 0), w), min(max((y0 - py) / s, 0), h), min(max((x1 - px) / s, 0), w), min(max((y1 - py) / s, 0), h)]
                if box[2] - box[0] > 0 and box[3] - box[1] > 0:
                    rows.append({"box": box, "category": classes[int(cl[k])], "score": float(sc[k]), "w": w, "h": h})
            out[p] = rows
    return out


@torch.no_grad()
def caption(model_dir: str, images: List[str], max_new_tokens: int = 64) -> Dict[str, str]:
    model, tok, pre, s = load_folder(model_dir)
    out = {}
    for i in range(0, len(images), 32):
        chunk = images[i:i + 32]
        px = torch.stack([preprocess_image(p, pre) for p in chunk])
        enc, mask = prepare_encoder(model, tok, px, ["<CAPTION>"] * len(chunk), pre)
        for p, ids in zip(chunk, greedy(model, enc, mask, s, max_new_tokens)):
            out[p] = tok.decode(ids, skip_special_tokens=True).strip()
    return out


def write_labels(folder: str, dets: Dict[str, List[dict]], caps: Dict[str, str], source: str) -> None:
    """Annotation rows (schemas/records.ts shapes) for `fld world score`."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "region_text.jsonl"), "w") as f:
        for p, rows in dets.items():
            for k, r in enumerate(rows):
                f.write(json.dumps({"image_id": image_id(p), "round": 0, "region_id": f"{image_id(p)}-d{k}", "kind": "object",
                                    "box": r["box"], "quad": None, "phrase": r["category"], "brief": None, "noun_chunks": [],
                                    "source": source, "score": r["score"], "sources": [source]}) + "\n")
    with open(os.path.join(folder, "text.jsonl"), "w") as f:
        for p, text in caps.items():
            f.write(json.dumps({"image_id": image_id(p), "round": 0, "text_id": f"{image_id(p)}-brief", "granularity": "brief",
                                "text": text, "source": source, "score": None, "sources": [source], "objects": 0, "attributes": 0,
                                "actions": 0, "proper_nouns": 0, "object_complexity": 0, "action_complexity": 0}) + "\n")


def score(world: str, labels: str) -> dict:
    r = json.loads(fld("world", "score", "--world", world, "--labels", labels, "--json"))
    b, c = r["boxes"], r["captions"]["brief"]
    p, rc = c["precision"], c["recall"]
    return {"box_f1": b["f1"], "box_precision": b["precision"], "box_recall": b["recall"],
            "caption_f1": 2 * p * rc / (p + rc) if p + rc else 0.0, "caption_precision": p, "caption_recall": rc}


def loc(v: float, size: float) -> int:
    return min(999, max(0, int(v // (size / 1000))))


def pseudo_export(folder: str, dets, caps, valid_every: int = 10) -> None:
    """Round-1 training export from the round-0 models' predictions (images linked in)."""
    for split in ("train", "valid"):
        os.makedirs(os.path.join(folder, split), exist_ok=True)
    files = {s: open(os.path.join(folder, s, "annotations.jsonl"), "w") for s in ("train", "valid")}
    for n, p in enumerate(sorted(dets)):
        split = "valid" if n % valid_every == 0 else "train"
        name = os.path.basename(p)
        link = os.path.join(folder, split, name)
        if not os.path.exists(link):
            os.symlink(os.path.abspath(p), link)
        rows = sorted(dets[p], key=lambda r: (r["box"][1], r["box"][0]))
        if rows:
            w, h = rows[0]["w"], rows[0]["h"]
            suffix = "".join(r["category"] + "".join(f"<loc_{loc(v, w if i % 2 == 0 else h)}>" for i, v in enumerate(r["box"])) for r in rows)
            files[split].write(json.dumps({"image": name, "task": "<OD>", "prefix": "<OD>", "suffix": suffix}) + "\n")
        if caps.get(p):
            files[split].write(json.dumps({"image": name, "task": "<CAPTION>", "prefix": "<CAPTION>", "suffix": caps[p]}) + "\n")
    for f in files.values():
        f.close()


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", required=True)
    p.add_argument("--train-images", type=int, default=300)
    p.add_argument("--unlabelled-images", type=int, default=200)
    p.add_argument("--heldout-images", type=int, default=100)
    p.add_argument("--det-steps", type=int, default=400)
    p.add_argument("--f2-steps", type=int, default=400)
    p.add_argument("--retrain-steps", type=int, default=0, help="round-1 steps per model; 0 skips round 1")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--det-score", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--round0", help="a models folder with demo-detector/ and demo-florence2/ (npm run train:world) used as D0/F0 instead of training them")
    p.add_argument("--world-seeds", default="1,2,3", help="train, unlabelled, held-out world seeds")
    for k in NOISE_KNOBS:
        p.add_argument(f"--{k}", help=f"noise knob (fld world export-noisy --{k})")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    t0 = time.time()
    w = os.path.abspath(a.work)
    s_train, s_unl, s_held = a.world_seeds.split(",")
    worlds = {"train": (a.train_images, s_train), "unlabelled": (a.unlabelled_images, s_unl), "heldout": (a.heldout_images, s_held)}
    for name, (n, seed) in worlds.items():
        if not os.path.exists(os.path.join(w, name, "truth", "world.json")):
            fld("world", "generate", "--out", os.path.join(w, name), "--images", str(n), "--seed", seed)
    knobs = [x for k in NOISE_KNOBS if getattr(a, k.replace("-", "_")) is not None for x in (f"--{k}", getattr(a, k.replace("-", "_")))]
    fld("world", "export-noisy", "--world", os.path.join(w, "train"), "--out", os.path.join(w, "export0"), "--format", "jsonl",
        "--combined", "--seed", str(a.seed), *knobs)
    progress("worlds", seconds=round(time.time() - t0, 1))
    common = ["--seed", str(a.seed), "--batch", str(a.batch), "--no-fp16"]
    ex0 = os.path.join(w, "export0", "all")
    if a.round0:
        for src, dst in (("demo-detector", "D0"), ("demo-florence2", "F0")):
            if not os.path.exists(f"{w}/{dst}"):
                os.symlink(os.path.abspath(os.path.join(a.round0, src)), f"{w}/{dst}")
    else:
        train("--export", ex0, "--out", f"{w}/D0", "--family", "detector", "--steps", str(a.det_steps), *common[:4])
        train("--export", ex0, "--out", f"{w}/F0", "--tasks", F2_TASKS, "--steps", str(a.f2_steps), *common)
    held, unl = world_images(os.path.join(w, "heldout")), world_images(os.path.join(w, "unlabelled"))
    result = {"config": vars(a), "rounds": {}}
    write_labels(f"{w}/labels-r0", detect(f"{w}/D0", held, a.det_score), caption(f"{w}/F0", held), "miniloop-r0")
    result["rounds"]["0"] = score(os.path.join(w, "heldout"), f"{w}/labels-r0")
    progress("scored", round=0, **result["rounds"]["0"])
    if a.retrain_steps:
        d0, c0 = detect(f"{w}/D0", unl, a.det_score), caption(f"{w}/F0", unl)
        if sum(len(v) for v in d0.values()) == 0:
            result["rounds"]["1"] = "skipped: the round-0 detector found nothing on the unlabelled images (budget too small)"
            a.retrain_steps = 0
    if a.retrain_steps:
        pseudo_export(f"{w}/export1", d0, c0)
        train("--export", f"{w}/export1", "--out", f"{w}/D1", "--family", "detector", "--init", f"{w}/D0", "--steps", str(a.retrain_steps), *common[:4])
        train("--export", f"{w}/export1", "--out", f"{w}/F1", "--init", f"{w}/F0", "--tasks", "<CAPTION>,<OD>", "--steps", str(a.retrain_steps), *common)
        write_labels(f"{w}/labels-r1", detect(f"{w}/D1", held, a.det_score), caption(f"{w}/F1", held), "miniloop-r1")
        result["rounds"]["1"] = score(os.path.join(w, "heldout"), f"{w}/labels-r1")
        progress("scored", round=1, **result["rounds"]["1"])
    result["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(w, "miniloop.json"), "w") as f:
        json.dump(result, f, indent=1)
    progress("summary", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
