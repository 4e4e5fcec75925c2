/** Element types found in T5/mT5 checkpoints. */
export type DType = 'F32' | 'F16' | 'BF16';

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

/**
 * A checkpoint's tensors, read one at a time from disk: only the tensor being read is resident,
 * so a 5 GB checkpoint never sits in one buffer.
 */
export interface CheckpointReader {
  /** The files backing this checkpoint (weights and index), for content hashing. */
  readonly files: string[];
  tensors(): TensorInfo[];
  has(name: string): boolean;
  /** One tensor as contiguous row-major float32 (F16/BF16 widened exactly). */
  readF32(name: string): Promise<Float32Array<ArrayBuffer>>;
  close(): Promise<void>;
}
