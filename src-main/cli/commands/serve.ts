import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../../engine/errors';
import { newToken, TOKEN_ENV, tokenProblem } from '../../server/auth';
import { serveApp } from '../../server/serve-app';
import { flag, numberOpt, stringOpt, type Command, type ParsedArgs } from '../command';

/**
 * The page `--open` gives the browser: a private file (folder 0700, file 0600) that redirects to
 * `loginUrl`, as Jupyter does, since other users can read command lines (ps) and the URL carries the
 * token. Returns its folder, to remove at the end, and its file:// URL.
 */
export function writeOpenPage(loginUrl: string): { dir: string; url: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bild-bench-open-'));
  const page = join(dir, 'open.html');
  writeFileSync(page, `<!doctype html><meta http-equiv="refresh" content="0; url=${loginUrl}"><a href="${loginUrl}">BiLD Bench</a>\n`, { mode: 0o600 });
  return { dir, url: pathToFileURL(page).href };
}

/** Opens `loginUrl` in the desktop's browser, if there is one, through writeOpenPage; never fails the command. Returns the folder to remove. */
function openBrowser(loginUrl: string): string {
  const { dir, url } = writeOpenPage(loginUrl);
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not open a browser; open ${loginUrl} yourself\n`));
  child.unref();
  return dir;
}

/** --token, else BILD_BENCH_TOKEN, else a new random token. */
function tokenOf(args: ParsedArgs): string {
  const given = stringOpt(args, 'token') ?? process.env[TOKEN_ENV];
  if (given === undefined || given === '') return newToken();
  const problem = tokenProblem(given);
  if (problem) throw new UserError(`${stringOpt(args, 'token') === undefined ? TOKEN_ENV : '--token'}: ${problem}`);
  return given;
}

/** --allow DIR (repeatable): existing folders, as absolute paths. */
function allowedOf(args: ParsedArgs): string[] {
  const dirs = args.values.allow;
  return (Array.isArray(dirs) ? dirs : []).map((d) => {
    const dir = resolve(String(d));
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`--allow: '${d}' is not a folder`);
    return dir;
  });
}

/** `bild-bench serve`: the app's UI over HTTP on 127.0.0.1 (e.g. through an SSH tunnel from a GPU server). */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the app UI and API on http://127.0.0.1 (use an SSH tunnel from a remote machine)',
  usage:
    'bild-bench serve [--port N (default 8377, 0 = any free port)] [--open] [--token T (default: $BILD_BENCH_TOKEN, else random; other users can see a command line, not the environment)] [--allow DIR ... (folders beyond the app\'s own whose files the UI may read)]',
  options: {
    port: { type: 'string', short: 'p' },
    open: { type: 'boolean' },
    token: { type: 'string' },
    allow: { type: 'string', multiple: true },
  },
  async run(args) {
    const port = numberOpt(args, 'port', { min: 0, max: 65535, integer: true }) ?? 8377;
    const token = tokenOf(args);
    const allowedFolders = allowedOf(args);
    let app;
    try {
      app = await serveApp({ port, token, allowedFolders });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new UserError(`port ${port} is in use; pick another with --port (0 = any free port)`);
      if (/not built/.test(e.message)) throw new UserError(e.message);
      throw err;
    }
    process.stdout.write(
      `BiLD Bench is serving at ${app.loginUrl}\n` +
        `(from your laptop: ssh -N -L ${app.port}:127.0.0.1:${app.port} <this host>, then open that URL; the token keeps other users of this host out)\n` +
        'Ctrl-C stops it.\n',
    );
    const opened = flag(args, 'open') ? openBrowser(app.loginUrl) : undefined;
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    process.stdout.write('stopping: cancelling running jobs\n');
    await app.close();
    if (opened) rmSync(opened, { recursive: true, force: true });
    return 0;
  },
};
