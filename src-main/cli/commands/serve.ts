import { spawn } from 'node:child_process';
import { UserError } from '../../engine/errors';
import { serveApp } from '../../server/serve-app';
import { flag, numberOpt, type Command } from '../command';

/** Opens `url` in the desktop's browser, if there is one; never fails the command. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not open a browser; open ${url} yourself\n`));
  child.unref();
}

/** `bild-bench serve`: the app's UI over HTTP on 127.0.0.1 (e.g. through an SSH tunnel from a GPU server). */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the app UI and API on http://127.0.0.1 (use an SSH tunnel from a remote machine)',
  usage: 'bild-bench serve [--port N (default 8377, 0 = any free port)] [--open]',
  options: {
    port: { type: 'string', short: 'p' },
    open: { type: 'boolean' },
  },
  async run(args) {
    const port = numberOpt(args, 'port', { min: 0, max: 65535, integer: true }) ?? 8377;
    let app;
    try {
      app = await serveApp({ port });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new UserError(`port ${port} is in use; pick another with --port (0 = any free port)`);
      if (/not built/.test(e.message)) throw new UserError(e.message);
      throw err;
    }
    process.stdout.write(`BiLD Bench is serving at ${app.url}\n(from your laptop: ssh -N -L ${app.port}:127.0.0.1:${app.port} <this host>, then open http://127.0.0.1:${app.port}/)\nCtrl-C stops it.\n`);
    if (flag(args, 'open')) openBrowser(app.url);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    process.stdout.write('stopping: cancelling running jobs\n');
    await app.close();
    return 0;
  },
};
