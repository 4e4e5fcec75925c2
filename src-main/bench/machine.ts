import { cpus, platform, release, totalmem } from 'node:os';
import { ortVersion } from '../engine/runtime/session';

/** One line naming the machine a benchmark ran on. */
export function describeMachine(): string {
  const c = cpus();
  return `machine: ${c[0]?.model.trim() ?? 'unknown CPU'} x${c.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}, onnxruntime-node ${ortVersion()}`;
}
