// The small model's side of pipelined BiLD (bild-pipelined.ts), run in a worker thread: it follows
// BiLD's small-model rules, and wherever the large model would predict a position (the first
// token, a fallback, after maxSmall small tokens, after a rollback) it writes its own argmax as a
// guess and, when its probability is at least FB, drafts on instead of waiting. The verifier
// confirms each guess or sends a correction, after which the drafter truncates its cache and
// drafts on from the corrected token. (Drafting on from a guess it is unsure of mostly wastes the
// verifier's time: measured with the toy-t5-tiny pair.)
import { releaseSource, type DecoderCache, type EncodedSource, type T5Runtime } from '../runtime/t5-runtime';
import { BOUND_BUDGET, BOUND_EXTRA, BOUND_FALLBACK, BOUND_FIRST, draftViews, W, type DraftJob } from './draft-channel';

/** Drafts one sentence until the verifier sets STOP. */
export async function draftSentence(model: T5Runtime, job: DraftJob): Promise<void> {
  const { ctl, tokens: shared, bounds, kinds, probs } = draftViews(job.buffer);
  const stopped = () => Atomics.load(ctl, W.STOP) === 1;
  const tokens = [job.startId];
  shared[0] = job.startId;
  let nb = 0;
  let budget = 0; // small positions left before the large model's next one
  let kind = BOUND_FIRST;
  let epoch = 0;
  let ended = false;
  let waiting = 0; // 1 + the bound index it waits at
  let steps = 0;
  // Store order matters (the verifier reads ACK, then NB or END, then WAITING): seeing NB implies
  // seeing WAITING, seeing END implies seeing NB, and seeing ACK implies seeing all of them.
  const publish = () => {
    Atomics.store(ctl, W.LEN, tokens.length);
    Atomics.store(ctl, W.STEPS, steps);
    Atomics.store(ctl, W.WAITING, waiting);
    Atomics.store(ctl, W.NB, nb);
    Atomics.store(ctl, W.END, ended ? tokens.length : 0);
    Atomics.store(ctl, W.ACK, epoch);
    Atomics.add(ctl, W.SEQ, 1);
    Atomics.notify(ctl, W.SEQ);
  };
  let src: EncodedSource | undefined;
  let dec: DecoderCache | undefined;
  try {
    src = await model.encode(job.ids);
    dec = model.newDecoder(src);
    while (!stopped()) {
      const e = Atomics.load(ctl, W.EPOCH);
      if (e !== epoch) {
        if (stopped()) break; // STOP bumps the epoch too
        // a correction: keep CORR_LEN tokens, the last one the large model's
        epoch = e;
        const len = Atomics.load(ctl, W.CORR_LEN);
        tokens.length = len;
        tokens[len - 1] = shared[len - 1] = Atomics.load(ctl, W.CORR_TOKEN);
        nb = Atomics.load(ctl, W.CORR_NB);
        dec.truncate(len - 1);
        const largeNext = Atomics.load(ctl, W.CORR_LARGE) === 1;
        budget = largeNext ? 0 : job.maxSmall;
        kind = largeNext ? BOUND_EXTRA : BOUND_BUDGET;
        ended = len >= job.maxLength;
        waiting = 0;
        publish();
        continue;
      }
      if (ended || waiting) {
        Atomics.wait(ctl, W.EPOCH, epoch, 50); // until a correction or STOP
        continue;
      }
      const chunk = tokens.slice(dec.fed);
      const rows = await dec.extend(chunk);
      steps++;
      const last = chunk.length - 1;
      const next = rows.next[last]!;
      const unsure = rows.maxProb[last]! < job.fallback;
      let large = budget === 0;
      if (!large && unsure) {
        large = true;
        kind = BOUND_FALLBACK;
      }
      if (Atomics.load(ctl, W.EPOCH) !== epoch) {
        dec.discard(); // a correction arrived during the step
        continue;
      }
      dec.commit();
      shared[tokens.length] = next;
      probs[tokens.length] = rows.maxProb[last]!;
      tokens.push(next);
      if (large) {
        bounds[nb] = tokens.length - 1;
        kinds[nb++] = kind;
        if (unsure) waiting = nb;
        budget = job.maxSmall;
        kind = BOUND_BUDGET;
      } else budget--;
      ended = next === job.eosId || tokens.length >= job.maxLength;
      publish();
    }
  } catch (err) {
    Atomics.store(ctl, W.ERROR, 1);
    Atomics.add(ctl, W.SEQ, 1); // wakes a verifier that waits on SEQ
    Atomics.notify(ctl, W.SEQ);
    throw err;
  } finally {
    dec?.dispose();
    if (src) releaseSource(src);
  }
}
