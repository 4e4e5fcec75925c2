// Entry of a drafter worker thread: a second instance of a small model's sessions, drafting
// sentences for pipelined BiLD (decoding/drafter.ts) while the engine's thread runs the large model.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { DraftJob } from '../decoding/draft-channel';
import { draftSentence } from '../decoding/drafter';
import type { DrafterMessage, DrafterWorkerData } from './drafter-client';
import { T5Runtime } from './t5-runtime';

const port = parentPort;
if (!port) throw new Error('drafter-worker must run as a worker thread started by Drafter');
const post = (m: DrafterMessage): void => port.postMessage(m);
const { dir, opts, jobs, doorbell } = workerData as DrafterWorkerData;
const bell = new Int32Array(doorbell);

let model: T5Runtime | undefined;
try {
  model = await T5Runtime.load(dir, opts);
  post({ kind: 'ready' });
} catch (err) {
  post({ kind: 'error', message: (err as Error).message });
}

// Jobs are taken synchronously from their port, and the thread sleeps on a doorbell word between
// sentences: waking through the event loop for a message took ~0.7 ms here, on the critical path.
// One sentence at a time; a new job waits until the previous one has seen its STOP.
let rung = Atomics.load(bell, 0);
while (model) {
  const m = receiveMessageOnPort(jobs);
  if (m) {
    const job = m.message as DraftJob;
    try {
      await draftSentence(model, job);
    } catch (err) {
      post({ kind: 'error', message: (err as Error).message, job: job.id });
    }
    continue;
  }
  Atomics.wait(bell, 0, rung, 50);
  rung = Atomics.load(bell, 0);
}
