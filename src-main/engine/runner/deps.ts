/** The runner's collaborators, injectable so tests and front ends can swap the Hub and data layers. */
import type { LoadedDataset, LoadDatasetOptions, DatasetSpec } from '../data';
import type { LoadedModel, LoadModelOptions } from '../model';
import type { Tokenizer } from '../tokenizer/load-tokenizer';

export interface ResolvedModelRef {
  folder: string;
  /** Hub repository and commit when the model came from the Hub. */
  hubRepo?: string;
  commit?: string;
  /** Catalog name when the reference was one. */
  catalogName?: string;
}

export interface RunnerDeps {
  /** A path, Hub id or catalog name to a local checkpoint folder (may download). */
  resolveModel(ref: string, signal?: AbortSignal): Promise<ResolvedModelRef>;
  loadDataset(spec: DatasetSpec, opts: LoadDatasetOptions): Promise<LoadedDataset>;
  /** `tokenizer`: already loaded for this folder (the runner compares a pair's tokenizers first). */
  loadModel(dir: string, opts: LoadModelOptions & { tokenizer?: Tokenizer }): Promise<LoadedModel>;
}

/** The real implementations, imported lazily so that validation errors never wait for them. */
export async function defaultDeps(): Promise<RunnerDeps> {
  const [hub, data, model] = await Promise.all([import('../hub'), import('../data'), import('../model')]);
  return {
    async resolveModel(ref, signal) {
      const r = await hub.resolveModel(ref, { signal });
      return {
        folder: r.folder,
        hubRepo: r.source.kind === 'hub' ? r.source.repo : undefined,
        commit: r.commit,
        catalogName: r.name,
      };
    },
    loadDataset: data.loadDataset,
    loadModel: model.loadModel,
  };
}
