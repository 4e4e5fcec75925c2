import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../errors';

import type { ExecutionProvider } from './execution-provider';

export type { ExecutionProvider };

export interface SessionOptions {
  ep?: ExecutionProvider;
  /** Intra-op threads for the CPU provider (0 = onnxruntime's default: all cores). */
  threads?: number;
  /**
   * A folder for onnxruntime's per-kernel profile of every run (Chrome trace JSON, one file per
   * session, `<model>-<serial>_<time>.json`, complete at release). Benchmarks only: it slows every run.
   */
  profileDir?: string;
}

/** GPU providers whose outputs can stay in device memory between runs. */
export const DEVICE_EPS: readonly ExecutionProvider[] = ['webgpu', 'cuda'];

/** Sessions created with a profile folder so far (their profile files' serial numbers). */
let profiled = 0;

/** onnxruntime-node's native session object (dist/binding of the pinned 1.30 package). */
interface NativeSession {
  loadModel(path: string, options: object): void;
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, null>, options: object): Record<string, ort.Tensor>;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

const native = createRequire(import.meta.url)('onnxruntime-node/dist/binding') as NativeBinding;

/**
 * A session whose run() is synchronous. The public InferenceSession.run validates its arguments
 * and defers each call through setImmediate: about 70 µs per call here, a quarter of a small
 * model's decoder step. The engine calls the native session directly and yields to the event
 * loop itself (see `yieldIfDue`).
 */
export class Session {
  private constructor(
    private readonly handle: NativeSession,
    readonly path: string,
  ) {}

  /** `deviceOutputs` stay in device memory on GPU providers (fed back as inputs, never read by JS). */
  static create(path: string, opts: SessionOptions = {}, deviceOutputs: string[] = []): Session {
    const ep = opts.ep ?? 'cpu';
    native.initOrt();
    const handle = new native.binding.InferenceSession();
    try {
      handle.loadModel(path, {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: opts.threads ?? 0,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Decoding alternates between sessions (encoder and decoder, small and large model): a thread
        // pool left spinning after its run steals the core the next session needs (measured with
        // bench:bild: both BiLD and large-only faster without spinning).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
        // onnxruntime appends the time to the second: a counter keeps two sessions of a graph apart
        ...(opts.profileDir ? { enableProfiling: true, profileFilePrefix: join(opts.profileDir, `${basename(path, '.onnx')}-${++profiled}`) } : {}),
        ...(DEVICE_EPS.includes(ep) && deviceOutputs.length
          ? { preferredOutputLocation: Object.fromEntries(deviceOutputs.map((o) => [o, 'gpu-buffer'])) }
          : {}),
      });
    } catch (err) {
      throw new UserError(`cannot open ${path} on execution provider '${ep}': ${(err as Error).message}`);
    }
    return new Session(handle, path);
  }

  run(feeds: Record<string, ort.Tensor>, fetches: string[]): Record<string, ort.Tensor> {
    const wanted: Record<string, null> = {};
    for (const f of fetches) wanted[f] = null;
    return this.handle.run(feeds, wanted, {});
  }

  release(): void {
    this.handle.dispose();
  }
}

let lastYield = performance.now();

/**
 * Synchronous runs keep the event loop busy; decoding loops call this between steps so that
 * messages (a cancel, an IPC request) are handled at least every `everyMs`.
 */
export async function yieldIfDue(everyMs = 20): Promise<void> {
  const now = performance.now();
  if (now - lastYield < everyMs) return;
  lastYield = now;
  await new Promise<void>((r) => setImmediate(r));
}

export function ortVersion(): string {
  return ort.env.versions.common ?? 'unknown';
}
