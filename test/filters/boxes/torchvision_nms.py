#!/usr/bin/python3
"""Reference runs of torchvision's NMS for fld-engine's equivalence test and benchmark.

  cases OUT.json [--count N] [--seed S]   random cases with distinct scores, plus tie cases,
                                          with torchvision.ops.nms and batched_nms (per-class path) results
  bench OUT.json --sizes 1000 10000 [--repeat R] [--seed S]
                                          boxes, scores and torchvision.ops.nms wall and CPU time
                                          (measured here, excluding interpreter start-up and import)

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision).
"""
import argparse
import json
import time

import torch
import torchvision
from torchvision.ops import boxes as box_ops

torch.set_num_threads(1)


def random_boxes(n, gen, width=1000.0, height=800.0):
    # a mix of clustered boxes (so that NMS has work) and scattered ones
    clusters = max(1, n // 8)
    centres = torch.rand(clusters, 2, generator=gen) * torch.tensor([width, height])
    pick = torch.randint(0, clusters, (n,), generator=gen)
    jitter = torch.randn(n, 2, generator=gen) * 12.0
    c = centres[pick] + jitter
    wh = torch.exp(torch.randn(n, 2, generator=gen) * 0.6 + 3.5)
    scattered = torch.rand(n, generator=gen) < 0.3
    c[scattered] = torch.rand(int(scattered.sum()), 2, generator=gen) * torch.tensor([width, height])
    xyxy = torch.cat([c - wh / 2, c + wh / 2], dim=1).to(torch.float32)
    return xyxy


def distinct_scores(n, gen):
    while True:
        s = torch.rand(n, generator=gen, dtype=torch.float32)
        if torch.unique(s).numel() == n:
            return s


def cases(args):
    gen = torch.Generator().manual_seed(args.seed)
    out = []
    for k in range(args.count):
        n = int(torch.randint(1, 250, (1,), generator=gen))
        xyxy = random_boxes(n, gen)
        scores = distinct_scores(n, gen)
        labels = torch.randint(0, 4, (n,), generator=gen)
        thr = [0.3, 0.5, 0.7][k % 3] if k % 2 == 0 else round(float(torch.rand(1, generator=gen)) * 0.9 + 0.05, 3)
        keep = torchvision.ops.nms(xyxy, scores, thr)
        keep_b = box_ops._batched_nms_vanilla(xyxy, scores, labels, thr)
        out.append({"boxes": xyxy.flatten().tolist(), "scores": scores.tolist(), "labels": labels.tolist(),
                    "iou": thr, "keep": keep.tolist(), "keep_batched": keep_b.tolist()})
    ties = []
    for k in range(50):
        n = int(torch.randint(2, 60, (1,), generator=gen))
        xyxy = random_boxes(n, gen)
        # few distinct score values: many ties
        scores = (torch.randint(0, 4, (n,), generator=gen).to(torch.float32) / 4.0)
        keep = torchvision.ops.nms(xyxy, scores, 0.5)
        ties.append({"boxes": xyxy.flatten().tolist(), "scores": scores.tolist(), "iou": 0.5, "torchvision_keep": keep.tolist()})
    nan_cases = []
    for k in range(20):
        n = int(torch.randint(2, 80, (1,), generator=gen))
        xyxy = random_boxes(n, gen)
        holes = torch.rand(n, 4, generator=gen) < 0.1
        xyxy[holes] = float("nan")
        scores = distinct_scores(n, gen)
        keep = torchvision.ops.nms(xyxy, scores, 0.5)
        nan_cases.append({"boxes": [None if v != v else v for v in xyxy.flatten().tolist()], "scores": scores.tolist(), "iou": 0.5, "keep": keep.tolist()})
    # borderline pairs: thresholds between the float32 IoU (what torchvision computes) and the
    # float64 IoU of the same float32 coordinates, so that only float32 arithmetic gives its answer
    borderline = []
    tries = 0
    while len(borderline) < 100 and tries < 200000:
        tries += 1
        a = (torch.rand(4, generator=gen, dtype=torch.float64) * 100).to(torch.float32)
        b = (a.to(torch.float64) + torch.randn(4, generator=gen, dtype=torch.float64) * 5).to(torch.float32)
        a = torch.stack([torch.minimum(a[0], a[2]), torch.minimum(a[1], a[3]), torch.maximum(a[0], a[2]), torch.maximum(a[1], a[3])])
        b = torch.stack([torch.minimum(b[0], b[2]), torch.minimum(b[1], b[3]), torch.maximum(b[0], b[2]), torch.maximum(b[1], b[3])])
        def iou(p, q):
            area_p = (p[2] - p[0]) * (p[3] - p[1])
            area_q = (q[2] - q[0]) * (q[3] - q[1])
            w = torch.clamp(torch.minimum(p[2], q[2]) - torch.maximum(p[0], q[0]), min=0)
            h = torch.clamp(torch.minimum(p[3], q[3]) - torch.maximum(p[1], q[1]), min=0)
            inter = w * h
            return inter / (area_p + area_q - inter)
        i32 = float(iou(a, b))
        i64 = float(iou(a.to(torch.float64), b.to(torch.float64)))
        if i32 == i64 or not (0.05 < i32 < 0.95):
            continue
        thr = (i32 + i64) / 2
        xyxy = torch.stack([a, b])
        scores = torch.tensor([0.9, 0.8])
        keep = torchvision.ops.nms(xyxy, scores, thr)
        borderline.append({"boxes": xyxy.flatten().tolist(), "scores": scores.tolist(), "iou": thr, "keep": keep.tolist(), "iou32": i32, "iou64": i64})
    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__, "seed": args.seed}
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "cases": out, "ties": ties, "nan_cases": nan_cases, "borderline": borderline}, f)


def bench(args):
    gen = torch.Generator().manual_seed(args.seed)
    runs = []
    for n in args.sizes:
        xyxy = random_boxes(n, gen)
        scores = distinct_scores(n, gen)
        torchvision.ops.nms(xyxy, scores, 0.5)  # warm-up
        wall, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            keep = torchvision.ops.nms(xyxy, scores, 0.5)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        wall.sort()
        cpu.sort()
        runs.append({"n": n, "boxes": xyxy.flatten().tolist(), "scores": scores.tolist(), "iou": 0.5,
                     "keep": keep.tolist(), "median_s": wall[len(wall) // 2], "min_s": wall[0],
                     "cpu_median_s": cpu[len(cpu) // 2], "cpu_min_s": cpu[0]})
    with open(args.out, "w") as f:
        json.dump({"meta": {"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": torch.get_num_threads()}, "runs": runs}, f)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cases")
    c.add_argument("out")
    c.add_argument("--count", type=int, default=1000)
    c.add_argument("--seed", type=int, default=20231106)
    b = sub.add_parser("bench")
    b.add_argument("out")
    b.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    b.add_argument("--repeat", type=int, default=7)
    b.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    cases(args) if args.cmd == "cases" else bench(args)


if __name__ == "__main__":
    main()
