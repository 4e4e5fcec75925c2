import { UserError } from '../../engine/errors';
import { addUserModel, formatBytes, listModelsOnDisk, removeUserModel, type ModelListEntry } from '../../engine/hub';
import { flag, stringOpt, type Command } from '../command';

function sourceText(e: ModelListEntry): string {
  return e.source.kind === 'hub' ? e.source.repo + (e.source.revision ? `@${e.source.revision}` : '') : e.source.path;
}

function diskText(e: ModelListEntry): string {
  const d = e.disk;
  switch (d.state) {
    case 'embedded':
      return `embedded (${formatBytes(d.bytes)})`;
    case 'local':
      return `local (${formatBytes(d.bytes)})`;
    case 'cached':
      return `downloaded ${d.commit.slice(0, 10)} (${formatBytes(d.bytes)})`;
    case 'not-downloaded':
      return 'not downloaded';
    case 'missing':
      return `missing: ${d.reason}`;
  }
}

function table(rows: ModelListEntry[]): string {
  const cols = rows.map((r) => [r.name, sourceText(r), diskText(r)]);
  const head = ['NAME', 'SOURCE', 'ON DISK'];
  const w = head.map((h, i) => Math.max(h.length, ...cols.map((c) => c[i].length)));
  const line = (c: string[]): string => c.map((s, i) => (i < c.length - 1 ? s.padEnd(w[i]) : s)).join('  ');
  return [line(head), ...cols.map(line)].join('\n');
}

/** `bild-bench models [list|add|remove]`: the catalog and what is on disk. */
export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the model catalog and what is on disk; add or remove your own entries',
  usage: 'bild-bench models [list] [--json] | models add <repo-id|folder> [--name N] [--revision R] | models remove <name>',
  allowPositionals: true,
  options: {
    json: { type: 'boolean' },
    name: { type: 'string' },
    revision: { type: 'string' },
  },
  async run(args) {
    const [action = 'list', ...rest] = args.positionals;
    if (action === 'list') {
      if (rest.length > 0) throw new UserError(`models list takes no arguments\nusage: ${modelsCommand.usage}`);
      const rows = listModelsOnDisk();
      process.stdout.write(flag(args, 'json') ? JSON.stringify(rows, null, 2) + '\n' : table(rows) + '\n');
      return 0;
    }
    if (action === 'add') {
      if (rest.length !== 1) throw new UserError(`models add takes one repo id or folder\nusage: ${modelsCommand.usage}`);
      const e = await addUserModel(rest[0], stringOpt(args, 'name'), stringOpt(args, 'revision'));
      process.stdout.write(flag(args, 'json') ? JSON.stringify(e) + '\n' : `added ${e.name}\n`);
      return 0;
    }
    if (action === 'remove') {
      if (rest.length !== 1) throw new UserError(`models remove takes one catalog name\nusage: ${modelsCommand.usage}`);
      await removeUserModel(rest[0]);
      process.stdout.write(`removed ${rest[0]}\n`);
      return 0;
    }
    throw new UserError(`unknown models action '${action}'\nusage: ${modelsCommand.usage}`);
  },
};
