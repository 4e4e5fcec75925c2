import { UserError } from '../errors';
import type { LoadedModel } from '../model';
import { releaseSource, type EncodedSource } from '../runtime/t5-runtime';
import { bildDecode, BILD_DEFAULTS, type BildParams } from './bild';
import type { DecodeCounts } from './counters';
import { greedyDecode } from './greedy';
import { SPECULATIVE_DEFAULT_DRAFT, speculativeDecode } from './speculative';

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
  encoderMs: number;
  decodeMs: number;
  totalMs: number;
}

function need(models: Models, role: 'small' | 'large', method: Method): LoadedModel {
  const m = models[role];
  if (!m) throw new UserError(`method '${method}' needs a ${role} model`);
  return m;
}

/** Tokenizes, encodes (with every model the method uses), decodes and detokenizes one source. */
export async function generate(method: Method, models: Models, source: string, params: GenerateParams = {}): Promise<SentenceOutput> {
  const t0 = performance.now();
  const maxLength = params.maxLength ?? BILD_DEFAULTS.maxLength;
  const roles: ('small' | 'large')[] = method === 'small' ? ['small'] : method === 'large' ? ['large'] : ['small', 'large'];
  const used = roles.map((r) => need(models, r, method));
  const ids = used[0]!.tokenizer.encode(source);
  const encoded: Partial<Record<'small' | 'large', EncodedSource>> = {};
  for (const [i, role] of roles.entries()) encoded[role] = await used[i]!.runtime.encode(ids);
  const t1 = performance.now();

  let counts: DecodeCounts;
  try {
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
    } else {
      const pair = {
        small: { model: models.small!.runtime, src: encoded.small! },
        large: { model: models.large!.runtime, src: encoded.large! },
      };
      counts =
        method === 'bild'
          ? await bildDecode(pair, { ...BILD_DEFAULTS, ...params.bild, maxLength }, params.signal)
          : await speculativeDecode(pair, { draft: params.draft ?? SPECULATIVE_DEFAULT_DRAFT, maxLength }, params.signal);
    }
  } finally {
    for (const e of Object.values(encoded)) releaseSource(e);
  }
  const t2 = performance.now();
  const text = used[0]!.tokenizer.decode(counts.ids, true);
  const t3 = performance.now();
  const tokens = counts.ids.length - 1;
  return {
    method,
    ...counts,
    text,
    tokens,
    acceptedLength: method === 'bild' || method === 'speculative' ? tokens / Math.max(1, counts.largeCalls) : undefined,
    encoderMs: t1 - t0,
    decodeMs: t2 - t1,
    totalMs: t3 - t0,
  };
}
