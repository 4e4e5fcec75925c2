// How far a quantized export's outputs are from its fp32 export's on the same checkpoint, at any
// size (random-weight real-size shapes included): the fp32 model decodes greedily, then both models
// read that output as one teacher-forced chunk and their logits are compared row by row, as
// test/integration/quantized-export.test.ts does on the demo pair.
import { releaseSource, type T5Runtime } from '../engine/runtime/t5-runtime';
import { greedyTokens } from './scale-timing';

export interface LogitDeviation {
  /** Rows compared (decoder positions). */
  positions: number;
  /** Largest |logit difference| over every row and the whole vocabulary. */
  maxLogitDiff: number;
  /** Largest |logit| of the fp32 model (the scale the difference is read against). */
  maxLogit: number;
  /** Largest difference in the log-probability of the fp32 model's greedy token. */
  maxLogprobDiff: number;
  /** Share of rows where the two models' argmax is the same token (both read the same chunk). */
  argmaxAgreement: number;
  /**
   * Relative L2 error of the encoder's output, over the whole source and over its first token
   * alone. With one token attention has nothing to choose between, so that figure is the weights'
   * own error carried through the layers; a longer source adds what attention makes of it.
   */
  encoderRelError: number;
  encoderRelErrorOneToken: number;
}

/** ‖a − b‖ / ‖a‖ of two encoders' outputs for `src`. */
async function encoderRelError(a: T5Runtime, b: T5Runtime, src: number[]): Promise<number> {
  const ea = await a.encode(src, true);
  releaseSource(ea);
  const eb = await b.encode(src, true);
  releaseSource(eb);
  const [ha, hb] = [ea.hidden!, eb.hidden!];
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < ha.length; i++) {
    diff += (ha[i]! - hb[i]!) ** 2;
    norm += ha[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** One chunk of `tokens` (start token first) with `targets` as each row's target: logits [k, V], target log-probabilities, argmaxes. */
async function teacherForced(rt: T5Runtime, src: number[], tokens: number[], targets: number[]) {
  const enc = await rt.encode(src);
  const dec = rt.newDecoder(enc);
  try {
    return await dec.extend(tokens, targets, true);
  } finally {
    dec.dispose();
    releaseSource(enc);
  }
}

export async function logitDeviation(fp32: T5Runtime, other: T5Runtime, src: number[], steps: number): Promise<LogitDeviation> {
  const greedy = await greedyTokens(fp32, src, steps);
  const chunk = [fp32.cfg.decoderStartId, ...greedy.slice(0, -1)];
  const [a, b] = [await teacherForced(fp32, src, chunk, greedy), await teacherForced(other, src, chunk, greedy)];
  const [la, lb] = [a.logits!, b.logits!];
  if (la.length !== lb.length) throw new Error(`logits of ${la.length} and ${lb.length} values: not the same checkpoint`);
  let maxLogitDiff = 0;
  let maxLogit = 0;
  for (let i = 0; i < la.length; i++) {
    maxLogitDiff = Math.max(maxLogitDiff, Math.abs(la[i]! - lb[i]!));
    maxLogit = Math.max(maxLogit, Math.abs(la[i]!));
  }
  let maxLogprobDiff = 0;
  let agree = 0;
  for (let j = 0; j < greedy.length; j++) {
    maxLogprobDiff = Math.max(maxLogprobDiff, Math.abs(a.targetLogprob[j]! - b.targetLogprob[j]!));
    if (b.next[j] === a.next[j]) agree++;
  }
  return {
    positions: greedy.length,
    maxLogitDiff,
    maxLogit,
    maxLogprobDiff,
    argmaxAgreement: agree / greedy.length,
    encoderRelError: await encoderRelError(fp32, other, src),
    encoderRelErrorOneToken: await encoderRelError(fp32, other, src.slice(0, 1)),
  };
}
