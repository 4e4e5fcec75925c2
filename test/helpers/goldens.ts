import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors } from '../../src-main/engine/checkpoint/safetensors';
import { FIXTURES } from './paths';

export interface GoldenSource {
  source: string;
  input_ids: number[];
  greedy_ids: number[];
  decoder_input_ids: number[];
  greedy_text: string;
}

export const GOLDEN_MODELS = ['toy-t5-large', 'toy-t5-small', 'tiny-random-t5'] as const;

export function goldenSources(model: string): GoldenSource[] {
  const g = JSON.parse(readFileSync(join(FIXTURES, 'goldens.json'), 'utf8')) as { models: Record<string, GoldenSource[]> };
  return g.models[model]!;
}

/** Reference tensors `<model>/<i>/encoder_hidden` and `<model>/<i>/logits`. */
export async function goldenTensor(name: string): Promise<Float32Array> {
  const r = await openSafetensors(join(FIXTURES, 'goldens.safetensors'));
  try {
    return await r.readF32(name);
  } finally {
    await r.close();
  }
}

/** max |a − b| / max |b| */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}
