import { UserError } from '../../engine/errors';
import { findCatalogGroup, resolveModel, type ResolvedModel } from '../../engine/hub';
import { DownloadController } from '../../engine/hub/controller';
import { TerminalProgress } from '../download-progress';
import { flag, stringOpt, type Command } from '../command';

/** `bild-bench download <repo-id|catalog-name|group>`: fetch a model (or a group's models) into the HF cache. */
export const downloadCommand: Command = {
  name: 'download',
  summary: 'download a model from the Hugging Face Hub into the HF cache',
  usage:
    'bild-bench download <repo-id|catalog-name|catalog-group> [--revision R] [--token T] [--offline] [--quiet] [--reverify]',
  allowPositionals: true,
  options: {
    revision: { type: 'string' },
    token: { type: 'string' },
    offline: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    reverify: { type: 'boolean' },
  },
  async run(args) {
    if (args.positionals.length !== 1)
      throw new UserError(`download takes one model reference\nusage: ${downloadCommand.usage}`);
    const ref = args.positionals[0];
    const group = findCatalogGroup(ref);
    const refs = group ? group.models.map((m) => m.name) : [ref];
    const progress = new TerminalProgress(process.stderr, flag(args, 'quiet'));
    const controller = new DownloadController();
    const onSigint = (): void => controller.cancel();
    process.once('SIGINT', onSigint);
    const results: ResolvedModel[] = [];
    try {
      for (const r of refs) {
        results.push(
          await resolveModel(r, {
            revision: stringOpt(args, 'revision'),
            token: stringOpt(args, 'token'),
            offline: flag(args, 'offline') ? true : undefined,
            reverify: flag(args, 'reverify'),
            controller,
            onProgress: progress.handle,
          }),
        );
      }
    } finally {
      progress.finish();
      process.removeListener('SIGINT', onSigint);
    }
    for (const m of results) process.stdout.write(m.folder + '\n');
    return 0;
  },
};
