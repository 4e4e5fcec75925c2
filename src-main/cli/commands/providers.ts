import { detectProviders } from '../../engine/runtime/providers';
import { ortVersion } from '../../engine/runtime/session';
import { flag, type Command } from '../command';

export const providersCommand: Command = {
  name: 'providers',
  summary: 'list the execution providers this machine can run, and why the others cannot',
  usage: 'bild-bench providers [--json]',
  options: { json: { type: 'boolean' } },
  async run(args) {
    const list = detectProviders();
    if (flag(args, 'json')) {
      process.stdout.write(`${JSON.stringify({ onnxruntime: ortVersion(), platform: `${process.platform}/${process.arch}`, providers: list }, null, 2)}\n`);
      return 0;
    }
    const w = Math.max(...list.map((p) => p.ep.length));
    for (const p of list) process.stdout.write(`${p.ep.padEnd(w)}  ${p.available ? 'available  ' : 'unavailable'}  ${p.reason}\n`);
    return 0;
  },
};
