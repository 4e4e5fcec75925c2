import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../engine/errors';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** One CLI subcommand: its flags (node:util parseArgs syntax) and what it does. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Options;
  allowPositionals?: boolean;
  run(args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: cmd.options,
      allowPositionals: cmd.allowPositionals ?? false,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new UserError(`${cmd.name}: ${(err as Error).message} (see bild-bench ${cmd.name} --help)`);
  }
}

export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireString(args: ParsedArgs, name: string): string {
  const v = stringOpt(args, name);
  if (v === undefined || v === '') throw new UserError(`missing required option --${name}`);
  return v;
}

/** `raw` as a finite number, or a UserError naming the option. */
export function parseNumber(name: string, raw: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UserError(`--${name}: '${raw}' is not a number`);
  return v;
}

/** A number option with an inclusive/exclusive range check that names the option on failure. */
export function numberOpt(
  args: ParsedArgs,
  name: string,
  check?: { min?: number; max?: number; minExclusive?: boolean; integer?: boolean },
): number | undefined {
  const raw = stringOpt(args, name);
  if (raw === undefined) return undefined;
  const v = parseNumber(name, raw);
  if (check?.integer && !Number.isInteger(v)) throw new UserError(`--${name}: '${raw}' is not an integer`);
  if (check?.min !== undefined && (check.minExclusive ? v <= check.min : v < check.min))
    throw new UserError(`--${name}: ${v} must be ${check.minExclusive ? '>' : '>='} ${check.min}`);
  if (check?.max !== undefined && v > check.max) throw new UserError(`--${name}: ${v} must be <= ${check.max}`);
  return v;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
