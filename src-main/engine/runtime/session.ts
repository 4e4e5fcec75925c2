import * as ort from 'onnxruntime-node';
import { UserError } from '../errors';

/** Execution providers the engine knows; which ones work depends on the platform and build. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';

export interface SessionOptions {
  ep?: ExecutionProvider;
  /** Intra-op threads for the CPU provider (0 = onnxruntime's default). */
  threads?: number;
}

export async function createSession(path: string, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const ep = opts.ep ?? 'cpu';
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? 0,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
  } catch (err) {
    throw new UserError(`cannot open ${path} on execution provider '${ep}': ${(err as Error).message}`);
  }
}

export function ortVersion(): string {
  return ort.env.versions.common ?? 'unknown';
}
