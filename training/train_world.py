"""`npm run train:world`: reproduces the demo specialists from the frozen recipe in
`training/world-config.json` (fixed seeds), writes `models/demo-detector/` and `models/demo-florence2/`,
then measures them on a held-out world against the truth (through `fld world score`) and writes the
band and the timings to `models/train-world.json`.

    /usr/bin/python3 -m training.train_world [--config training/world-config.json] [--models models] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from typing import List, Optional

import torch

from .miniloop import ROOT, caption, detect, fld, score, train, world_images, write_labels
from .trainer.common import progress


def florence2_extras(f: dict) -> List[str]:
    """The recipe's optional florence2 keys (docs/decisions.md, "Why the demo captioner ignored its image")."""
    out: List[str] = []
    if "dims" in f:
        out += ["--dims", json.dumps(f["dims"])]
    if f.get("aux_grid"):
        out += ["--aux-grid", str(f["aux_grid"])]
    if f.get("detach_encoder"):
        out.append("--detach-encoder")
    return out


def measure(cfg: dict, work: str, models: str) -> dict:
    """Box F1 (IoU 0.5) and brief-caption object F1 of the demo models on the held-out world."""
    hw = cfg["heldout_world"]
    world = os.path.join(work, "heldout")
    if not os.path.exists(os.path.join(world, "truth", "world.json")):
        fld("world", "generate", "--out", world, "--images", str(hw["images"]), "--seed", str(hw["seed"]))
    held = world_images(world)
    labels = os.path.join(work, "labels")
    write_labels(labels, detect(os.path.join(models, "demo-detector"), held, cfg["detector"]["score_threshold"]),
                 caption(os.path.join(models, "demo-florence2"), held), "demo@1")
    return score(world, labels)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", default=os.path.join(ROOT, "training", "world-config.json"))
    p.add_argument("--models", default=os.path.join(ROOT, "models"))
    p.add_argument("--work", help="keep the worlds and exports here (default: a temp folder, removed)")
    p.add_argument("--score-only", action="store_true", help="no training: measure the models already in --models on the held-out world")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    cfg = json.load(open(a.config))
    t0 = time.time()
    work = a.work or tempfile.mkdtemp(prefix="fld-train-world-")
    timings = {}
    try:
        if a.score_only:
            progress("heldout-band", **measure(cfg, work, a.models))
            return 0
        tw, hw, ex = cfg["train_world"], cfg["heldout_world"], cfg["export"]
        for name, w in (("train", tw), ("heldout", hw)):
            if not os.path.exists(os.path.join(work, name, "truth", "world.json")):
                fld("world", "generate", "--out", os.path.join(work, name), "--images", str(w["images"]), "--seed", str(w["seed"]))
        knobs = [x for k, v in ex["noise"].items() for x in (f"--{k}", str(v))]
        fld("world", "export-noisy", "--world", os.path.join(work, "train"), "--out", os.path.join(work, "export"), "--format", "jsonl",
            "--combined", "--seed", str(ex["seed"]), "--valid-fraction", str(ex["valid_fraction"]), *knobs)
        timings["worlds_s"] = round(time.time() - t0, 1)
        export = os.path.join(work, "export", "all")
        d, f = cfg["detector"], cfg["florence2"]
        det_dir, f2_dir = os.path.join(a.models, "demo-detector"), os.path.join(a.models, "demo-florence2")
        # The two trainers run side by side, one thread each: on the 2 shared cores one 2-thread trainer
        # after the other measured 2.8 s/step (detector, batch 16) against 0.7 s/step (batch 8) for one
        # thread beside the other trainer, and one thread per trainer keeps each run bit-reproducible.
        jobs = {
            "detector_s": ("--export", export, "--out", det_dir, "--family", "detector", "--steps", str(d["steps"]),
                           "--batch", str(d["batch"]), "--lr", str(d["lr"]), "--seed", str(d["seed"]),
                           "--name", "demo-detector", "--version", "1", "--threads", "1"),
            "florence2_s": ("--export", export, "--out", f2_dir, "--tasks", f["tasks"], "--steps", str(f["steps"]),
                            "--batch", str(f["batch"]), "--lr", str(f["lr"]), "--max-target-tokens", str(f["max_target_tokens"]),
                            "--seed", str(f["seed"]), "--name", "demo-florence2", "--version", "1", "--threads", "1",
                            *([] if f["fp16"] else ["--no-fp16"]), *florence2_extras(f)),
        }
        errors: List[BaseException] = []

        def run(key: str, args) -> None:
            t = time.time()
            try:
                train(*args)
            except BaseException as e:  # reported after both finish, so neither is left running alone
                errors.append(e)
            timings[key] = round(time.time() - t, 1)

        threads = [threading.Thread(target=run, args=(k, v)) for k, v in jobs.items()]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]
        timings["total_train_s"] = round(time.time() - t0, 1)
        t = time.time()
        band = measure(cfg, work, a.models)
        timings["heldout_score_s"] = round(time.time() - t, 1)
        size = sum(os.path.getsize(os.path.join(r, n)) for m in (det_dir, f2_dir) for r, _, ns in os.walk(m) for n in ns)
        report = {"config": cfg, "heldout_band": band, "timings": timings, "models_bytes": size,
                  "target": {"box_f1": [0.5, 0.8], "caption_f1": [0.4, 0.8]}}
        with open(os.path.join(a.models, "train-world.json"), "w") as fh:
            json.dump(report, fh, indent=1)
            fh.write("\n")
        progress("train-world", **report)
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
