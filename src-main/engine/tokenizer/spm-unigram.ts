/**
 * SentencePiece's Unigram segmentation (unigram_model.cc EncodeOptimized) with its exact
 * arithmetic: the best score ending at each position is stored as float32, while a candidate
 * (piece score + stored score) is formed and compared in double (the `?:` in spm promotes it);
 * the unknown-piece candidate stays float32. @huggingface/transformers (and HF's Rust tokenizers)
 * keep everything in float64, which resolves exact ties such as "000" = "0"+"00" = "00"+"0"
 * differently. Used for tokenizers converted from spiece.model so they reproduce spm_encode.
 */
export class SpmUnigram {
  private readonly pieces = new Map<string, number>();
  /** Longest piece in code points. */
  private readonly maxLen: number;
  private readonly unkScore: number;
  private readonly scores: Float32Array;

  /**
   * @param vocab [piece, score] in id order
   * @param skip ids never matched from text (spm's control/unknown/byte pieces; HF's added tokens)
   */
  constructor(vocab: readonly (readonly [string, number])[], skip: ReadonlySet<number>) {
    let min = Infinity;
    let maxLen = 1;
    vocab.forEach(([piece, score], id) => {
      if (skip.has(id) || piece.length === 0 || this.pieces.has(piece)) return;
      this.pieces.set(piece, id);
      min = Math.min(min, score);
      maxLen = Math.max(maxLen, Array.from(piece).length);
    });
    this.scores = Float32Array.from(vocab, ([, s]) => s);
    this.maxLen = maxLen;
    // kUnkPenalty = 10, computed in float like spm.
    this.unkScore = Math.fround(Math.fround(min === Infinity ? 0 : min) - 10);
  }

  /** Best segmentation of `text` as piece strings (unknown characters come back as themselves). */
  tokenize(text: string): string[] {
    const chars = Array.from(text);
    const n = chars.length;
    const best = new Float32Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    for (let start = 0; start < n; start++) {
      const here = best[start]!;
      let hasSingle = false;
      let s = '';
      for (let len = 1; len <= this.maxLen && start + len <= n; len++) {
        s += chars[start + len - 1];
        const id = this.pieces.get(s);
        if (id === undefined) continue;
        const cand = this.scores[id]! + here; // double, compared before rounding
        const end = start + len;
        if (from[end] === -1 || cand > best[end]!) {
          best[end] = cand; // the Float32Array rounds on store, like spm's float field
          from[end] = start;
        }
        if (len === 1) hasSingle = true;
      }
      if (!hasSingle) {
        const cand = Math.fround(this.unkScore + here);
        const end = start + 1;
        if (from[end] === -1 || cand > best[end]!) {
          best[end] = cand;
          from[end] = start;
        }
      }
    }
    const out: string[] = [];
    for (let end = n; end > 0; ) {
      const start = from[end]!;
      out.push(chars.slice(start, end).join(''));
      end = start;
    }
    return out.reverse();
  }
}
