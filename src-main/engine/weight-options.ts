/**
 * The weight formats a user can pick, in a module that imports nothing, so the renderer's form
 * offers exactly what the exporter accepts (onnx/t5-weights.ts checks and writes them).
 */
/** int8 and q4: the projections and feed-forward layers quantized block-wise (onnx/quantize-blocks.ts), the head to 8 bits, the rest fp32. */
export type WeightDType = 'fp32' | 'fp16' | 'int8' | 'q4';
export const WEIGHT_DTYPES: readonly WeightDType[] = ['fp32', 'fp16', 'int8', 'q4'];
/** The dtypes whose exports hold MatMulNBits weights (block size and accuracy level apply). */
export const QUANTIZED_DTYPES: readonly WeightDType[] = ['int8', 'q4'];
export const BLOCK_SIZES: readonly number[] = [16, 32, 64, 128, 256];
/** MatMulNBits accepts accuracy levels 0..MAX_ACCURACY_LEVEL. */
export const MAX_ACCURACY_LEVEL = 4;
export const DEFAULT_BLOCK_SIZE = 32;
/** int8 activations: the CPU provider's fastest kernels; see docs/performance.md "Quantized weights" for the measured cost. */
export const DEFAULT_ACCURACY_LEVEL = 4;
