// logitDeviation (bench:scale --rows deviation) on a trained model, where its figures mean
// something: an export against itself deviates by nothing (so the chunk, its targets and the
// argmax rows line up), and q4 against fp32 moves the logits while keeping almost every argmax.
import { afterAll, expect, it } from 'vitest';
import { logitDeviation } from '../../src-main/bench/logit-deviation';
import { loadModel, type LoadedModel } from '../../src-main/engine/model';
import { demoTestSentences } from '../helpers/demo';
import { modelDir } from '../helpers/paths';

const loaded: LoadedModel[] = [];
afterAll(async () => {
  for (const m of loaded) await m.runtime.release();
});

it('is zero for an export against itself and small for q4 against fp32', async () => {
  const fp32 = await loadModel(modelDir('toy-t5-large'));
  const q4 = await loadModel(modelDir('toy-t5-large'), { dtype: 'q4' });
  loaded.push(fp32, q4);
  const src = fp32.tokenizer.encode(demoTestSentences(1)[0]!.de);

  const self = await logitDeviation(fp32.runtime, fp32.runtime, src, 12);
  expect(self).toEqual({ positions: 12, maxLogitDiff: 0, maxLogit: self.maxLogit, maxLogprobDiff: 0, argmaxAgreement: 1, encoderRelError: 0, encoderRelErrorOneToken: 0 });
  expect(self.maxLogit).toBeGreaterThan(1);

  const d = await logitDeviation(fp32.runtime, q4.runtime, src, 12);
  expect(d.positions).toBe(12);
  expect(d.maxLogitDiff).toBeGreaterThan(0);
  // the demo pair's q4 bounds (docs/performance.md, "The export's deviation from fp32")
  expect(d.maxLogprobDiff).toBeLessThan(1);
  expect(d.argmaxAgreement).toBeGreaterThanOrEqual(11 / 12);
  expect(d.encoderRelError).toBeGreaterThan(0);
  expect(d.encoderRelError).toBeLessThan(0.2);
  expect(d.encoderRelErrorOneToken).toBeLessThan(0.2);
});
