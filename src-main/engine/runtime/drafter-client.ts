// The engine thread's handle on a drafter worker (drafter-worker.ts): starts it, hands it one
// sentence at a time, and reports its failure.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { draftBuffer, type DraftJob, type DraftSettings } from '../decoding/draft-channel';
import { UserError } from '../errors';
import { workerEntry } from '../worker-entry';
import type { RuntimeOptions } from './t5-runtime';

export interface DrafterWorkerData {
  dir: string;
  opts: RuntimeOptions;
  /** Sentences (DraftJob) arrive here; the worker reads it synchronously. */
  jobs: MessagePort;
  /** One Int32 word, bumped after each job is posted (the worker sleeps on it). */
  doorbell: SharedArrayBuffer;
}

export type DrafterMessage = { kind: 'ready' } | { kind: 'error'; message: string; job?: number };

export class Drafter {
  /** The worker died: every later sentence fails with this. */
  private dead?: Error;
  /** The current sentence's failure inside the worker (the worker itself goes on). */
  private jobError?: Error;
  private jobId = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly jobs: MessagePort,
    private readonly bell: Int32Array,
  ) {
    worker.on('message', (m: DrafterMessage) => {
      if (m.kind === 'error' && m.job === this.jobId) this.jobError = new Error(`the small-model drafter failed: ${m.message}`);
    });
    worker.on('error', (err) => (this.dead ??= err));
    worker.on('exit', (code) => (this.dead ??= new Error(`the small-model drafter exited (code ${code})`)));
    worker.unref(); // an idle drafter does not keep the process alive
  }

  /** Loads the exported model in `dir` (same options as the engine's instance) in a new worker. */
  static async start(dir: string, opts: RuntimeOptions): Promise<Drafter> {
    const { port1, port2 } = new MessageChannel();
    const doorbell = new SharedArrayBuffer(4);
    const data: DrafterWorkerData = { dir, opts, jobs: port2, doorbell };
    const worker = new Worker(workerEntry(import.meta.url, 'drafter-worker'), { workerData: data, transferList: [port2] });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: DrafterMessage) =>
        m.kind === 'ready' ? resolve() : reject(new UserError(`cannot start the small-model drafter for ${dir}: ${m.message}`)),
      );
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the small-model drafter for ${dir} exited while loading (code ${code})`)));
    });
    return new Drafter(worker, port1, new Int32Array(doorbell));
  }

  /** Starts drafting one sentence; the caller owns the returned job's shared memory. */
  begin(ids: number[], settings: DraftSettings): DraftJob {
    if (this.dead) throw this.dead;
    this.jobError = undefined;
    const job: DraftJob = { ...settings, id: ++this.jobId, ids, buffer: draftBuffer(settings.maxLength) };
    this.jobs.postMessage(job);
    Atomics.add(this.bell, 0, 1);
    Atomics.notify(this.bell, 0);
    return job;
  }

  /** The worker has exited: a new one must be started. */
  get isDead(): boolean {
    return this.dead !== undefined;
  }

  /** Throws if the worker has died or reported the current sentence's failure. */
  check(): void {
    if (this.dead ?? this.jobError) throw this.dead ?? this.jobError;
  }

  /** After the drafter flagged an error in shared memory: waits for its message (up to 2 s) and throws it. */
  async throwFailure(): Promise<never> {
    for (let i = 0; i < 200 && !this.jobError && !this.dead; i++) await new Promise((r) => setTimeout(r, 10));
    throw this.jobError ?? this.dead ?? new Error('the small-model drafter failed');
  }

  async close(): Promise<void> {
    this.jobs.close();
    await this.worker.terminate();
  }
}
