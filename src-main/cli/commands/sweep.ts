import type { RunSummary, SweepSpec } from '../../engine/api';
import { UserError } from '../../engine/errors';
import { flag, numberOpt, parseNumber, stringOpt, type Command } from '../command';
import { SLURM_OPTIONS, SLURM_USAGE, slurmOptionsOf, submitToSlurm } from '../slurm-submit';
import { COMMON_OPTIONS, commonSpec, runJob, summaryTable, withInterval } from './run';

/** `0.5,0.7,0.9` or an inclusive range `0.5:0.9:0.1`. */
export function parseNumberList(option: string, raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const num = (s: string): number => parseNumber(option, s);
  const range = raw.split(':');
  if (range.length === 3) {
    const [a, b, step] = range.map(num) as [number, number, number];
    if (!(step > 0) || b < a) throw new UserError(`--${option}: '${raw}' must be start:end:step with step > 0 and end >= start`);
    const n = Math.floor((b - a) / step + 1e-9);
    if (n > 1000) throw new UserError(`--${option}: '${raw}' has more than 1000 values`);
    // Rounded so that 0.1 steps print as 0.6, not 0.6000000000000001.
    return Array.from({ length: n + 1 }, (_, i) => Number((a + i * step).toPrecision(12)));
  }
  return raw.split(',').map(num);
}

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'BiLD over a fallback x rollback threshold grid: quality vs speedup and the Pareto front',
  usage:
    `bild-bench sweep --small S --large L --dataset_name D [--fallbacks 0.5,0.6|0.5:0.9:0.1] [--rollbacks 1:10:1] [--no_small] [--repeats N] [--bild_pipeline] [--limit N] [--split S] [--ep cpu] [--dtype fp32|fp16|int8|q4 [--small_dtype D] [--block_size N] [--accuracy_level N]] [--out DIR] [--json] ${SLURM_USAGE}  (default grid: the paper\'s, FB 0.5-0.9 x RB 1-10 for translation, FB 0.2-0.6 x RB 2-6 for summarization)`,
  options: {
    ...COMMON_OPTIONS,
    ...SLURM_OPTIONS,
    model: { type: 'string' },
    fallbacks: { type: 'string' },
    rollbacks: { type: 'string' },
    no_small: { type: 'boolean' },
  },
  async run(args) {
    const model = stringOpt(args, 'model');
    if (model !== undefined && model !== 'bild') throw new UserError(`sweep: --model must be bild (got '${model}')`);
    const small = stringOpt(args, 'small');
    const large = stringOpt(args, 'large');
    if (!small || !large) throw new UserError('sweep needs --small and --large');
    const fallbacks = parseNumberList('fallbacks', stringOpt(args, 'fallbacks'));
    const rollbacks = parseNumberList('rollbacks', stringOpt(args, 'rollbacks'));
    for (const fb of fallbacks ?? []) if (fb < 0 || fb > 1) throw new UserError(`--fallbacks: ${fb} must be within 0..1`);
    for (const rb of rollbacks ?? []) if (!(rb > 0)) throw new UserError(`--rollbacks: ${rb} must be > 0`);
    const spec: SweepSpec = {
      ...commonSpec(args),
      models: { small, large },
      fallbacks,
      rollbacks,
      maxSmall: numberOpt(args, 'max_small', { min: 1, integer: true }),
      includeSmall: !flag(args, 'no_small'),
    };
    const slurm = slurmOptionsOf(args);
    if (slurm) return submitToSlurm({ kind: 'sweep', spec }, slurm, flag(args, 'json'));
    return runJob((engine) => engine.startSweep(spec), printSweep, flag(args, 'json'));
  },
};

function printSweep(summary: RunSummary, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  const lines = [summaryTable(summary.summaries), ''];
  if (summary.sweep) {
    lines.push(`Pareto front (${summary.sweep.qualityName} vs speedup over large-only):`);
    for (const p of summary.sweep.front) {
      const support = p.distinguishable === undefined ? '' : p.distinguishable ? '  supported' : '  not supported by the intervals';
      lines.push(`  ${p.variant.padEnd(14)} ${withInterval(p.quality.toFixed(2), p.qualityCI).padStart(22)}  ${withInterval(`${p.speedup.toFixed(2)}x`, p.speedupCI).padStart(20)}${support}`);
    }
    const twins = summary.sweep.points.filter((p) => p.sameOutputsAs);
    if (twins.length) lines.push('', 'Same decoding on every sentence (their speed differences are noise):');
    for (const p of twins) lines.push(`  ${p.variant} = ${p.sameOutputsAs}`);
  }
  lines.push('', `results: ${summary.outDir}`);
  process.stdout.write(lines.join('\n') + '\n');
}
