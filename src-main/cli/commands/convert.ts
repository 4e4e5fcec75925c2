import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveModelOption } from '../resolve-model-option';
import { ensureExported, exportT5 } from '../../engine/onnx/export-t5';
import { exportTransformersJs, TRANSFORMERS_JS_DTYPES, transformersJsFiles, type TransformersJsDType } from '../../engine/onnx/transformersjs-export';
import { CancelledError, UserError } from '../../engine/errors';
import { checkCheckpointDir } from '../../engine/model';
import { stringOpt, type Command } from '../command';
import { ProgressBar } from '../progress-bar';
import { WEIGHT_OPTIONS, WEIGHT_USAGE, weightOptions } from '../options';
import { quantDeviation, weightFormat } from '../../engine/onnx/t5-weights';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'export a T5/mT5 checkpoint folder to ONNX',
  usage: `bild-bench convert <checkpoint-dir|catalog-name|hub-id> [--out DIR] ${WEIGHT_USAGE} [--layout bild|transformers.js]`,
  allowPositionals: true,
  options: { out: { type: 'string' }, ...WEIGHT_OPTIONS, layout: { type: 'string' } },
  async run(args) {
    if (args.positionals.length !== 1) throw new UserError('convert: expected exactly one <checkpoint-dir>');
    // a folder as given; anything else (a catalog name, a Hub id) is resolved like any model option
    const ref = args.positionals[0]!;
    const dir = existsSync(ref) ? checkCheckpointDir(ref, 'checkpoint-dir') : await resolveModelOption(ref, 'checkpoint-dir');
    const weights = weightOptions(args);
    const dtype = weights.dtype ?? 'fp32';
    const bar = new ProgressBar('export');
    const onProgress = (done: number, total: number) => bar.update(done, total);
    const out = stringOpt(args, 'out');
    const layout = stringOpt(args, 'layout') ?? 'bild';
    if (layout !== 'bild' && layout !== 'transformers.js') throw new UserError(`--layout: '${layout}' is not one of bild, transformers.js`);
    if (layout === 'transformers.js') {
      if (!out) throw new UserError('--layout transformers.js needs --out DIR (a model folder for @huggingface/transformers)');
      if (!(TRANSFORMERS_JS_DTYPES as readonly string[]).includes(dtype))
        throw new UserError(`--layout transformers.js writes ${TRANSFORMERS_JS_DTYPES.join(', ')} graphs only (--dtype ${dtype})`);
    }
    // Ctrl-C stops the export, which then removes its temporary folder (exit 130); one killed
    // harder leaves it, and the next export to the same place sweeps it
    const ctl = new AbortController();
    const onSigint = (): void => ctl.abort(new CancelledError());
    process.once('SIGINT', onSigint);
    const signal = ctl.signal;
    try {
      if (layout === 'transformers.js' && out) {
        const started = performance.now();
        await exportTransformersJs(dir, resolve(out), { ...weights, onProgress, signal });
        bar.done();
        const files = transformersJsFiles(dtype as TransformersJsDType);
        process.stdout.write(`${resolve(out)}\n`);
        process.stderr.write(`wrote ${files.encoder} and ${files.decoder} in ${((performance.now() - started) / 1000).toFixed(1)} s (transformers.js dtype '${dtype}')\n`);
        const quant = weightFormat(weights).quant;
        if (quant) process.stderr.write(`note: ${quantDeviation(quant)}\n`);
      } else if (out) {
        const m = await exportT5(dir, resolve(out), { ...weights, onProgress, signal });
        bar.done();
        process.stdout.write(`${resolve(out)}\n`);
        process.stderr.write(`exported ${m.config.modelType} (${(m.weightBytes / 1e6).toFixed(1)} MB of ${dtype} weights) in ${(m.exportMs / 1000).toFixed(1)} s\n`);
        if (m.quant) process.stderr.write(`note: ${quantDeviation(m.quant)}\n`);
      } else {
        const e = await ensureExported(dir, { ...weights, onProgress, signal });
        bar.done();
        process.stdout.write(`${e.dir}\n`);
        process.stderr.write(e.cached ? 'already exported (cache hit)\n' : `exported in ${(e.manifest.exportMs / 1000).toFixed(1)} s\n`);
        if (e.manifest.quant) process.stderr.write(`note: ${quantDeviation(e.manifest.quant)}\n`);
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      bar.done();
    }
    return 0;
  },
};
