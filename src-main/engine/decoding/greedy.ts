import type { EncodedSource, T5Runtime } from '../runtime/t5-runtime';

export interface GreedyResult {
  /** Decoder tokens: the start token, the generated tokens, EOS when reached. */
  ids: number[];
  calls: number;
}

/** Plain greedy decoding, one cached step per token, until EOS or `maxLength` positions. */
export async function greedyDecode(
  model: T5Runtime,
  src: EncodedSource,
  opts: { maxLength?: number; signal?: AbortSignal } = {},
): Promise<GreedyResult> {
  const maxLength = opts.maxLength ?? model.maxLength;
  const { decoderStartId, eosId } = model.cfg;
  const ids = [decoderStartId];
  const dec = model.newDecoder(src);
  let calls = 0;
  try {
    while (ids.length < maxLength) {
      opts.signal?.throwIfAborted();
      const rows = await dec.extend([ids[ids.length - 1]!]);
      dec.commit();
      calls++;
      const next = rows.next[0]!;
      ids.push(next);
      if (next === eosId) break;
    }
  } finally {
    dec.dispose();
  }
  return { ids, calls };
}
