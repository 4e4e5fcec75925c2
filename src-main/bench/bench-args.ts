// Option checks shared by the bench scripts: a bad value exits 2 with one line naming the option.
import { BLOCK_SIZES } from '../engine/weight-options';

export interface BenchArgs {
  fail(message: string): never;
  /** A whole number within [lo, hi]. */
  bounded(name: string, text: string, lo: number, hi: number): number;
  /** A comma-separated list of distinct values, each among `allowed`, at least one. */
  listOf<T extends string>(name: string, text: string, allowed: readonly T[]): T[];
  /** One of the MatMulNBits block sizes. */
  blockSize(name: string, text: string): number;
}

/** `beforeExit`: what the script must undo before a refusal ends it (temporary folders). */
export function benchArgs(script: string, beforeExit?: () => void): BenchArgs {
  const fail = (message: string): never => {
    beforeExit?.();
    process.stderr.write(`${script}: ${message}\n`);
    process.exit(2);
  };
  return {
    fail,
    bounded(name, text, lo, hi) {
      const n = Number(text);
      if (!Number.isInteger(n) || n < lo || n > hi) fail(`--${name}: ${text} must be a whole number within ${lo}..${hi}`);
      return n;
    },
    listOf<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
      const items = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
      const bad = items.filter((s) => !allowed.includes(s as T));
      if (bad.length || !items.length) fail(`--${name}: ${bad.join(', ') || '(none)'} not among ${allowed.join(', ')}`);
      return items as T[];
    },
    blockSize(name, text) {
      const n = Number(text);
      if (!BLOCK_SIZES.includes(n)) fail(`--${name}: ${text} not among ${BLOCK_SIZES.join(', ')}`);
      return n;
    },
  };
}
