import type { Command } from '../command';

// Each subcommand lives in its own module; register it here.
export const commands: Command[] = [];
commands.push((await import('./convert')).convertCommand);
commands.push((await import('./generate')).generateCommand);
commands.push((await import('./score')).scoreCommand);
commands.push((await import('./download')).downloadCommand);
commands.push((await import('./models')).modelsCommand);
commands.push((await import('./run')).runCommand);
commands.push((await import('./sweep')).sweepCommand);
commands.push((await import('./runs')).runsCommand);
commands.push((await import('./slurm')).slurmCommand);
commands.push((await import('./providers')).providersCommand);
commands.push((await import('./serve')).serveCommand);
