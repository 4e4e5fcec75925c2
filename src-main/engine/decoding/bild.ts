// Big Little Decoder, exactly as the official T5BiLDModel loop (../shared/BILD.md), over the
// engine's cached decoders. Two documented deviations: generation stops when a rollback's
// replacement is EOS, and FB = 0 means "never fall back".
import { UserError } from '../errors';
import { BILD_DEFAULTS } from '../run-defaults';
import type { DecoderCache, EncodedSource, T5Runtime } from '../runtime/t5-runtime';
import type { DecodeCounts } from './counters';
import { TraceRecorder, type TraceOrigin } from './trace';

export interface BildParams {
  /** Fallback threshold FB in [0, 1]: the small model yields when its max probability is < FB. */
  fallback: number;
  /** Rollback threshold RB > 0: a small token is rolled back when the large model's cross-entropy on it is > RB. */
  rollback: number;
  /** Consecutive small-model tokens before the large model must run. */
  maxSmall?: number;
  /** Decoder positions including the start token. */
  maxLength?: number;
}

export { BILD_DEFAULTS };

export const BILD_DEVIATIONS = [
  'generation stops when a rollback replacement token is EOS (the official code keeps generating)',
  'FB = 0 means never fall back and any RB > 0 is honoured (the official code replaced 0 with its defaults)',
] as const;

export function checkBildParams(p: BildParams): void {
  // typeof: a JSON request (an emptied form field) may carry '' or null, which compare as 0
  if (typeof p.fallback !== 'number' || !(p.fallback >= 0 && p.fallback <= 1)) throw new UserError(`bild_fallback: ${JSON.stringify(p.fallback)} must be a number within 0..1`);
  if (typeof p.rollback !== 'number' || !(p.rollback > 0) || !Number.isFinite(p.rollback))
    throw new UserError(`bild_rollback: ${JSON.stringify(p.rollback)} must be a positive number`);
  if (p.maxSmall !== undefined && !(Number.isInteger(p.maxSmall) && p.maxSmall >= 1)) throw new UserError(`max_small: ${p.maxSmall} must be an integer >= 1`);
  if (p.maxLength !== undefined && !(Number.isInteger(p.maxLength) && p.maxLength >= 2)) throw new UserError(`max_length: ${p.maxLength} must be an integer >= 2`);
}

export interface PairSources {
  small: { model: T5Runtime; src: EncodedSource };
  large: { model: T5Runtime; src: EncodedSource };
}

/** The model that runs. */
type Mode = 'S' | 'L';

export async function bildDecode(pair: PairSources, params: BildParams, signal?: AbortSignal): Promise<DecodeCounts> {
  checkBildParams(params);
  const { fallback: FB, rollback: RB } = params;
  const maxSmall = params.maxSmall ?? BILD_DEFAULTS.maxSmall;
  const maxLength = params.maxLength ?? BILD_DEFAULTS.maxLength;
  const { decoderStartId, eosId } = pair.large.model.cfg;
  const dec: Record<Mode, DecoderCache> = {
    L: pair.large.model.newDecoder(pair.large.src),
    S: pair.small.model.newDecoder(pair.small.src),
  };
  const tokens = [decoderStartId];
  const trace = new TraceRecorder(); // its entry i belongs to tokens[i + 1]
  let mode: Mode = 'L';
  let budget = 1;
  let why: TraceOrigin = 'L'; // why the large model runs (the origin of its token)
  let whyProb: number | null = null; // after a fallback: the small model's max probability
  const c = { smallCalls: 0, largeCalls: 0, fallbacks: 0, rollbacks: 0, rolledBackTokens: 0 };

  try {
    for (;;) {
      signal?.throwIfAborted();
      const d = dec[mode];
      const P = d.fed;
      const chunk = tokens.slice(P); // every token this model has not consumed yet
      const rows = await d.extend(chunk, [...chunk.slice(1), 0]); // row j's target: chunk[j+1]
      if (mode === 'L') c.largeCalls++;
      else c.smallCalls++;
      const last = chunk.length - 1;
      const next = rows.next[last]!;
      const prob = rows.maxProb[last]!;

      // 1. fallback: the small model is unsure; the large model predicts this same position
      if (mode === 'S' && prob < FB) {
        d.discard();
        c.fallbacks++;
        mode = 'L';
        budget = 1;
        [why, whyProb] = ['F', prob];
        continue;
      }
      tokens.push(next);
      if (mode === 'S') trace.push('S', prob);
      else trace.push(why, whyProb);

      // 2. rollback: the large model disagrees with an earlier small token
      if (mode === 'L' && chunk.length > 1) {
        for (let j = 0; j < last; j++) trace.verified(P + j, -rows.targetLogprob[j]!);
        let k = -1;
        for (let j = 0; j < last; j++)
          if (-rows.targetLogprob[j]! > RB) {
            k = j;
            break;
          }
        if (k >= 0 && rows.next[k] !== chunk[k + 1]) {
          const keep = P + 1 + k; // tokens[..keep) stay; tokens[keep] is replaced
          const removed = tokens.slice(keep, -1); // small tokens dropped (the large model's new token excluded)
          c.rolledBackTokens += removed.length;
          trace.rollback({ position: keep - 1, removed, replacement: rows.next[k]!, trigger: why, triggerProb: whyProb }, -rows.targetLogprob[k]!);
          [why, whyProb] = ['L', null];
          tokens.length = keep;
          tokens.push(rows.next[k]!);
          d.discard();
          dec.L.truncate(tokens.length - 1);
          dec.S.truncate(tokens.length - 1);
          c.rollbacks++;
          if (rows.next[k] === eosId) break; // deviation: stop on an EOS replacement
          continue; // mode stays LARGE with budget 1: one more large step over the kept chunk
        }
      }

      d.commit();
      if (next === eosId || tokens.length >= maxLength) break;
      if (--budget === 0) {
        [mode, budget] = mode === 'L' ? ['S', maxSmall] : ['L', 1];
        if (mode === 'L') [why, whyProb] = ['M', null]; // maxSmall small tokens written
      }
    }
  } finally {
    dec.L.dispose();
    dec.S.dispose();
  }
  return { ids: tokens, ...trace.counts(), ...c, trace: trace.finish(tokens) };
}
