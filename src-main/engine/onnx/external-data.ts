import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';

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

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    this.location = basename(path);
  }

  /** Appends one tensor given as consecutive chunks (so a transposed copy never exists whole). */
  append(chunks: Iterable<Uint8Array>): ExternalRef {
    // 64-byte alignment lets onnxruntime map tensors without realignment copies.
    const pad = (64 - (this.offset % 64)) % 64;
    if (pad) {
      writeSync(this.fd, new Uint8Array(pad));
      this.offset += pad;
    }
    const start = this.offset;
    for (const bytes of chunks) {
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(this.fd, bytes, written, bytes.byteLength - written);
      this.offset += bytes.byteLength;
    }
    return { location: this.location, offset: start, length: this.offset - start };
  }

  get size(): number {
    return this.offset;
  }

  close(): void {
    closeSync(this.fd);
  }
}
