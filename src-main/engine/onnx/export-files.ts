// The files each export layout writes: named once here for the exporters and for the check of what
// an --out folder may hold (out-dir.ts, which the exporters import, so these cannot live in them).

/** The engine's own layout (export-t5.ts): two graphs over one weights file, and its manifest. */
export const EXPORT_FILES = {
  encoder: 'encoder.onnx',
  decoder: 'decoder.onnx',
  weights: 'weights.bin',
  manifest: 'manifest.json',
} as const;

/** transformers.js's seq2seq layout (transformersjs-export.ts): the graphs. */
export const TRANSFORMERS_JS_FILES = { encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model_merged.onnx' } as const;

/** A transformers.js graph's external data file (its naming). */
export const externalDataOf = (graph: string): string => `${graph}_data`;

/** Files next to the graphs that transformers.js reads (config, generation config, tokenizer). */
export const TRANSFORMERS_JS_SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'spiece.model'] as const;
