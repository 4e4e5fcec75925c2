/** What a result was measured on: software, hardware, models, data and settings. */
import { spawnSync } from 'node:child_process';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { arch, cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import type { DatasetInfo, Environment, ExecutionProvider, ModelInfo } from '../api/types';
import { fileSha256 } from '../checkpoint/hash';
import type { LoadedDataset } from '../data';
import type { LoadedModel } from '../model';
import { appRoot, appVersion } from '../paths';
import { ortVersion } from '../runtime/session';
import type { ResolvedModelRef } from './deps';
import { runDeviations } from './deviations';
import type { RunPlan } from './plan';

/** Files hashed one by one; bigger ones are weights, covered by the checkpoint hash. */
const SMALL_FILE_BYTES = 16 << 20;

function command(cmd: string, args: string[], timeout = 3000): string | null {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'ignore'] });
    return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

/** nvidia-smi's name, driver and memory of each GPU (a line each), or null without nvidia-smi. */
export function nvidiaGpus(): string | null {
  // a GPU without persistence mode can take seconds to answer the first query
  return command('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], 15_000);
}

let staticInfo: Pick<Environment, 'appVersion' | 'gitCommit' | 'node' | 'onnxruntime' | 'cpu' | 'gpu' | 'os'> | undefined;

/** Host facts that do not change within a process (git and nvidia-smi are asked once). */
function hostInfo(): NonNullable<typeof staticInfo> {
  if (staticInfo) return staticInfo;
  const c = cpus();
  // only the app's own checkout: installed inside someone's research repository, git would name that one
  const own = command('git', ['-C', appRoot(), 'rev-parse', '--show-toplevel']) === realpathSync(appRoot());
  const commit = own ? command('git', ['-C', appRoot(), 'rev-parse', 'HEAD']) : null;
  const dirty = commit ? command('git', ['-C', appRoot(), 'status', '--porcelain', '--untracked-files=no']) : null;
  staticInfo = {
    appVersion: appVersion(),
    gitCommit: commit ? commit + (dirty ? '-dirty' : '') : null,
    node: process.version,
    onnxruntime: ortVersion(),
    cpu: { model: c[0]?.model.trim() ?? 'unknown', cores: c.length },
    gpu: nvidiaGpus()?.split('\n').join('; ') ?? null,
    os: { platform: platform(), release: release(), arch: arch() },
  };
  return staticInfo;
}

/** This app's own git commit (with -dirty for uncommitted changes to tracked files), or null outside its checkout. */
export const appGitCommit = (): string | null => hostInfo().gitCommit;

async function smallFileHashes(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(folder).sort()) {
    const st = statSync(join(folder, name), { throwIfNoEntry: false });
    if (st?.isFile() && st.size <= SMALL_FILE_BYTES) out[name] = await fileSha256(join(folder, name));
  }
  return out;
}

export async function modelInfo(role: 'small' | 'large', ref: string, resolved: ResolvedModelRef, model: LoadedModel): Promise<ModelInfo> {
  return {
    role,
    ref,
    catalogName: resolved.catalogName ?? null,
    folder: resolved.folder,
    hubRepo: resolved.hubRepo ?? null,
    commit: resolved.commit ?? null,
    checkpointHash: model.exported.manifest.checkpointHash,
    fileHashes: await smallFileHashes(resolved.folder),
    tokenizerFingerprint: model.tokenizer.fingerprint,
    dtype: model.exported.manifest.dtype,
    compute: model.exported.manifest.compute,
    ...(model.exported.manifest.quant && { quant: model.exported.manifest.quant }),
    threads: model.runtime.threads,
  };
}

export function datasetInfo(d: LoadedDataset, plan: RunPlan): DatasetInfo {
  return {
    id: d.id,
    config: d.config ?? null,
    split: d.split,
    revision: d.revision ?? null,
    task: d.task,
    prefix: d.prefix,
    examples: d.examples.length,
    limit: plan.dataset.limit ?? null,
    seed: plan.dataset.seed ?? null,
  };
}

/** `used`: the provider the models actually run on (it differs from plan.ep after a CPU fallback). */
export function captureEnvironment(
  plan: RunPlan,
  models: ModelInfo[],
  dataset: DatasetInfo,
  startedAt: string,
  used: { ep: ExecutionProvider; fallback?: string } = { ep: plan.ep },
): Environment {
  const bild = plan.variants.find((v) => v.bild)?.bild;
  const deviations = runDeviations(plan.variants, models);
  return {
    ...hostInfo(),
    ep: used.ep,
    ...(used.fallback ? { epFallback: used.fallback } : {}),
    threads: plan.threads ?? 'auto',
    pipeline: plan.pipeline && plan.variants.some((v) => v.method === 'bild'),
    models,
    dtype: plan.dtype,
    dataset,
    thresholds: {
      fallback: plan.kind === 'run' ? (bild?.fallback ?? null) : null,
      rollback: plan.kind === 'run' ? (bild?.rollback ?? null) : null,
      maxSmall: plan.maxSmall,
      maxLength: plan.maxLength,
      draft: plan.draft,
    },
    sourceTruncation: { maxSourceLength: plan.maxSourceLength, truncated: 0 },
    seed: plan.dataset.seed ?? null,
    startedAt,
    deviations: deviations.all,
    variantDeviations: deviations.byVariant,
  };
}
