// Pipelined BiLD: the decisions of bild.ts, with the small model drafting ahead in a worker thread
// (drafter.ts) while this thread runs the large model. Where the sequential loop stops the small
// model and waits for a large call, the drafter guesses the large model's token (its own argmax)
// and drafts on. This thread runs the large model over the drafted tokens, keeps its prediction
// for every position, and replays the sequential loop's large calls on those predictions, in
// order; it corrects the drafter when the large model's token differs from the guess or a
// rollback happens. A large-model position's prediction depends only on the tokens before it, so
// one onnxruntime run can serve several of BiLD's large calls when the drafter is far enough ahead.
//
// Reported like the sequential loop: output, large calls (BiLD's, not onnxruntime runs),
// fallbacks, rollbacks and discarded tokens are its values; small calls count the drafter's runs.
import type { Drafter } from '../runtime/drafter-client';
import type { EncodedSource, T5Runtime } from '../runtime/t5-runtime';
import type { DecodeCounts } from './counters';
import { BOUND_BUDGET, BOUND_EXTRA, BOUND_FALLBACK, BOUND_FIRST, draftViews, stopDraft, W, type DraftJob } from './draft-channel';
import { TraceRecorder, type TraceOrigin } from './trace';

/** The origin of the large model's token at a drafter's bound, as bild.ts records it. */
const BOUND_ORIGIN: Record<number, TraceOrigin> = { [BOUND_FIRST]: 'L', [BOUND_FALLBACK]: 'F', [BOUND_BUDGET]: 'M', [BOUND_EXTRA]: 'L' };

