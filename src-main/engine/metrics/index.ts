// Quality metrics: sacreBLEU-compatible BLEU/chrF/chrF++ and rouge_score-compatible ROUGE.
export { corpusBleu, sentenceBleu, sentenceBleuScores, computeBleu, closestRefLen, bleuSegmentStats, bleuFromStats, SMOOTH_METHODS, MAX_NGRAM_ORDER } from './bleu';
export type { BleuOptions, BleuResult, BleuStatsResult, BleuSegmentStats, SmoothMethod, ComputeBleuOptions } from './bleu';
export { corpusChrf, sentenceChrf, sentenceChrfScores, chrfSegmentStats, chrfFromStats, chrfWords } from './chrf';
export type { ChrfOptions, ChrfResult, ChrfSegmentStats } from './chrf';
export { scoreRouge, scoreRougeMulti, corpusRouge, summaryLevelLcs, unionLcs, lcsTable, lcsIndices, isRougeType, DEFAULT_ROUGE_TYPES } from './rouge';
export type { RougeType, Prf, RougeScores, RougeOptions, CorpusRougeOptions, CorpusRougeResult } from './rouge';
export { rougeTokenize } from './rouge-tokenize';
export { porterStem } from './porter';
export { splitSentences } from './sentence-split';
export { bootstrap, percentile } from './bootstrap';
export { seededRandom } from '../seeded-random';
export type { BootstrapOptions, Interval } from './bootstrap';
export { tokenize13a, tokenizeRegexp } from './tokenizer-13a';
export { tokenizeIntl } from './tokenizer-intl';
export { getTokenizer, isBleuTokenizer, BLEU_TOKENIZERS } from './tokenizers';
export type { BleuTokenizerName, Tokenizer } from './tokenizers';
export type { RefStreams } from './refs';
export { SACREBLEU_VERSION, IMPLEMENTATION, ROUGE_SCORE_VERSION, ROUGE_IMPLEMENTATION } from './signature';
