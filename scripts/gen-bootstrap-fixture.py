#!/usr/bin/env python3
"""Reference bootstrap intervals for test/unit/bootstrap-intervals.test.ts.

An independent computation of the engine's paired percentile intervals
(src-main/engine/runner/intervals.ts): fixed per-sentence statistics and FIXED
resample indices (both stored in the fixture, so the TypeScript side uses the
same resamples), then per resample
  - corpus BLEU from the summed n-gram statistics, sacreBLEU 2.6.0's
    BLEU.compute_bleu with its default 'exp' smoothing (no effective order),
  - the mean of per-sentence scores (ROUGE-Lsum's corpus figure),
  - the speedup: summed large-only ms / summed ms of the same sentences,
and numpy's percentile (linear) at 2.5 and 97.5.

    python3 scripts/gen-bootstrap-fixture.py   # writes test/fixtures/bootstrap-reference.json
"""
import json
import math
import os

import numpy as np

N, RESAMPLES, ORDER = 40, 300, 4
rng = np.random.default_rng(20261214)

# Sentence statistics: hypothesis and reference lengths near each other (the brevity penalty
# applies in some resamples), and 4-gram matches in only a few sentences, so that some
# resamples have none and exp smoothing steps in.
sys_len = rng.integers(3, 30, N)
ref_len = np.maximum(1, sys_len + rng.integers(-4, 6, N))
totals = np.stack([np.maximum(0, sys_len - n) for n in range(ORDER)], axis=1)
correct = np.stack([rng.integers(0, totals[:, n] + 1) // (n + 1) for n in range(ORDER)], axis=1)
correct[:, 3] = 0
correct[rng.choice(N, 2, replace=False), 3] = 1
stats = np.concatenate([sys_len[:, None], ref_len[:, None], correct, totals], axis=1).astype(int)
scores = rng.uniform(0, 100, N)  # per-sentence ROUGE-Lsum F x 100
ms = rng.lognormal(3, 0.5, N)
large_ms = ms * rng.uniform(1.2, 3.0, N)
indices = rng.integers(0, N, (RESAMPLES, N))


def my_log(x):
    return -9999999999 if x == 0 else math.log(x)


def compute_bleu(correct, total, sys_len, ref_len):
    """sacreBLEU 2.6.0 BLEU.compute_bleu, smooth_method='exp', effective order off."""
    if not any(correct):
        return 0.0
    bp = 1.0 if sys_len >= ref_len else (math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0)
    precisions = [0.0] * ORDER
    smooth_mteval = 1.0
    for n in range(1, ORDER + 1):
        if total[n - 1] == 0:
            break
        if correct[n - 1] == 0:
            smooth_mteval *= 2
            precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1])
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    return bp * math.exp(sum(map(my_log, precisions)) / ORDER)


def bleu_of(idx):
    s = stats[idx].sum(axis=0)
    return compute_bleu(list(s[2:2 + ORDER]), list(s[2 + ORDER:]), s[0], s[1])


def interval(draws):
    return [float(x) for x in np.percentile(np.array(draws), [2.5, 97.5])]


fixture = {
    "generator": "scripts/gen-bootstrap-fixture.py (numpy %s)" % np.__version__,
    "confidence": 0.95,
    "stats": stats.tolist(),
    "scores": scores.tolist(),
    "ms": ms.tolist(),
    "largeMs": large_ms.tolist(),
    "indices": indices.tolist(),
    "corpusBleu": bleu_of(np.arange(N)),
    "bleuCI": interval([bleu_of(i) for i in indices]),
    "meanCI": interval([scores[i].mean() for i in indices]),
    "speedupCI": interval([large_ms[i].sum() / ms[i].sum() for i in indices]),
    "zeroFourGramResamples": int(sum(stats[i, 2 + 3].sum() == 0 for i in indices)),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "bootstrap-reference.json")
with open(out, "w") as f:
    json.dump(fixture, f)
    f.write("\n")
print(out, fixture["bleuCI"], fixture["speedupCI"], "resamples without 4-gram matches:", fixture["zeroFourGramResamples"])
