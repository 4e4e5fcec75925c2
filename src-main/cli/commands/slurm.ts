import { RunHistory } from '../../engine/runner/history';
import { UserError } from '../../engine/errors';
import { collectSlurmJob, listSlurmJobs, resubmitSlurmJob, runSlurmTask, slurmJobStatus, taskList, type SlurmJobStatus } from '../../engine/slurm';
import { flag, numberOpt, type Command } from '../command';
import { summaryTable } from './run';

function statusTable(s: SlurmJobStatus): string {
  const head = ['TASK', 'STATE', 'SENTENCES', 'NODE', 'JOB', 'REASON'];
  const rows = s.tasks.map((t) => [String(t.task), t.state, `${t.sentencesDone}/${t.sentences}`, t.node ?? '-', t.jobId ?? '-', t.reason ?? '']);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const table = [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd());
  const c = s.counts;
  const counts = (['done', 'running', 'pending', 'failed', 'unsubmitted'] as const).filter((k) => c[k]).map((k) => `${c[k]} ${k}`).join(', ');
  const collected = s.collected ? `collected as run ${s.collected.runId}${s.collected.partial ? ' (partial)' : ''}` : c.done === s.tasks.length ? `complete: bild-bench slurm collect ${s.folder}` : '';
  return [`${s.kind} ${s.name} in ${s.folder} (Slurm job ${s.jobIds.join(', ') || 'not submitted'})`, ...table, [counts, collected].filter(Boolean).join('; ')].join('\n');
}

const SUBCOMMANDS = ['list', 'status', 'resubmit', 'collect', 'task'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The subcommands each option applies to: given to another, it is refused rather than ignored. */
const OPTION_SUBCOMMANDS: Record<string, readonly Subcommand[]> = { partial: ['collect'], task: ['task'], json: ['list', 'status', 'resubmit', 'collect'] };

export const slurmCommand: Command = {
  name: 'slurm',
  summary: 'Slurm jobs of `run --slurm` / `sweep --slurm`: list, status, resubmit, collect into the history',
  usage:
    'bild-bench slurm list [--json]  |  bild-bench slurm status <job-folder> [--json]  |  bild-bench slurm resubmit <job-folder>  |  bild-bench slurm collect <job-folder> [--partial] [--json]   (`slurm task <job-folder> [--task K]` is what each array task runs)',
  options: {
    partial: { type: 'boolean' },
    json: { type: 'boolean' },
    task: { type: 'string' },
  },
  allowPositionals: true,
  async run(args) {
    const [sub, job, ...extra] = args.positionals;
    if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UserError(`slurm: give one of ${SUBCOMMANDS.join(', ')} (got ${sub ? `'${sub}'` : 'none'})`);
    for (const [option, subs] of Object.entries(OPTION_SUBCOMMANDS))
      if (args.values[option] !== undefined && !subs.includes(sub as Subcommand)) throw new UserError(`slurm ${sub}: --${option} applies to slurm ${subs.join(', ')} only`);
    const json = flag(args, 'json');
    if (sub === 'list') {
      if (job) throw new UserError(`slurm list: unexpected argument '${job}'`);
      const jobs = listSlurmJobs();
      const text = jobs.map((j) => `${j.folder}  ${j.error ?? `${j.kind}, ${j.sentences} sentences in ${j.shards} tasks, ${j.createdAt}${j.collected ? `, collected as run ${j.collected.runId}` : ''}`}`);
      process.stdout.write((json ? JSON.stringify(jobs, null, 2) : text.join('\n') || 'no Slurm jobs yet') + '\n');
      return 0;
    }
    if (!job) throw new UserError(`slurm ${sub}: give the job folder`);
    if (extra.length) throw new UserError(`slurm ${sub}: unexpected argument '${extra[0]}'`);
    if (sub === 'status') {
      const s = await slurmJobStatus(job);
      process.stdout.write((json ? JSON.stringify(s, null, 2) : statusTable(s)) + '\n');
      return 0;
    }
    if (sub === 'resubmit') {
      const r = await resubmitSlurmJob(job);
      process.stdout.write(json ? JSON.stringify(r, null, 2) + '\n' : `submitted Slurm job ${r.jobId}: ${taskList(r.tasks)} of ${r.folder}\n`);
      return 0;
    }
    if (sub === 'task') {
      const done = await runSlurmTask(job, numberOpt(args, 'task', { min: 0, integer: true }));
      process.stderr.write(`task ${done.task} done: ${done.sentences} sentences on ${done.hostname}\n`);
      return 0;
    }
    const history = new RunHistory();
    try {
      const c = await collectSlurmJob(job, history, { partial: flag(args, 'partial') });
      if (json) process.stdout.write(JSON.stringify(c.summary, null, 2) + '\n');
      else {
        const s = c.summary;
        const lines = [summaryTable(s.summaries), '', `collected ${s.sentences} of ${s.plannedSentences} sentences from ${s.slurm!.collectedTasks.length} tasks into run ${c.runId}`];
        if (c.partial) lines.push(`partial: ${taskList(c.missingTasks)} missing`);
        for (const n of s.environment!.nodes ?? []) lines.push(`node ${n.hostname}: ${n.cpu.model}${n.gpu ? `, ${n.gpu}` : ''} (${taskList(n.tasks)}; ${n.sentences} sentences)`);
        if (s.environment!.nodesWarning) lines.push(`warning: ${s.environment!.nodesWarning}`);
        lines.push(`results: ${s.outDir}`);
        process.stdout.write(lines.join('\n') + '\n');
      }
      return 0;
    } finally {
      history.close();
    }
  },
};
