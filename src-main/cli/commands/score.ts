import { readFileSync } from 'node:fs';
import { UserError } from '../../engine/errors';
import {
  BLEU_TOKENIZERS,
  SMOOTH_METHODS,
  corpusBleu,
  corpusChrf,
  corpusRouge,
  isBleuTokenizer,
  isRougeType,
  sentenceBleuScores,
  sentenceChrfScores,
  type BleuOptions,
  type ChrfOptions,
  type RougeType,
  type SmoothMethod,
} from '../../engine/metrics';
import { flag, numberOpt, requireString, stringOpt, type Command, type ParsedArgs } from '../command';

const METRICS = ['bleu', 'chrf', 'chrf++', 'rouge'] as const;
type Metric = (typeof METRICS)[number];

/** One sentence a line; a final newline ends the last line rather than adding an empty one. */
function readLines(path: string, what: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${what} file '${path}': ${(err as Error).message}`);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function refPaths(args: ParsedArgs): string[] {
  const v = args.values['ref'];
  const paths = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  if (paths.length === 0) throw new UserError('missing required option --ref');
  return paths;
}

function parseMetric(raw: string): Metric {
  const m = raw.toLowerCase();
  if (!(METRICS as readonly string[]).includes(m)) throw new UserError(`--metric: unknown metric '${raw}' (expected ${METRICS.join(', ')})`);
  return m as Metric;
}

interface Output {
  json: Record<string, unknown>;
  text: string;
}

function bleu(hyps: string[], refs: string[][], args: ParsedArgs, withSentences: boolean): Output {
  const tok = stringOpt(args, 'tokenize') ?? '13a';
  if (!isBleuTokenizer(tok)) throw new UserError(`--tokenize: unknown tokenizer '${tok}' (expected ${BLEU_TOKENIZERS.join(', ')})`);
  const smooth = stringOpt(args, 'smooth') ?? 'exp';
  if (!(SMOOTH_METHODS as readonly string[]).includes(smooth)) throw new UserError(`--smooth: unknown method '${smooth}' (expected ${SMOOTH_METHODS.join(', ')})`);
  const opts: BleuOptions = {
    tokenize: tok,
    lowercase: flag(args, 'lowercase'),
    smoothMethod: smooth as SmoothMethod,
    smoothValue: numberOpt(args, 'smooth-value', { min: 0 }),
  };
  const r = corpusBleu(hyps, refs, opts);
  const prec = r.precisions.map((p) => p.toFixed(1)).join('/');
  const verbose = `${prec} (BP = ${r.bp.toFixed(3)} ratio = ${r.ratio.toFixed(3)} hyp_len = ${r.sysLen} ref_len = ${r.refLen})`;
  const json: Record<string, unknown> = {
    name: 'BLEU',
    score: r.score,
    signature: r.signature,
    implementation: r.implementation,
    verbose_score: verbose,
    counts: r.counts,
    totals: r.totals,
    precisions: r.precisions,
    bp: r.bp,
    ratio: r.ratio,
    sys_len: r.sysLen,
    ref_len: r.refLen,
  };
  // Sentence BLEU uses effective order, as sacreBLEU's sentence_bleu does.
  if (withSentences) json['sentences'] = sentenceBleuScores(hyps, refs, { ...opts, effectiveOrder: true });
  return { json, text: `BLEU|${r.signature} = ${r.score.toFixed(2)} ${verbose}` };
}

function chrf(hyps: string[], refs: string[][], args: ParsedArgs, plus: boolean, withSentences: boolean): Output {
  const opts: ChrfOptions = { wordOrder: plus ? 2 : 0, lowercase: flag(args, 'lowercase') };
  const r = corpusChrf(hyps, refs, opts);
  const json: Record<string, unknown> = { name: r.name, score: r.score, signature: r.signature, implementation: r.implementation };
  if (withSentences) json['sentences'] = sentenceChrfScores(hyps, refs, opts);
  return { json, text: `${r.name}|${r.signature} = ${r.score.toFixed(2)}` };
}

function rouge(hyps: string[], refs: string[][], args: ParsedArgs, withSentences: boolean): Output {
  const main = stringOpt(args, 'rouge-type') ?? 'rougeL';
  if (!isRougeType(main)) throw new UserError(`--rouge-type: unknown type '${main}' (expected rouge1…rouge9, rougeL, rougeLsum)`);
  const types: RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];
  if (!types.includes(main)) types.push(main);
  const samples = numberOpt(args, 'bootstrap', { min: 1, integer: true });
  const seed = numberOpt(args, 'seed', { integer: true });
  const useStemmer = flag(args, 'stem');
  const r = corpusRouge(hyps, refs, {
    types,
    useStemmer,
    splitSummaries: flag(args, 'split-summaries'),
    bootstrap: samples !== undefined ? { samples, seed } : undefined,
  });
  const score = 100 * r.mean[main]!.fmeasure;
  const signature = r.signature;
  const json: Record<string, unknown> = {
    name: main,
    // ROUGE F1 of `name` × 100, on BLEU's scale; `rouge` keeps rouge_score's 0–1 values.
    score,
    signature,
    implementation: r.implementation,
    rouge: r.mean,
  };
  if (r.ci) json['ci'] = { ...r.ci, samples, seed: seed ?? 12345 };
  if (withSentences) json['sentences'] = r.sentences;
  const lines = [`${main}|${signature} = ${score.toFixed(2)}`];
  for (const t of types) {
    const s = r.mean[t]!;
    lines.push(`  ${t.padEnd(9)} P = ${s.precision.toFixed(4)} R = ${s.recall.toFixed(4)} F = ${s.fmeasure.toFixed(4)}`);
  }
  return { json, text: lines.join('\n') };
}

export const scoreCommand: Command = {
  name: 'score',
  summary: 'score hypotheses against references (BLEU, chrF, chrF++, ROUGE)',
  usage:
    'bild-bench score --metric bleu|chrf|chrf++|rouge [--tokenize 13a|intl|none] --hyp FILE --ref FILE [--ref FILE2 ...] [--json]\n' +
    '  [--lowercase] [--smooth exp|floor|add-k|none] [--smooth-value X]   (BLEU)\n' +
    '  [--stem] [--split-summaries] [--rouge-type rougeL] [--bootstrap N] [--seed S]   (ROUGE)\n' +
    '  [--sentences]   (add per-sentence scores to --json output)',
  options: {
    metric: { type: 'string' },
    tokenize: { type: 'string' },
    hyp: { type: 'string' },
    ref: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    lowercase: { type: 'boolean' },
    smooth: { type: 'string' },
    'smooth-value': { type: 'string' },
    stem: { type: 'boolean' },
    'split-summaries': { type: 'boolean' },
    'rouge-type': { type: 'string' },
    bootstrap: { type: 'string' },
    seed: { type: 'string' },
    sentences: { type: 'boolean' },
  },
  async run(args) {
    const metric = parseMetric(requireString(args, 'metric'));
    if (metric !== 'bleu') {
      for (const o of ['tokenize', 'smooth', 'smooth-value']) {
        if (args.values[o] !== undefined) throw new UserError(`--${o} applies to --metric bleu only`);
      }
    }
    if (metric !== 'rouge') {
      for (const o of ['stem', 'split-summaries', 'rouge-type', 'bootstrap', 'seed']) {
        if (args.values[o] !== undefined) throw new UserError(`--${o} applies to --metric rouge only`);
      }
    }
    const hypPath = requireString(args, 'hyp');
    const hyps = readLines(hypPath, 'hypothesis');
    const refs = refPaths(args).map((p) => {
      const lines = readLines(p, 'reference');
      if (lines.length !== hyps.length) {
        throw new UserError(`line counts differ: hypotheses '${hypPath}' has ${hyps.length} lines, reference '${p}' has ${lines.length}`);
      }
      return lines;
    });
    const withSentences = flag(args, 'sentences');
    const out =
      metric === 'bleu'
        ? bleu(hyps, refs, args, withSentences)
        : metric === 'rouge'
          ? rouge(hyps, refs, args, withSentences)
          : chrf(hyps, refs, args, metric === 'chrf++', withSentences);
    process.stdout.write((flag(args, 'json') ? JSON.stringify({ metric, ...out.json }, null, 1) : out.text) + '\n');
    return 0;
  },
};
