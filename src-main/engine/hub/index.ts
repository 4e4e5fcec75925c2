// Hugging Face Hub access: catalog, model downloads and dataset parquet files in the HF cache layout.
export { builtinGroups, builtinModels } from './catalog';
export type { CatalogDataset, CatalogGroup, CatalogModel, ModelRole, ModelSource, TaskFields, TaskKind } from './catalog';
export {
  addUserModel,
  allCatalogModels,
  findCatalogGroup,
  findCatalogModel,
  listCatalog,
  listModelsOnDisk,
  parseModelRef,
  removeUserModel,
  resolveModel,
} from './models';
export type { CatalogListing, ModelListEntry, ResolveModelOptions, ResolvedModel } from './models';
export { deleteCachedModel, hubRepoOf, sameRepo } from './delete-model';
export { downloadModel, findCachedModel, isRepoId } from './model-download';
export type { ModelDownloadOptions, ModelSnapshot } from './model-download';
export { fetchDatasetParquet, PARQUET_REVISION } from './datasets';
export type { DatasetParquetFiles, DatasetParquetOptions, DatasetParquetRequest } from './datasets';
export { DownloadController } from './controller';
export type { DownloadEvent, PlannedFile, ProgressSnapshot, ProgressListener } from './progress';
export type { DownloadOptions } from './repo-download';
export { HubHttpError, HubNetworkError } from './http';
export { defaultHubCacheDir, hubSettings } from './settings';
export type { HubOptions, HubSettings, RepoType } from './settings';
export { modelStatus } from './sources';
export type { LocalModel, ModelState } from './sources';
export { userCatalogPath } from './user-catalog';
export { formatBytes, formatDuration } from './format';
