import { CancelledError, UserError } from '../engine/errors';
import { parseCommandArgs, type Command } from './command';
import { commands } from './commands';

function usage(): string {
  const lines = ['usage: bild-bench <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  return lines.join('\n');
}

/** Runs one CLI invocation and returns the exit code: 0 ok, 2 bad input (one clear line), 1 a bug. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd: Command | undefined = commands.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`bild-bench: error: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(parseCommandArgs(cmd, rest));
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`bild-bench: error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CancelledError) {
      process.stderr.write('bild-bench: cancelled\n');
      return 130;
    }
    process.stderr.write(`bild-bench: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
