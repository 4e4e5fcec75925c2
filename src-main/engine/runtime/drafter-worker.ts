// Entry of a drafter worker thread: a second instance of a small model's sessions, drafting
// sentences for pipelined BiLD (decoding/drafter.ts) while the engine's thread runs the large model.
import { parentPort, workerData } from 'node:worker_threads';
import type { DraftJob } from '../decoding/draft-channel';
import { draftSentence } from '../decoding/drafter';
import type { DrafterMessage, DrafterWorkerData } from './drafter-client';
import { T5Runtime } from './t5-runtime';

const port = parentPort;
if (!port) throw new Error('drafter-worker must run as a worker thread started by Drafter');
const post = (m: DrafterMessage): void => port.postMessage(m);
const { dir, opts } = workerData as DrafterWorkerData;

try {
  const model = await T5Runtime.load(dir, opts);
  let queue = Promise.resolve();
  // one sentence at a time: a new job waits until the previous one has seen its STOP
  port.on('message', (job: DraftJob) => {
    queue = queue.then(() => draftSentence(model, job)).catch((err: unknown) => post({ kind: 'error', message: (err as Error).message }));
  });
  post({ kind: 'ready' });
} catch (err) {
  post({ kind: 'error', message: (err as Error).message });
}
