import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { writingTo } from '../disk-errors';

/** Where one tensor's bytes sit in the shared weights file. */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

/**
 * Appends weight tensors to one binary file as they are produced, so an export holds one tensor
 * in memory at a time; ONNX initializers point into it (ONNX external data), which also lifts
 * protobuf's 2 GB limit. All graphs of one export share the file.
 */
export class ExternalDataWriter {
  private fd: number;
  private offset = 0;
  readonly location: string;

  /** `reportAs`: the path a file-system failure names (an export's --out folder rather than its temporary one). */
  constructor(
    readonly path: string,
    private readonly reportAs = path,
  ) {
    this.fd = writingTo(reportAs, () => openSync(path, 'w'));
    this.location = basename(path);
  }

  /** Appends one tensor given as consecutive chunks (so a transposed copy never exists whole). */
  append(chunks: Iterable<Uint8Array>): ExternalRef {
    // 64-byte alignment lets onnxruntime map tensors without realignment copies.
    const pad = (64 - (this.offset % 64)) % 64;
    if (pad) {
      this.write(new Uint8Array(pad));
      this.offset += pad;
    }
    const start = this.offset;
    for (const bytes of chunks) {
      this.write(bytes);
      this.offset += bytes.byteLength;
    }
    return { location: this.location, offset: start, length: this.offset - start };
  }

  private write(bytes: Uint8Array): void {
    writingTo(this.reportAs, () => {
      for (let written = 0; written < bytes.byteLength; ) written += writeSync(this.fd, bytes, written, bytes.byteLength - written);
    });
  }

  get size(): number {
    return this.offset;
  }

  close(): void {
    writingTo(this.reportAs, () => closeSync(this.fd));
  }
}
