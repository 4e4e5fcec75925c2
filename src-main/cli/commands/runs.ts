import type { RunComparison, RunListEntry } from '../../engine/api';
import { createInProcessEngine } from '../../engine/api';
import { UserError } from '../../engine/errors';
import { flag, numberOpt, stringOpt, type Command } from '../command';
import { summaryTable, withInterval } from './run';
import { textTable } from '../text-table';

function listTable(rows: readonly RunListEntry[]): string {
  const head = ['RUN', 'KIND', 'STATUS', 'STARTED', 'DATASET', 'SENTENCES', 'HEADLINE'];
  const cells = rows.map((r) => [
    r.runId,
    r.kind,
    r.status,
    r.startedAt.slice(0, 19).replace('T', ' '),
    `${r.dataset}/${r.split}`,
    `${r.sentences}/${r.plannedSentences}`,
    r.headline
      .slice(0, 4)
      .map((h) => `${h.variant} ${h.quality.toFixed(1)}${h.speedup === null ? '' : ` ${h.speedup.toFixed(2)}x`}`)
      .join(', '),
  ]);
  return textTable(head, cells);
}

/** One line per (run, variant): quality and speedup with their 95% intervals where the run has them (`27.30 [26.10, 28.40]`). */
function compareTable(c: RunComparison): string {
  const head = ['RUN', 'VARIANT', 'QUALITY', 'MS MEAN', 'SPEEDUP', 'FB %', 'RB %'];
  const cells = c.rows.map((r) => [
    r.runId,
    r.variant,
    `${r.qualityName} ${withInterval(r.quality.toFixed(2), r.qualityCI)}`,
    r.meanMs.toFixed(1),
    r.speedup === null ? '-' : withInterval(`${r.speedup.toFixed(2)}x`, r.speedupCI),
    r.fallbackPct.toFixed(1),
    r.rollbackPct.toFixed(1),
  ]);
  const table = textTable(head, cells, new Set([2, 3, 4, 5, 6]));
  return c.rows.some((r) => r.qualityCI) ? `${table}\n[low, high]: 95% bootstrap intervals, paired over each run's sentences (docs/runs.md)` : table;
}

/** `bild-bench runs`: the results history (list, show, compare, export, delete). */
export const runsCommand: Command = {
  name: 'runs',
  summary: 'the results history: list, show, compare, re-export or delete past runs',
  usage:
    'bild-bench runs [list] [--limit N] [--json] | runs show <run-id> [--json] | runs compare <run-id>... [--json] | runs export <run-id> --out DIR | runs delete <run-id>',
  allowPositionals: true,
  options: { json: { type: 'boolean' }, limit: { type: 'string' }, out: { type: 'string' } },
  async run(args) {
    const [action = 'list', ...ids] = args.positionals;
    const json = flag(args, 'json');
    const engine = createInProcessEngine();
    const print = (value: unknown, text: string): void => void process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n');
    const one = (): string => {
      if (ids.length !== 1) throw new UserError(`runs ${action} takes one run id\nusage: ${runsCommand.usage}`);
      return ids[0]!;
    };
    try {
      switch (action) {
        case 'list': {
          const rows = await engine.listRuns({ limit: numberOpt(args, 'limit', { min: 1, integer: true }) });
          print(rows, rows.length ? listTable(rows) : 'no runs yet');
          return 0;
        }
        case 'show': {
          const { summary } = await engine.getRun(one());
          print(summary, `${summary.runId} (${summary.kind}, ${summary.status}, ${summary.sentences}/${summary.plannedSentences} sentences)\n${summaryTable(summary.summaries)}`);
          return 0;
        }
        case 'compare': {
          if (ids.length < 1) throw new UserError(`runs compare takes run ids\nusage: ${runsCommand.usage}`);
          const c = await engine.compareRuns(ids);
          print(c, compareTable(c));
          return 0;
        }
        case 'export': {
          const dir = stringOpt(args, 'out');
          if (!dir) throw new UserError('runs export needs --out DIR');
          const { files } = await engine.exportRun({ runId: one(), dir });
          print({ files }, files.join('\n'));
          return 0;
        }
        case 'delete':
          await engine.deleteRun(one());
          return 0;
        default:
          throw new UserError(`runs: unknown action '${action}'\nusage: ${runsCommand.usage}`);
      }
    } finally {
      await engine.close();
    }
  },
};
