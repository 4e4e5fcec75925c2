/**
 * SentencePiece's precompiled normalization map (`normalizer_spec.precompiled_charsmap`), e.g.
 * nmt_nfkc: `<u32 LE trie size><darts-clone double-array trie><NUL-separated replacements>`.
 * The trie maps UTF-8 byte prefixes of the input to offsets into the replacement blob; at each
 * position the longest matching prefix wins, else one character is copied unchanged.
 *
 * @huggingface/transformers' `Precompiled` normalizer ignores the map and approximates it with
 * String.normalize('NFKC'); this module applies the real map so encodings match spm exactly.
 */
import type { SpmNormalizerSpec } from './spm-proto';

const SPACE_SYMBOL = '\u2581';

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();

  constructor(blob: Uint8Array) {
    if (blob.length < 4) throw new Error('precompiled charsmap too short');
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize % 4 !== 0 || 4 + trieSize > blob.length) throw new Error('precompiled charsmap: bad trie size');
    this.units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.normalized = blob.subarray(4 + trieSize);
  }

  /** Longest trie match at `pos`: [replacement bytes, consumed length], or undefined. */
  private match(input: Uint8Array, pos: number): [Uint8Array, number] | undefined {
    // darts-clone unit layout: see darts.h (has_leaf bit 8, value 31 bits, label, offset).
    const u = this.units;
    const offset = (unit: number): number => (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    const label = (unit: number): number => unit & ((1 << 31) | 0xff);
    let node = 0;
    let unit = u[node]!;
    node ^= offset(unit);
    let best: number | undefined;
    let bestLen = 0;
    for (let i = pos; i < input.length; i++) {
      const c = input[i]!;
      if (c === 0) break;
      node ^= c;
      unit = u[node] ?? 0;
      // `>>> 0` keeps the comparison unsigned (bit 31 set means "not a label").
      if (label(unit) >>> 0 !== c) break;
      node ^= offset(unit);
      if ((unit >>> 8) & 1) {
        best = u[node]! & 0x7fffffff;
        bestLen = i - pos + 1;
      }
    }
    if (best === undefined) return undefined;
    let end = best;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return [this.normalized.subarray(best, end), bestLen];
  }

  /**
   * Splits `text` into normalization units the way spm's NormalizePrefix does and returns each
   * unit's replacement (already a string).
   */
  pieces(text: string): string[] {
    const input = this.encoder.encode(text);
    const out: string[] = [];
    let pos = 0;
    while (pos < input.length) {
      const m = this.match(input, pos);
      if (m) {
        out.push(this.decoder.decode(m[0]));
        pos += m[1];
      } else {
        const len = utf8Length(input[pos]!);
        out.push(this.decoder.decode(input.subarray(pos, pos + len)));
        pos += len;
      }
    }
    return out;
  }

  /** The map applied to the whole text, whitespace untouched. */
  apply(text: string): string {
    return this.pieces(text).join('');
  }
}

function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  return 2;
}

/**
 * The complete spm normalization (normalizer.cc Normalize): charsmap, leading/trailing and
 * repeated space removal, ▁ escaping and the dummy prefix. Used as an independent reference in
 * tests and for debugging; the tokenizer.json expresses the same steps as HF normalizers.
 */
export function spmNormalize(text: string, spec: SpmNormalizerSpec, charsmap: PrecompiledCharsmap | undefined): string {
  const pieces = charsmap ? charsmap.pieces(text) : Array.from(text);
  let i = 0;
  if (spec.removeExtraWhitespaces) while (i < pieces.length && pieces[i] === ' ') i++;
  if (i >= pieces.length) return '';
  let out = spec.addDummyPrefix ? ' ' : '';
  let prevSpace = spec.removeExtraWhitespaces;
  for (; i < pieces.length; i++) {
    let sp = pieces[i]!;
    if (prevSpace) sp = sp.replace(/^ +/, '');
    if (sp.length > 0) {
      out += sp;
      prevSpace = sp.endsWith(' ');
    }
    if (!spec.removeExtraWhitespaces) prevSpace = false;
  }
  if (spec.removeExtraWhitespaces) out = out.replace(/ +$/, '');
  return spec.escapeWhitespaces ? out.replaceAll(' ', SPACE_SYMBOL) : out;
}
