import { UserError } from '../errors';
import { nrefsField } from './signature';

/**
 * References as sacreBLEU takes them: one stream (array of lines) per reference set, each as long
 * as the hypotheses. A null line means "no reference here", which makes nrefs variable.
 */
export type RefStreams = ReadonlyArray<ReadonlyArray<string | null>>;

export interface SegmentRefs {
  /** For each hypothesis, its non-null references. */
  perSegment: string[][];
  /** The signature's nrefs field. */
  nrefs: string;
}

/** Transposes reference streams to per-segment lists, refusing streams of the wrong length. */
export function segmentRefs(hypCount: number, refStreams: RefStreams): SegmentRefs {
  if (refStreams.length === 0) throw new UserError('no references given');
  refStreams.forEach((stream, k) => {
    if (stream.length !== hypCount) {
      throw new UserError(`reference stream ${k + 1} has ${stream.length} lines but there are ${hypCount} hypotheses`);
    }
  });
  const counts = new Set<number>();
  const perSegment: string[][] = [];
  for (let i = 0; i < hypCount; i++) {
    const refs: string[] = [];
    for (const stream of refStreams) {
      const line = stream[i];
      if (line !== null && line !== undefined) refs.push(line);
    }
    counts.add(refs.length);
    perSegment.push(refs);
  }
  return { perSegment, nrefs: hypCount === 0 ? String(refStreams.length) : nrefsField(counts) };
}
