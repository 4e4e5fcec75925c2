export { loadDataset, fieldMapping, type LoadDatasetOptions, type ParquetFetcher } from './load-dataset';
export { DATASET_PRESETS, findPreset, type DatasetPreset } from './presets';
export type { DatasetSpec, Example, FileFormat, LoadedDataset, Task } from './types';
