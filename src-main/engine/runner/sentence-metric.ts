import type { Task } from '../api/types';
import { scoreRouge, sentenceBleu } from '../metrics';

/** The live per-sentence score: sentence BLEU (sacreBLEU sentence_bleu) or ROUGE-L F x100 (the corpus scores are computed once per summary, not summed from these). */
export function sentenceMetric(task: Task, hyp: string, ref: string): number {
  return task === 'translation' ? sentenceBleu(hyp, [ref]).score : 100 * scoreRouge(ref, hyp, { types: ['rougeL'] }).rougeL!.fmeasure;
}
