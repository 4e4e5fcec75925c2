import { BILD_DEFAULTS, checkBildParams } from '../../engine/decoding/bild';
import { generate, type Method, type Models } from '../../engine/decoding/generate';
import { UserError } from '../../engine/errors';
import { DEFAULT_MAX_SOURCE_LENGTH, LIMITS } from '../../engine/limits';
import { loadModel, loadPair, type LoadModelOptions } from '../../engine/model';
import { resolveModelOption } from '../resolve-model-option';
import { flag, numberOpt, requireString, stringOpt, type Command } from '../command';
import { bildOptions, parseEp, WEIGHT_OPTIONS, WEIGHT_USAGE, weightOptions } from '../options';
import { quantDeviation } from '../../engine/onnx/t5-weights';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'translate or summarize one text with one model, BiLD or speculative decoding',
  usage:
    `bild-bench generate --model <model|bild|speculative> [--small MODEL --large MODEL] [--bild_fallback FB] [--bild_rollback RB] [--bild_pipeline] [--max_small N] [--draft K] [--max_length N] [--max_source_length N] [--ep cpu|cuda|webgpu|dml|coreml [--allow_cpu_fallback]] ${WEIGHT_USAGE} --text "..." [--json]`,
  options: {
    model: { type: 'string' },
    small: { type: 'string' },
    large: { type: 'string' },
    bild_fallback: { type: 'string' },
    bild_rollback: { type: 'string' },
    max_small: { type: 'string' },
    bild_pipeline: { type: 'boolean' },
    draft: { type: 'string' },
    max_length: { type: 'string' },
    max_source_length: { type: 'string' },
    ep: { type: 'string' },
    allow_cpu_fallback: { type: 'boolean' },
    ...WEIGHT_OPTIONS,
    text: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args) {
    const model = requireString(args, 'model');
    const text = stringOpt(args, 'text');
    if (text === undefined) throw new UserError('missing required option --text');
    const maxLength = numberOpt(args, 'max_length', { min: 2, max: LIMITS.maxLength, integer: true }) ?? BILD_DEFAULTS.maxLength;
    const maxSourceLength = numberOpt(args, 'max_source_length', { min: 1, max: LIMITS.maxSourceLength, integer: true }) ?? DEFAULT_MAX_SOURCE_LENGTH;
    const given = bildOptions(args);
    const bild = {
      fallback: given.fallback ?? BILD_DEFAULTS.fallback,
      rollback: given.rollback ?? BILD_DEFAULTS.rollback,
      maxSmall: given.maxSmall ?? BILD_DEFAULTS.maxSmall,
      maxLength,
    };
    checkBildParams(bild);
    const pipeline = flag(args, 'bild_pipeline');
    if (pipeline && model !== 'bild') throw new UserError('--bild_pipeline: applies to --model bild only');
    const draft = numberOpt(args, 'draft', { min: 1, max: LIMITS.draft, integer: true });
    const opts: LoadModelOptions = { ep: parseEp(stringOpt(args, 'ep')), allowCpuFallback: flag(args, 'allow_cpu_fallback'), ...weightOptions(args), maxLength };
    if (pipeline && (opts.ep ?? 'cpu') !== 'cpu') throw new UserError(`--bild_pipeline: runs on the CPU provider only (--ep ${opts.ep})`);

    let method: Method;
    const models: Models = {};
    if (model === 'bild' || model === 'speculative') {
      method = model;
      const smallRef = requireString(args, 'small');
      const largeRef = requireString(args, 'large');
      const smallDir = await resolveModelOption(smallRef, 'small');
      const largeDir = await resolveModelOption(largeRef, 'large');
      Object.assign(models, await loadPair(smallDir, largeDir, opts));
    } else {
      method = 'large';
      models.large = await loadModel(await resolveModelOption(model, 'model'), opts);
    }
    const fellBack = Object.values(models).find((m) => m?.epFallback)?.epFallback;
    if (fellBack) process.stderr.write(`warning: running on cpu (${fellBack})\n`);
    const quant = Object.values(models).find(Boolean)?.exported.manifest.quant;
    if (quant) process.stderr.write(`note: ${quantDeviation(quant)}\n`);
    const out = await generate(method, models, text, { bild, draft, maxLength, maxSourceLength, pipeline });
    if (flag(args, 'json')) {
      const { method: m, text: t, ids, totalMs, ...counts } = out;
      const ep = Object.values(models).find(Boolean)?.ep;
      process.stdout.write(`${JSON.stringify({ text: t, ids, ms: totalMs, method: m, ep, ...counts })}\n`);
    } else {
      process.stdout.write(`${out.text}\n`);
      process.stderr.write(`${out.tokens} tokens in ${out.totalMs.toFixed(1)} ms (${method})\n`);
    }
    for (const m of Object.values(models)) await m?.runtime.release();
    return 0;
  },
};
