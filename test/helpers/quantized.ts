// Quantized (int8/q4) models against the fp32 export of the same checkpoint: tolerances measured
// on the demo pair, shared by the CPU (integration) and WebGPU tests.
import { greedyDecode } from '../../src-main/engine/decoding/greedy';
import type { LoadedModel } from '../../src-main/engine/model';
import { releaseSource } from '../../src-main/engine/runtime/t5-runtime';

/**
 * Block 32, accuracy level 4 (the head at 8 bits), along the fp32 model's greedy path: the largest logit difference over
 * the whole vocabulary (|logits| reach ~110 on toy-t5-large) and the largest difference in the
 * log-probability of the fp32 greedy token. Measured on the first 40 demo test sentences on CPU
 * (bounds about 2x that):
 *   toy-t5-large q4: logits 12.2, log-probability 0.081;  int8: 1.26, 0.0075
 *   toy-t5-small q4: logits 9.0, log-probability 0.078;   int8: 1.35, 0.010
 * On the first 100 demo sentences the log-probability differences reach 0.51 (large q4), 2.4
 * (small q4, a near tie) and 0.69 (small int8): docs/performance.md "Quantized weights".
 */
export const Q_TOL: Record<string, { logit: number; logprob: number }> = {
  'large-q4': { logit: 20, logprob: 0.2 },
  'large-int8': { logit: 2.5, logprob: 0.02 },
  'small-q4': { logit: 15, logprob: 0.15 },
  'small-int8': { logit: 2.5, logprob: 0.03 },
};
/** Share of sentences whose greedy output equals the fp32 model's (measured: 1.0 on these 40; on 100, q4 0.98-1.0, int8 0.99-1.0). */
export const AGREEMENT_FLOOR: Record<'q4' | 'int8', number> = { q4: 0.9, int8: 0.95 };

/** The fp32 greedy output of each sentence, fed as one chunk to `m`: the deviation of its logits and of the path's log-probabilities. */
export async function deviationFromFp32(base: LoadedModel, m: LoadedModel, sentences: string[]): Promise<{ logit: number; logprob: number; identical: number }> {
  let [logit, logprob, identical] = [0, 0, 0];
  for (const text of sentences) {
    const ids = base.tokenizer.encode(text);
    const [srcBase, srcM] = [await base.runtime.encode(ids), await m.runtime.encode(ids)];
    const path = (await greedyDecode(base.runtime, srcBase)).ids;
    const own = (await greedyDecode(m.runtime, srcM)).ids;
    if (own.join() === path.join()) identical++;
    const rows = [];
    for (const [x, src] of [[base, srcBase], [m, srcM]] as const) {
      const dec = x.runtime.newDecoder(src);
      rows.push(await dec.extend(path.slice(0, -1), path.slice(1), true));
      dec.dispose();
      releaseSource(src);
    }
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
    for (let i = 0; i < a.logits!.length; i++) logit = Math.max(logit, Math.abs(a.logits![i]! - b.logits![i]!));
    for (let i = 0; i < a.targetLogprob.length; i++) logprob = Math.max(logprob, Math.abs(a.targetLogprob[i]! - b.targetLogprob[i]!));
  }
  return { logit, logprob, identical: identical / sentences.length };
}

