// The files each export layout writes: named once here for the exporters and for the check of what
// an --out folder may hold (out-dir.ts, which the exporters import, so these cannot live in them).

/**
 * The engine's own layout (export-t5.ts): the encoder and the decoder in both cache layouts
 * (t5-graphs.ts: `decoder` keeps its cache in JS memory, `decoderDevice` on a GPU), over one
 * weights file, and its manifest.
 */
export const EXPORT_FILES = {
  encoder: 'encoder.onnx',
  decoder: 'decoder.onnx',
  decoderDevice: 'decoder-device.onnx',
  weights: 'weights.bin',
  manifest: 'manifest.json',
} as const;

/**
 * transformers.js's seq2seq layout (transformersjs-export.ts): the graphs, fp32 (encoder, decoder)
 * and under the file-name suffix transformers.js 4.x loads for its `dtype` option
 * (DEFAULT_DTYPE_SUFFIX_MAPPING: int8 '_int8', q4 '_q4'); one folder may hold several dtypes.
 */
export const TRANSFORMERS_JS_FILES = {
  encoder: 'onnx/encoder_model.onnx',
  decoder: 'onnx/decoder_model_merged.onnx',
  encoder_int8: 'onnx/encoder_model_int8.onnx',
  decoder_int8: 'onnx/decoder_model_merged_int8.onnx',
  encoder_q4: 'onnx/encoder_model_q4.onnx',
  decoder_q4: 'onnx/decoder_model_merged_q4.onnx',
} as const;

/** The dtypes whose transformers.js layout is written (transformers.js's `dtype` option of the same name). */
export const TRANSFORMERS_JS_DTYPES = ['fp32', 'int8', 'q4'] as const;
export type TransformersJsDType = (typeof TRANSFORMERS_JS_DTYPES)[number];

/** The two graphs transformers.js loads at `dtype`. */
export const transformersJsFiles = (dtype: TransformersJsDType): { encoder: string; decoder: string } =>
  dtype === 'fp32'
    ? { encoder: TRANSFORMERS_JS_FILES.encoder, decoder: TRANSFORMERS_JS_FILES.decoder }
    : { encoder: TRANSFORMERS_JS_FILES[`encoder_${dtype}`], decoder: TRANSFORMERS_JS_FILES[`decoder_${dtype}`] };

/** A transformers.js graph's external data file (its naming: `<file>_data`, e.g. encoder_model_q4.onnx_data). */
export const externalDataOf = (graph: string): string => `${graph}_data`;

/** Files next to the graphs that transformers.js reads (config, generation config, tokenizer). */
export const TRANSFORMERS_JS_SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'spiece.model'] as const;
