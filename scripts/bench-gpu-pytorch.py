#!/usr/bin/env python3
"""PyTorch eager reference for `npm run bench:gpu` (src-main/bench/bench-gpu.ts), run on the same
machine in the same benchmark so ratios compare like with like.

Reads a JSON job on stdin (model folders, token ids, dtypes), times Hugging Face transformers'
`generate()` (greedy, batch 1, eager attention, KV cache) and prints one JSON object on stdout:
{"env": {...}, "rows": [{"model", "role", "dtype", "ms_per_sentence", "ms_per_token", "tokens", "ids"?}]}.
"""
import json
import sys
import time

import torch
import transformers
from transformers import AutoModelForSeq2SeqLM

DTYPES = {"fp32": torch.float32, "fp16": torch.float16}


def load(folder, dtype, device):
    model = AutoModelForSeq2SeqLM.from_pretrained(folder, dtype=DTYPES[dtype], attn_implementation="eager")
    return model.to(device).eval()


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


@torch.inference_mode()
def time_generate(model, inputs, device, warmup, **gen):
    """Mean ms per call and generated tokens over `inputs` (lists of ids), after `warmup` untimed calls."""
    tensors = [torch.tensor([ids], device=device) for ids in inputs]
    for t in tensors[:warmup]:
        model.generate(t, do_sample=False, num_beams=1, **gen)
    total_ms, tokens, outs = 0.0, 0, []
    for t in tensors:
        sync(device)
        t0 = time.perf_counter()
        out = model.generate(t, do_sample=False, num_beams=1, **gen)
        sync(device)
        total_ms += (time.perf_counter() - t0) * 1000
        ids = out[0].tolist()
        tokens += len(ids) - 1  # the decoder start token is not generated
        outs.append(ids)
    return total_ms / len(tensors), tokens, outs


def main():
    job = json.load(sys.stdin)
    device = job.get("device", "cuda")
    rows = []
    for dtype in job["dtypes"]:
        demo = job.get("demo")
        if demo:
            for role in ("large", "small"):
                model = load(demo[role], dtype, device)
                ms, tokens, outs = time_generate(model, demo["inputs"], device, demo["warmup"], max_length=demo["maxLength"])
                rows.append({"model": "demo", "role": role, "dtype": dtype, "ms_per_sentence": ms,
                             "ms_per_token": ms * len(outs) / tokens, "tokens": tokens, "ids": outs})
                del model
        for shape in job.get("random", []):
            src = [list(range(3, 3 + shape["srcLen"]))] * shape["calls"]
            n = shape["newTokens"]
            for role in ("large", "small"):
                model = load(shape[role], dtype, device)
                ms, tokens, _ = time_generate(model, src, device, 1, max_new_tokens=n, min_new_tokens=n)
                rows.append({"model": shape["name"], "role": role, "dtype": dtype, "ms_per_sentence": ms,
                             "ms_per_token": ms * shape["calls"] / tokens, "tokens": tokens})
                del model
            if device.startswith("cuda"):
                torch.cuda.empty_cache()
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu"
    env = {"torch": torch.__version__, "transformers": transformers.__version__, "device": gpu}
    json.dump({"env": env, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
