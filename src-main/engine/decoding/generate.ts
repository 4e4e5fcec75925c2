import { UserError } from '../errors';
import { DEFAULT_MAX_SOURCE_LENGTH } from '../limits';
import type { LoadedModel } from '../model';
import { releaseSource, type EncodedSource } from '../runtime/t5-runtime';
import { bildDecode, BILD_DEFAULTS, checkBildParams, type BildParams } from './bild';
import { bildVerifyPipelined } from './bild-pipelined';
import { stopDraft } from './draft-channel';
import type { DecodeCounts } from './counters';
import { greedyDecode } from './greedy';
import { withPieces } from './trace';
import { SPECULATIVE_DEFAULT_DRAFT, speculativeDecode } from './speculative';
import { rolesOfMethod } from '../runner/variant-roles';

export const METHODS = ['large', 'small', 'bild', 'speculative'] as const;
export type Method = (typeof METHODS)[number];

export interface Models {
  small?: LoadedModel;
  large?: LoadedModel;
}

export interface GenerateParams {
  bild?: Partial<BildParams>;
  draft?: number;
  maxLength?: number;
  /** Source tokens kept (default 1024, the official script's max_source_length). */
  maxSourceLength?: number;
  /** BiLD only: the small model drafts ahead in a worker thread while the large model verifies (CPU provider). */
  pipeline?: boolean;
  signal?: AbortSignal;
}

/** One sentence decoded by one method, with its timings. */
export interface SentenceOutput extends DecodeCounts {
  method: Method;
  text: string;
  /** Generated tokens (start token excluded). */
  tokens: number;
  /** Tokens produced per large-model call (BiLD, speculative; undefined otherwise). */
  acceptedLength?: number;
  /** The source had more than maxSourceLength tokens and was truncated. */
  sourceTruncated: boolean;
  encoderMs: number;
  decodeMs: number;
  totalMs: number;
}

function need(models: Models, role: 'small' | 'large', method: Method): LoadedModel {
  const m = models[role];
  if (!m) throw new UserError(`method '${method}' needs a ${role} model`);
  return m;
}

/** Pipelining runs a second instance of the small model in a worker thread, on the CPU provider. */
function checkPipeline(models: Models, bild: BildParams): void {
  checkBildParams(bild);
  for (const role of ['small', 'large'] as const)
    if (models[role]!.ep !== 'cpu')
      throw new UserError(`bild_pipeline: runs on the CPU provider only (the ${role} model runs on '${models[role]!.ep}')`);
}

/** Tokenizes, encodes (with every model the method uses), decodes and detokenizes one source. */
export async function generate(method: Method, models: Models, source: string, params: GenerateParams = {}): Promise<SentenceOutput> {
  const maxLength = params.maxLength ?? BILD_DEFAULTS.maxLength;
  const roles = rolesOfMethod(method);
  const used = roles.map((r) => need(models, r, method));
  const bild = { ...BILD_DEFAULTS, ...params.bild, maxSmall: params.bild?.maxSmall ?? BILD_DEFAULTS.maxSmall, maxLength };
  const pipelined = method === 'bild' && params.pipeline === true;
  if (pipelined) checkPipeline(models, bild);
  // loaded on first use, before the clock starts: the drafter's and the verifier's sessions
  const drafter = pipelined ? await models.small!.runtime.drafter() : undefined;
  const largeRuntime = pipelined ? await models.large!.runtime.verifier() : models.large?.runtime;

  const t0 = performance.now();
  const { ids, truncated } = used[0]!.tokenizer.encodeSource(source, params.maxSourceLength ?? DEFAULT_MAX_SOURCE_LENGTH);
  // pipelined: the drafter encodes the source with the small model while this thread encodes it with the large one
  const job = drafter?.begin(ids, { fallback: bild.fallback, maxSmall: bild.maxSmall, maxLength, startId: largeRuntime!.cfg.decoderStartId, eosId: largeRuntime!.cfg.eosId });
  const encoded: Partial<Record<'small' | 'large', EncodedSource>> = {};
  let counts: DecodeCounts;
  let t1 = t0;
  try {
    for (const [i, role] of roles.entries())
      if (role === 'large') encoded.large = await largeRuntime!.encode(ids);
      else if (!pipelined) encoded.small = await used[i]!.runtime.encode(ids);
    t1 = performance.now();

    if (method === 'large' || method === 'small') {
      const g = await greedyDecode(used[0]!.runtime, encoded[method]!, { maxLength, signal: params.signal });
      const n = g.ids.length - 1;
      counts = {
        ids: g.ids,
        smallTokens: method === 'small' ? n : 0,
        largeTokens: method === 'large' ? n : 0,
        smallCalls: method === 'small' ? g.calls : 0,
        largeCalls: method === 'large' ? g.calls : 0,
        fallbacks: 0,
        rollbacks: 0,
        rolledBackTokens: 0,
      };
    } else if (job) {
      counts = await bildVerifyPipelined({ model: largeRuntime!, src: encoded.large! }, drafter!, job, bild.rollback, params.signal);
    } else {
      const pair = {
        small: { model: models.small!.runtime, src: encoded.small! },
        large: { model: models.large!.runtime, src: encoded.large! },
      };
      counts =
        method === 'bild'
          ? await bildDecode(pair, bild, params.signal)
          : await speculativeDecode(pair, { draft: params.draft ?? SPECULATIVE_DEFAULT_DRAFT, maxLength }, params.signal);
    }
  } finally {
    if (job) stopDraft(job.buffer);
    for (const e of Object.values(encoded)) releaseSource(e);
  }
  const t2 = performance.now();
  const text = used[0]!.tokenizer.decode(counts.ids, true);
  const t3 = performance.now();
  const tokens = counts.ids.length - 1;
  return {
    method,
    ...counts,
    trace: counts.trace && withPieces(counts.trace, used[0]!.tokenizer.piece),
    text,
    tokens,
    acceptedLength: method === 'bild' || method === 'speculative' ? tokens / Math.max(1, counts.largeCalls) : undefined,
    sourceTruncated: truncated,
    encoderMs: t1 - t0,
    decodeMs: t2 - t1,
    totalMs: t3 - t0,
  };
}
