// Fixed-shape decodings for random-weight models (bench:scale, bench:gpu): random weights decode
// nonsense and may emit EOS at any step, so every decoding here runs a fixed number of steps with
// EOS ignored, and says how many tokens it produced (callers check it).
import { AutoModelForSeq2SeqLM, Tensor } from '@huggingface/transformers';
import { bildDecode, type BildParams } from '../engine/decoding/bild';
import { bildVerifyPipelined } from '../engine/decoding/bild-pipelined';
import { stopDraft } from '../engine/decoding/draft-channel';
import type { TransformersJsDType } from '../engine/onnx/export-files';
import { releaseSource, type EncodedSource, type T5Runtime } from '../engine/runtime/t5-runtime';

/** One timed decoding: wall time (encoders included) and what it produced. */
export interface Decoding {
  ms: number;
  tokens: number;
  smallCalls: number;
  largeCalls: number;
}

/** A source of `n` ordinary token ids (past the special ones). */
export const fixedSource = (n: number): number[] => Array.from({ length: n }, (_, i) => 3 + i);

/** An id no argmax returns: EOS never stops a BiLD loop of these benchmarks. */
const NO_EOS = -1;

/** Greedy decoding with this engine: encode, then `steps` one-token decoder calls, each fed the previous argmax. -> the tokens */
export async function greedyTokens(rt: T5Runtime, src: number[], steps: number): Promise<number[]> {
  const enc = await rt.encode(src);
  const dec = rt.newDecoder(enc);
  const out: number[] = [];
  let tok = rt.cfg.decoderStartId;
  try {
    for (let i = 0; i < steps; i++) {
      tok = (await dec.extend([tok])).next[0]!;
      dec.commit();
      out.push(tok);
    }
    return out;
  } finally {
    dec.dispose();
    releaseSource(enc);
  }
}

/** greedyTokens, timed (the encoder included). */
export async function greedyFixed(rt: T5Runtime, src: number[], steps: number): Promise<Decoding> {
  const t0 = performance.now();
  const tokens = (await greedyTokens(rt, src, steps)).length;
  return { ms: performance.now() - t0, tokens, smallCalls: 0, largeCalls: steps };
}

/**
 * BiLD's loop (bild.ts) set so that its calls follow the best case: FB 0 (the small model never
 * falls back) and an RB no cross-entropy exceeds (nothing is rolled back), so after the large
 * model's first token the small model writes maxSmall (10) tokens in one-token steps and the
 * large model checks them in one chunk of 11, until `steps` tokens. Both encoders included.
 * `pipelined`: the small model drafts in a worker thread (bild-pipelined.ts) while the large model verifies.
 */
export async function bildLikeFixed(small: T5Runtime, large: T5Runtime, src: number[], steps: number, pipelined: boolean): Promise<Decoding> {
  const params: Required<BildParams> = { fallback: 0, rollback: Number.MAX_VALUE, maxSmall: 10, maxLength: steps + 1 };
  // loaded before the clock starts, as generate() does
  const drafter = pipelined ? await small.drafter() : undefined;
  const verifier = pipelined ? await large.verifier() : large;
  verifier.cfg.eosId = NO_EOS; // bild.ts and bild-pipelined.ts stop at the large model's cfg.eosId
  const t0 = performance.now();
  const job = drafter?.begin(src, { fallback: 0, maxSmall: params.maxSmall, maxLength: params.maxLength, startId: verifier.cfg.decoderStartId, eosId: NO_EOS });
  const encoded: EncodedSource[] = [];
  try {
    const l = await verifier.encode(src);
    encoded.push(l);
    let counts;
    if (job) counts = await bildVerifyPipelined({ model: verifier, src: l }, drafter!, job, params.rollback);
    else {
      const s = await small.encode(src);
      encoded.push(s);
      counts = await bildDecode({ small: { model: small, src: s }, large: { model: verifier, src: l } }, params);
    }
    return { ms: performance.now() - t0, tokens: counts.ids.length - 1, smallCalls: counts.smallCalls, largeCalls: counts.largeCalls };
  } finally {
    if (job) stopDraft(job.buffer);
    for (const e of encoded) releaseSource(e);
  }
}

/** A transformers.js model folder (this project's transformers.js layout), loaded at one dtype on one device. */
export interface TjsModel {
  greedy(src: number[], steps: number): Promise<Decoding>;
  dispose(): Promise<void>;
}

/** The transformers.js devices (its `device` option in Node) matching this engine's providers. */
export const TJS_DEVICES = ['cpu', 'webgpu', 'cuda'] as const;
export type TjsDevice = (typeof TJS_DEVICES)[number];

/**
 * Loads the graphs transformers.js picks for `dtype` (fp32: onnx/*.onnx, int8: *_int8.onnx, q4:
 * *_q4.onnx; this project's transformersjs-export.ts writes them) on `device`.
 */
export async function loadTjs(dir: string, dtype: TransformersJsDType = 'fp32', device: TjsDevice = 'cpu'): Promise<TjsModel> {
  const model = await AutoModelForSeq2SeqLM.from_pretrained(dir, { local_files_only: true, dtype, device });
  return {
    /** generate(), greedy: min_new_tokens = max_new_tokens = steps suppresses EOS until the last step. */
    async greedy(src, steps) {
      const ids = new Tensor('int64', BigInt64Array.from(src, BigInt), [1, src.length]);
      const mask = new Tensor('int64', new BigInt64Array(src.length).fill(1n), [1, src.length]);
      const t0 = performance.now();
      const out = (await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: steps, min_new_tokens: steps, do_sample: false })) as { tolist(): bigint[][] };
      const ms = performance.now() - t0;
      return { ms, tokens: out.tolist()[0]!.length - 1, smallCalls: 0, largeCalls: steps };
    },
    async dispose() {
      await model.dispose();
    },
  };
}

/** ms per token of a decoder's fastest decoding (every ratio uses it), their mean, and its last decoding. */
export interface Timing {
  best: number;
  mean: number;
  last: Decoding;
}

/**
 * Times decoders taking turns, one decoding each per round, after one warm-up each: machine noise
 * (other work on a shared machine) then hits them alike. The fastest of `repeats` decodings is the
 * one least disturbed. Refuses a decoding that fell short of `steps` tokens.
 */
export async function interleavedMsPerToken(decoders: (() => Promise<Decoding>)[], steps: number, repeats: number): Promise<Timing[]> {
  const ms: number[][] = decoders.map(() => []);
  const last: Decoding[] = [];
  for (let r = -1; r < repeats; r++)
    for (const [i, decode] of decoders.entries()) {
      const d = await decode();
      if (d.tokens !== steps) throw new Error(`decoded ${d.tokens} tokens, not ${steps}`);
      last[i] = d;
      if (r >= 0) ms[i]!.push(d.ms / steps);
    }
  return ms.map((xs, i) => ({ best: Math.min(...xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length, last: last[i]! }));
}

/** One decoder's timing (interleavedMsPerToken alone). */
export const msPerToken = async (decode: () => Promise<Decoding>, steps: number, repeats: number): Promise<Timing> =>
  (await interleavedMsPerToken([decode], steps, repeats))[0]!;
