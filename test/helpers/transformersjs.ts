// transformers.js generate() on a folder this project wrote, against this engine's greedy decoding
// of the same sentences: the same weights and kernels, so the ids must be equal.
import { AutoModelForSeq2SeqLM, AutoTokenizer } from '@huggingface/transformers';
import { expect } from 'vitest';
import { generate } from '../../src-main/engine/decoding/generate';
import type { LoadedModel } from '../../src-main/engine/model';

export async function expectTransformersJsIds(folder: string, dtype: 'fp32' | 'int8' | 'q4', ours: LoadedModel, sentences: string[]): Promise<void> {
  const tok = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  const model = await AutoModelForSeq2SeqLM.from_pretrained(folder, { local_files_only: true, dtype, device: 'cpu' });
  try {
    for (const s of sentences) {
      const theirIds = ((await model.generate({ ...tok(s), max_new_tokens: 127 })) as { tolist(): bigint[][] }).tolist()[0]!.map(Number);
      expect(theirIds, `${dtype}: ${s}`).toEqual((await generate('large', { large: ours }, s)).ids);
    }
  } finally {
    await model.dispose();
  }
}
