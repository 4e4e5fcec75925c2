// Greedy speculative decoding (Leviathan et al. 2023): the small model drafts up to `draft`
// tokens, the large model checks them in one pass and keeps the longest agreeing prefix plus its
// own next token. The output equals large-only greedy decoding by construction.
import { UserError } from '../errors';
import { SPECULATIVE_DEFAULT_DRAFT } from '../run-defaults';
import type { PairSources } from './bild';
import type { DecodeCounts } from './counters';
import { TraceRecorder } from './trace';

export interface SpeculativeParams {
  /** Tokens the small model drafts per large-model pass. */
  draft?: number;
  maxLength?: number;
}

export { SPECULATIVE_DEFAULT_DRAFT };

export async function speculativeDecode(pair: PairSources, params: SpeculativeParams = {}, signal?: AbortSignal): Promise<DecodeCounts> {
  const draft = params.draft ?? SPECULATIVE_DEFAULT_DRAFT;
  if (!(Number.isInteger(draft) && draft >= 1)) throw new UserError(`draft: ${draft} must be an integer >= 1`);
  const maxLength = params.maxLength ?? 128;
  const { decoderStartId, eosId } = pair.large.model.cfg;
  const S = pair.small.model.newDecoder(pair.small.src);
  const L = pair.large.model.newDecoder(pair.large.src);
  const tokens = [decoderStartId];
  const trace = new TraceRecorder();
  let smallCalls = 0;
  let largeCalls = 0;

  try {
    while (tokens.length < maxLength && tokens[tokens.length - 1] !== eosId) {
      signal?.throwIfAborted();
      // draft: the small model catches up on tokens it has not seen, then proposes one token per call
      const drafts: number[] = [];
      const draftProbs: number[] = [];
      const room = maxLength - tokens.length; // positions left; the large model adds one more itself
      while (drafts.length < Math.min(draft, room - 1)) {
        const seen = [...tokens, ...drafts];
        const r = await S.extend(seen.slice(S.fed));
        S.commit();
        smallCalls++;
        const t = r.next[r.next.length - 1]!;
        drafts.push(t);
        draftProbs.push(r.maxProb[r.maxProb.length - 1]!);
        if (t === eosId) break;
      }
      // verify: row j of the large pass predicts the token after chunk[j]
      const P = L.fed;
      const chunk = [...tokens.slice(P), ...drafts];
      const rows = await L.extend(chunk, [...chunk.slice(1), 0]); // targets: the drafts' cross-entropies, for the trace
      largeCalls++;
      const firstDraftRow = chunk.length - drafts.length - 1;
      let accepted = 0;
      while (accepted < drafts.length && rows.next[firstDraftRow + accepted] === drafts[accepted]) accepted++;
      for (let j = 0; j < accepted; j++) {
        tokens.push(drafts[j]!);
        trace.push('S', draftProbs[j]!);
        trace.verified(tokens.length - 2, -rows.targetLogprob[firstDraftRow + j]!);
      }
      const acceptedEos = accepted > 0 && drafts[accepted - 1] === eosId;
      if (!acceptedEos) {
        tokens.push(rows.next[firstDraftRow + accepted]!);
        trace.push('B');
      }
      // keep the large cache for every token it has now seen; both caches end before the last token
      L.commit();
      L.truncate(tokens.length - 1);
      S.truncate(tokens.length - 1);
    }
  } finally {
    S.dispose();
    L.dispose();
  }
  return { ids: tokens, ...trace.counts(), trace: trace.finish(tokens), smallCalls, largeCalls, fallbacks: 0, rollbacks: 0, rolledBackTokens: 0 };
}
