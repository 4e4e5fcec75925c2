// Which execution providers work on this machine and this onnxruntime-node build, and why the
// others do not. Detection is cheap checks first (platform, bundled files), then a tiny session
// on the provider itself (a driver can be missing even when the build has the provider).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../errors';
import { DT, GraphBuilder } from '../onnx/graph-builder';
import { EXECUTION_PROVIDERS } from './execution-provider';
import { Session, type ExecutionProvider } from './session';

export const ALL_EPS: readonly ExecutionProvider[] = EXECUTION_PROVIDERS;

export interface ProviderStatus {
  ep: ExecutionProvider;
  available: boolean;
  /** Why it is unavailable, or what was checked when it is available. */
  reason: string;
}

/** The files onnxruntime-node's installer (script/install.js, manifest linux/x64:cuda12) adds to bin/. */
export const CUDA_LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

export function ortBinFolder(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

let probeModel: string | undefined;
/** A one-node model (y = x + 1), written once per process. */
function probeModelPath(): string {
  if (probeModel && existsSync(probeModel)) return probeModel;
  const g = new GraphBuilder('probe');
  const x = g.input('x', DT.FLOAT, [2]);
  g.output('y', g.op('Add', [x, g.f32([1])]), DT.FLOAT, [2]);
  const dir = mkdtempSync(join(tmpdir(), 'bild-probe-'));
  probeModel = join(dir, 'probe.onnx');
  writeFileSync(probeModel, g.toBytes());
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return probeModel;
}

/** Opens and runs the probe model on `ep`; undefined when it works, else the provider's message. */
function trySession(ep: ExecutionProvider): string | undefined {
  try {
    const s = Session.create(probeModelPath(), { ep, threads: 1 });
    try {
      const y = s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) }, ['y']).y!;
      const data = y.data as Float32Array;
      if (data[0] !== 2 || data[1] !== 3) return `a test session on ${ep} returned wrong values`;
    } finally {
      s.release();
    }
    return undefined;
  } catch (err) {
    // Session.create wraps the provider's message; keep only the provider's part
    return (err as Error).message.replace(/^cannot open .* on execution provider '[a-z]+': /, '').trim();
  }
}

function detect(ep: ExecutionProvider): ProviderStatus {
  const ok = (reason: string): ProviderStatus => ({ ep, available: true, reason });
  const no = (reason: string): ProviderStatus => ({ ep, available: false, reason });
  const platform = `${process.platform}/${process.arch}`;
  switch (ep) {
    case 'cpu':
      return ok('always available (bundled)');
    case 'cuda': {
      if (platform !== 'linux/x64') return no(`onnxruntime-node ships CUDA only for linux/x64 (this is ${platform})`);
      const missing = CUDA_LIBRARIES.filter((f) => !existsSync(join(ortBinFolder(), f)));
      if (missing.length)
        return no(`onnxruntime-node's CUDA provider libraries are not installed (${missing.join(', ')} missing in ${ortBinFolder()}); run npm run setup:cuda`);
      const err = trySession('cuda');
      return err ? no(`CUDA provider libraries are present but a test session failed (CUDA 12 runtime, cuDNN 9 or a GPU missing?): ${err}`) : ok('test session ran');
    }
    case 'webgpu': {
      const err = trySession('webgpu');
      return err ? no(`a test session failed (no WebGPU adapter: on Linux a Vulkan driver is needed, e.g. Mesa >= 25 lavapipe, or an NVIDIA driver with libvulkan1 and libglvnd0 installed; in a container point VK_DRIVER_FILES at the driver's nvidia_icd.json): ${err}`) : ok('test session ran');
    }
    case 'dml':
    case 'coreml': {
      const [os, name] = ep === 'dml' ? ['win32', 'DirectML (Windows only)'] : ['darwin', 'CoreML (macOS only)'];
      if (process.platform !== os) return no(`${name} is not in this platform's onnxruntime-node build (this is ${platform})`);
      const err = trySession(ep);
      return err ? no(`a ${name} test session failed: ${err}`) : ok('test session ran');
    }
  }
}

const cache = new Map<ExecutionProvider, ProviderStatus>();

/** One provider's status, detected once per process. */
export function providerStatus(ep: ExecutionProvider): ProviderStatus {
  let s = cache.get(ep);
  if (!s) cache.set(ep, (s = detect(ep)));
  return s;
}

export function detectProviders(): ProviderStatus[] {
  return ALL_EPS.map(providerStatus);
}

export interface ResolvedProvider {
  /** The provider that will run. */
  ep: ExecutionProvider;
  requested: ExecutionProvider;
  /** Set when `requested` was unavailable and the run fell back to CPU. */
  fallbackReason?: string;
}

/**
 * The provider a run uses: `requested` when available; CPU when it is not and the user allowed
 * a fallback; otherwise a UserError naming the provider and the reason.
 */
export function resolveProvider(requested: ExecutionProvider, allowCpuFallback = false): ResolvedProvider {
  if (!ALL_EPS.includes(requested)) throw new UserError(`execution provider '${String(requested)}' is not one of ${ALL_EPS.join(', ')}`);
  const s = providerStatus(requested);
  if (s.available) return { ep: requested, requested };
  if (allowCpuFallback) return { ep: 'cpu', requested, fallbackReason: `${requested} unavailable: ${s.reason}` };
  throw new UserError(`execution provider '${requested}' is not available: ${s.reason} (allow a CPU fallback with --allow_cpu_fallback)`);
}

const f16Cache = new Map<ExecutionProvider, string | undefined>();

/**
 * Whether `ep` runs float16 arithmetic (WebGPU needs the adapter's shader-f16 feature): undefined
 * when a float16 test session runs and returns the right values, else the reason it does not.
 */
export function fp16Unsupported(ep: ExecutionProvider): string | undefined {
  if (f16Cache.has(ep)) return f16Cache.get(ep);
  let reason: string | undefined;
  const status = providerStatus(ep);
  if (!status.available) reason = `${ep} is unavailable: ${status.reason}`;
  else {
    const g = new GraphBuilder('probe_f16');
    const x = g.input('x', DT.FLOAT16, [2]);
    g.output('y', g.op('Mul', [x, g.float(DT.FLOAT16, [3])]), DT.FLOAT16, [2]);
    const file = join(dirname(probeModelPath()), 'probe-f16.onnx');
    writeFileSync(file, g.toBytes());
    try {
      const s = Session.create(file, { ep, threads: 1 });
      try {
        // 1.5 and -2 in IEEE half: 0x3e00, 0xc000; times 3: 4.5 (0x4480), -6 (0xc600)
        const y = s.run({ x: new ort.Tensor('float16', new Uint16Array([0x3e00, 0xc000]), [2]) }, ['y']).y!;
        const bits = y.data as Uint16Array;
        if (bits[0] !== 0x4480 || bits[1] !== 0xc600) reason = `a float16 test session on ${ep} returned wrong values`;
      } finally {
        s.release();
      }
    } catch (err) {
      reason = `float16 kernels are not available on ${ep} (on WebGPU the adapter needs shader-f16): ${(err as Error).message}`;
    }
  }
  f16Cache.set(ep, reason);
  return reason;
}
