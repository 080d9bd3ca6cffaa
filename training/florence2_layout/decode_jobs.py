"""Reference decode of image files: the PyTorch side of the runner-equality checks on a trained model.

    /usr/bin/python3 -m training.florence2_layout.decode_jobs MODEL_DIR --steps N [--num-beams K] < jobs.jsonl

Each stdin line is {"image": "path.png", "prompt": "<TASK>input"}. The image is read and preprocessed
here (Pillow, preprocessor_config.json; preprocess.py), the prompt built by the processor's rules
(config.construct_prompt), then greedy (K = 1) or beam search (decode.py) with generation_config.json's
logits processors. Prints one JSON line per job, in order: {"ids": [...], "text": "..."}. One job at
a time: the reference is unbatched, so the runner's batching is what is checked.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

import torch

from .decode import beam_search, greedy, load_folder, prepare_encoder
from .preprocess import preprocess_image


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model_dir")
    p.add_argument("--steps", type=int, required=True, help="max_new_tokens")
    p.add_argument("--num-beams", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model, tok, pre, s = load_folder(a.model_dir)
    pixels = {}
    with torch.no_grad():
        for n, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                job = json.loads(line)
                path, prompt = job["image"], job["prompt"]
            except (ValueError, KeyError) as e:
                print(f"stdin line {n}: want {{\"image\": path, \"prompt\": text}}: {e}", file=sys.stderr)
                return 2
            if path not in pixels:
                pixels[path] = preprocess_image(path, pre)[None]
            enc, mask = prepare_encoder(model, tok, pixels[path], [prompt], pre)
            ids = greedy(model, enc, mask, s, a.steps)[0] if a.num_beams == 1 else beam_search(model, enc, mask, s, a.steps, a.num_beams)[0][0]
            print(json.dumps({"ids": ids, "text": tok.decode(ids)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
