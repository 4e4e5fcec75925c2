/**
 * A minimal reader for SentencePiece's `ModelProto` (sentencepiece_model.proto, proto2).
 * Only the fields a Unigram → tokenizer.json conversion needs are decoded; everything else is
 * skipped by wire type, so newer spm files with extra fields still parse.
 */

/** SentencePiece.Type values. */
export const PieceType = {
  Normal: 1,
  Unknown: 2,
  Control: 3,
  UserDefined: 4,
  Unused: 5,
  Byte: 6,
} as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

export interface SpmPiece {
  piece: string;
  score: number;
  type: PieceType;
}

export interface SpmTrainerSpec {
  /** 1 unigram, 2 BPE, 3 word, 4 char. */
  modelType: number;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  byteFallback: boolean;
  splitByWhitespace: boolean;
  treatWhitespaceAsSuffix: boolean;
  unkPiece: string;
}

export interface SpmNormalizerSpec {
  name: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SpmModel {
  pieces: SpmPiece[];
  trainer: SpmTrainerSpec;
  normalizer: SpmNormalizerSpec;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Wire-format cursor over one message's bytes. */
class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }

  /** int32 fields are sign-extended to 64 bits on the wire (-1 is ten bytes). */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varint()));
  }

  bool(): boolean {
    return this.varint() !== 0n;
  }

  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  float(): number {
    if (this.pos + 4 > this.buf.length) throw new Error('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** Returns [fieldNumber, wireType]. */
  tag(): [number, number] {
    const t = Number(this.varint());
    return [t >>> 3, t & 7];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

function readPiece(buf: Uint8Array): SpmPiece {
  const r = new Reader(buf);
  const p: SpmPiece = { piece: '', score: 0, type: PieceType.Normal };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) p.piece = r.string();
    else if (field === 2 && wire === 5) p.score = r.float();
    else if (field === 3 && wire === 0) p.type = r.int32() as PieceType;
    else r.skip(wire);
  }
  return p;
}

function readTrainer(buf: Uint8Array): SpmTrainerSpec {
  const r = new Reader(buf);
  // proto2 defaults from sentencepiece_model.proto
  const t: SpmTrainerSpec = {
    modelType: 1,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    byteFallback: false,
    splitByWhitespace: true,
    treatWhitespaceAsSuffix: false,
    unkPiece: '<unk>',
  };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (wire === 0 && field === 3) t.modelType = r.int32();
    else if (wire === 0 && field === 22) t.splitByWhitespace = r.bool();
    else if (wire === 0 && field === 24) t.treatWhitespaceAsSuffix = r.bool();
    else if (wire === 0 && field === 35) t.byteFallback = r.bool();
    else if (wire === 0 && field === 40) t.unkId = r.int32();
    else if (wire === 0 && field === 41) t.bosId = r.int32();
    else if (wire === 0 && field === 42) t.eosId = r.int32();
    else if (wire === 0 && field === 43) t.padId = r.int32();
    else if (wire === 2 && field === 45) t.unkPiece = r.string();
    else r.skip(wire);
  }
  return t;
}

function readNormalizer(buf: Uint8Array): SpmNormalizerSpec {
  const r = new Reader(buf);
  const n: SpmNormalizerSpec = {
    name: '',
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (wire === 2 && field === 1) n.name = r.string();
    else if (wire === 2 && field === 2) n.precompiledCharsmap = r.bytes().slice();
    else if (wire === 0 && field === 3) n.addDummyPrefix = r.bool();
    else if (wire === 0 && field === 4) n.removeExtraWhitespaces = r.bool();
    else if (wire === 0 && field === 5) n.escapeWhitespaces = r.bool();
    else r.skip(wire);
  }
  return n;
}

/** Parses a serialized ModelProto (the bytes of `spiece.model`). Throws on malformed input. */
export function parseSpmModel(bytes: Uint8Array): SpmModel {
  const r = new Reader(bytes);
  const pieces: SpmPiece[] = [];
  let trainer: SpmTrainerSpec | undefined;
  let normalizer: SpmNormalizerSpec | undefined;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) pieces.push(readPiece(r.bytes()));
    else if (field === 2 && wire === 2) trainer = readTrainer(r.bytes());
    else if (field === 3 && wire === 2) normalizer = readNormalizer(r.bytes());
    else r.skip(wire);
  }
  if (r.pos !== bytes.length) throw new Error('trailing bytes after last field');
  return {
    pieces,
    trainer: trainer ?? readTrainer(new Uint8Array(0)),
    normalizer: normalizer ?? readNormalizer(new Uint8Array(0)),
  };
}
