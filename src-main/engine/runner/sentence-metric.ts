import type { Task } from '../api/types';
import { scoreRouge, sentenceBleu } from '../metrics';

/** What `VariantOutput.metric` holds, per task. */
export const SENTENCE_METRIC_NAME: Record<Task, string> = {
  translation: 'sentence BLEU (sacreBLEU sentence_bleu)',
  summarization: 'ROUGE-L F x100',
};

/** The live per-sentence score (the corpus scores are computed once per summary, not summed from these). */
export function sentenceMetric(task: Task, hyp: string, ref: string): number {
  return task === 'translation' ? sentenceBleu(hyp, [ref]).score : 100 * scoreRouge(ref, hyp, { types: ['rougeL'] }).rougeL!.fmeasure;
}
