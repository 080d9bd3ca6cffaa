"""The reference trainer: the training stage's default command (docs/training-stage.md).

    /usr/bin/python3 -m training.train --export DIR --out DIR [--family florence2|detector]
        [--init MODEL_DIR] [--steps N] [--seed S] [--batch B] [--lr LR] [--tasks T1,T2]
        [--dims JSON] [--aux-grid W] [--detach-encoder [all|captions]] [--device auto|cpu|cuda] ...

Reads a JSONL + images export (checked in full first), trains, writes a model folder atomically
(temp folder + rename; `fld-model.json` last inside it) with `metrics.json`. Progress is one JSON
object per line on stdout. Exit 0 on success, 2 on a bad export or bad arguments (nothing written;
`--device cuda` where torch sees no CUDA is one), 1 on any other failure (nothing written).
Training runs on `--device` (default auto: CUDA when torch sees it, else the CPU); the written folder
is the same on either (weights saved and ONNX exported from the CPU).
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import torch

from .trainer.common import progress, resolve_device, seed_everything
from .trainer.export_data import ExportError, load_export

EXIT_BAD_INPUT = 2


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="training.train", description=__doc__.split("\n")[0])
    p.add_argument("--export", required=True, help="export folder with train/ and valid/ (annotations.jsonl + images)")
    p.add_argument("--out", required=True, help="model folder to write (replaced atomically)")
    p.add_argument("--family", choices=["florence2", "detector"], default="florence2")
    p.add_argument("--init", help="model folder to start from (its model.pt)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, help="peak learning rate (default 1e-3 florence2, 2e-3 detector)")
    p.add_argument("--tasks", help="comma-separated task tokens to train on (default: every task in the export; detector: <OD>)")
    p.add_argument("--classes", help="detector: comma-separated class names in output order (default: sorted names in the export)")
    p.add_argument("--dims", help="florence2: JSON object of ModelDims fields (new model only)")
    p.add_argument("--max-target-tokens", type=int, help="florence2: labels longer than this are cut, EOS kept (default: the decoder's positions)")
    p.add_argument("--aux-image-words", type=float, default=0.0, help="florence2: weight of the training-only "
                   "loss that predicts the target's words from the pooled image states (0 = off)")
    p.add_argument("--aux-grid", type=float, default=0.0, help="florence2: weight of the training-only loss that "
                   "predicts, per image token, the categories of the export's <OD> boxes covering its cell (0 = off)")
    p.add_argument("--grid-only-steps", type=int, default=0, help="florence2: the first N steps train only the --aux-grid loss")
    p.add_argument("--detach-encoder", nargs="?", const="all", choices=["all", "captions"], default=None,
                   help="florence2: 'all' (the flag alone): the seq2seq loss does not train the vision side and encoder "
                   "(the auxiliary losses do; with --init and none, they keep the init's weights); 'captions': only the "
                   "caption tasks' rows (<CAPTION>, <DETAILED_CAPTION>, <MORE_DETAILED_CAPTION>) are detached, every "
                   "other task's rows (<OD>, grounding, region tasks) train the image side")
    p.add_argument("--decoder-token-dropout", type=float, default=0.0, help="florence2: fraction of decoder input tokens replaced by <pad> in training")
    p.add_argument("--bpe-merges", type=int, default=0, help="florence2: give a byte-level vocabulary up to N BPE "
                   "merges learned from the train split's targets (word tokens; new rows start as their bytes' mean); "
                   "an --init model with merges keeps its own")
    p.add_argument("--warmup", type=int, help="warm-up steps (default steps // 20)")
    p.add_argument("--no-decay-norm-bias", action="store_true", help="florence2: no weight decay on biases and LayerNorm weights")
    p.add_argument("--no-fp16", action="store_true", help="florence2: skip the fp16 ONNX files")
    p.add_argument("--name", help="model name in fld-model.json (default demo-<family>)")
    p.add_argument("--version", default="0", help="model version in fld-model.json")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where training runs: auto = cuda when torch sees a CUDA device, else cpu (default auto)")
    a = p.parse_args(argv)
    try:
        a.device = resolve_device(a.device)
    except ValueError as e:
        p.error(str(e))
    if a.steps < 1:
        p.error(f"--steps must be at least 1, got {a.steps}")
    if a.batch < 1:
        p.error(f"--batch must be at least 1, got {a.batch}")
    if a.bpe_merges < 0:
        p.error(f"--bpe-merges must be at least 0, got {a.bpe_merges}")
    if a.max_target_tokens is not None and a.max_target_tokens < 2:
        p.error(f"--max-target-tokens must be at least 2 (BOS and EOS), got {a.max_target_tokens}")
    # From scratch, a detached image side with no auxiliary loss would stay random; from --init it stays
    # the init model's (how a refinement round fine-tunes the demo captioner without undoing its image side).
    # ('captions' leaves the other tasks' rows to train it.)
    if a.detach_encoder == "all" and not (a.aux_grid > 0 or a.aux_image_words > 0 or a.init):
        p.error("--detach-encoder needs --aux-grid, --aux-image-words or --init: nothing else would give the image side its weights")
    return a


def od_suffixes(export: str) -> dict:
    """image path -> its `<OD>` suffix in the train split (the grid auxiliary loss's targets)."""
    out = {r.image: r.suffix for r in load_export(export, ["<OD>"], splits=("train",))["train"]}
    if not out:
        raise ExportError(f"{export}: --aux-grid needs <OD> rows in the train split, there are none")
    return out


def main(argv: Optional[List[str]] = None) -> int:
    a = parse(argv)
    torch.set_num_threads(a.threads)
    seed_everything(a.seed)
    tasks = [t.strip() for t in a.tasks.split(",")] if a.tasks else (["<OD>"] if a.family == "detector" else None)
    try:
        rows = load_export(a.export, tasks)
        progress("export", export=a.export, rows={s: len(r) for s, r in rows.items()})
        if a.family == "detector":
            from .trainer import train_detector
            classes = [c.strip() for c in a.classes.split(",")] if a.classes else None
            train_detector.train(rows, a.out, a.steps, a.seed, a.init, a.batch, a.lr or 2e-3, classes,
                                 a.name or "demo-detector", a.version, device=a.device)
        else:
            from .trainer import train_florence2
            train_florence2.train(rows, a.out, a.steps, a.seed, a.init, a.batch, a.lr or 1e-3, a.dims,
                                  a.max_target_tokens, a.name or "demo-florence2", a.version, not a.no_fp16,
                                  a.aux_image_words, a.warmup, not a.no_decay_norm_bias, a.aux_grid,
                                  od_suffixes(a.export) if a.aux_grid > 0 else None, a.grid_only_steps, a.detach_encoder or False, a.decoder_token_dropout,
                                  a.bpe_merges, device=a.device)
    except ExportError as e:
        sys.stderr.write(f"train: bad export: {e}\n")
        progress("error", stage="train", message=f"bad export: {e}")
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