export async function bildVerifyPipelined(
  large: { model: T5Runtime; src: EncodedSource },
  drafter: Drafter,
  job: DraftJob,
  rollback: number,
  signal?: AbortSignal,
): Promise<DecodeCounts> {
  const { ctl, tokens: drafted, bounds, kinds, probs } = draftViews(job.buffer);
  const { eosId } = large.model.cfg;
  const L = large.model.newDecoder(large.src); // its cache may run ahead of the sequential loop's
  const tokens = [job.startId]; // drafted tokens read so far; correct up to the last replayed large call
  const trace = new TraceRecorder(); // its entry i belongs to tokens[i + 1]
  // the large model's greedy token for each position p ≤ L.fed, and its cross-entropy on tokens[p]
  // (meaningful for the small-model tokens a large call checks; not at the last position of a run,
  // which is a large-model position, nor at a corrected position q, which only the extra call after
  // a rollback checks: there predicted[q] is tokens[q], and a call never rolls back to its own token)
  const predicted = new Int32Array(job.maxLength + 1);
  const crossEntropy = new Float32Array(job.maxLength + 1);
  const c = { largeCalls: 0, fallbacks: 0, rollbacks: 0, rolledBackTokens: 0 };
  let seqFed = 0; // the sequential loop's fed[L]: its next large call's chunk starts here
  let epoch = 0;
  let bi = 0; // the next of the drafter's large-model positions
  let extraAt = 0; // after a rollback: the position of the extra large call (its chunk is known)
  let smallCalls = 0;

  /** Waits until the drafter, having applied the latest correction, has published a state where `ready()`. */
  const waitFor = async (ready: () => boolean): Promise<void> => {
    for (;;) {
      const seq = Atomics.load(ctl, W.SEQ);
      if (Atomics.load(ctl, W.ACK) === epoch && ready()) return;
      if (Atomics.load(ctl, W.ERROR) === 1) await drafter.throwFailure();
      if (Atomics.wait(ctl, W.SEQ, seq, 20) === 'timed-out') {
        await new Promise<void>((r) => setImmediate(r)); // let a cancel or a worker failure arrive
        signal?.throwIfAborted();
        drafter.check();
      }
    }
  };
  const published = (): number => Atomics.load(ctl, W.NB);
  /** The drafter continues from tokens[..len), the last one the large model's. */
  const correct = (len: number, keptBounds: number, largeNext: boolean): void => {
    L.truncate(len - 1);
    Atomics.store(ctl, W.CORR_LEN, len);
    Atomics.store(ctl, W.CORR_TOKEN, tokens[len - 1]!);
    Atomics.store(ctl, W.CORR_NB, keptBounds);
    Atomics.store(ctl, W.CORR_LARGE, largeNext ? 1 : 0);
    epoch = Atomics.add(ctl, W.EPOCH, 1) + 1;
    Atomics.notify(ctl, W.EPOCH);
  };
  /** Reads the drafted tokens before position n. */
  const take = (n: number): void => {
    for (let p = tokens.length; p < n; p++) {
      tokens.push(drafted[p]!);
      trace.push('S', probs[p]!);
    }
  };
  /** One onnxruntime run over tokens[L.fed..n): the large model's predictions for positions L.fed+1..n. */
  const predictUpTo = async (n: number): Promise<void> => {
    const from = L.fed;
    const chunk = tokens.slice(from, n);
    const rows = await L.extend(chunk, [...chunk.slice(1), 0]);
    L.commit();
    for (let j = 0; j < chunk.length; j++) {
      predicted[from + j + 1] = rows.next[j]!;
      crossEntropy[from + j + 1] = -rows.targetLogprob[j]!;
    }
  };

  try {
    for (;;) {
      signal?.throwIfAborted();
      // the position b of the sequential loop's next large call
      let b: number;
      if (extraAt) {
        b = extraAt;
        if (L.fed < b) await predictUpTo(b); // [the replacement token]: the drafter's next tokens depend on it
        await waitFor(() => published() > bi); // the drafter's guess for b
        if (bounds[bi] !== b) throw new Error(`pipelined BiLD: the drafter marked position ${bounds[bi]} as the large model's, expected ${b}`);
      } else {
        await waitFor(() => published() > bi || Atomics.load(ctl, W.END) > 0);
        // The first large call: when the drafter went on from its guess, wait for its next large-model
        // position too; one run then serves both calls (a run costs ~2 ms before its first token here).
        if (bi === 0 && Atomics.load(ctl, W.WAITING) !== 1) await waitFor(() => published() > 1 || Atomics.load(ctl, W.END) > 0);
        if (published() <= bi) {
          take(Atomics.load(ctl, W.END)); // the draft ended (small-model EOS or maxLength) with nothing left to verify
          break;
        }
        b = bounds[bi]!;
        if (L.fed < b) {
          // predict through the drafter's latest large-model position: one run for every call published so far
          const hi = bounds[published() - 1]!;
          take(hi);
          await predictUpTo(hi);
        }
        take(b);
        if (kinds[bi] === BOUND_FALLBACK) c.fallbacks++;
      }
      extraAt = 0;
      c.largeCalls++;
      const why = BOUND_ORIGIN[kinds[bi]!]!;
      const whyProb = why === 'F' ? probs[b]! : null;
      for (let p = seqFed + 1; p < b; p++) trace.verified(p - 1, crossEntropy[p]!);

      // rollback (as in bild.ts): the first small token of this call's chunk with cross-entropy > RB
      let q = -1;
      for (let p = seqFed + 1; p < b; p++)
        if (crossEntropy[p]! > rollback) {
          q = p;
          break;
        }
      if (q > 0 && predicted[q] !== tokens[q]) {
        c.rolledBackTokens += b - q;
        c.rollbacks++;
        const replacement = predicted[q]!;
        trace.rollback({ position: q - 1, removed: tokens.slice(q, b), replacement, trigger: why, triggerProb: whyProb }, crossEntropy[q]!);
        tokens.length = q;
        tokens.push(replacement);
        if (replacement === eosId) break;
        correct(q + 1, bi, true); // the drafter marks position q + 1 as the large model's
        extraAt = q + 1; // seqFed stays: the extra call's chunk starts where this one did
        continue;
      }

      const next = predicted[b]!;
      const waits = Atomics.load(ctl, W.WAITING) === bi + 1; // the drafter was unsure of its guess: it needs a go-ahead
      seqFed = b;
      bi++;
      take(b + 1); // tokens[b]: the drafter's guess
      if (next !== drafted[b] || waits) {
        tokens.length = b + 1;
        trace.truncate(b);
        tokens[b] = next;
        correct(b + 1, bi, false);
      }
      trace.set(b - 1, why, whyProb);
      if (next === eosId || b + 1 >= job.maxLength) break;
    }
  } finally {
    smallCalls = Atomics.load(ctl, W.STEPS); // the drafter's runs until this sentence was decided
    stopDraft(job.buffer);
    L.dispose();
  }
  return { ids: tokens, ...trace.counts(), smallCalls, ...c, trace: trace.finish(tokens) };
}
