// The engine worker plus the HTTP server: what `bild-bench serve` and the e2e tests start.
import { join } from 'node:path';
import { appRoot } from '../engine/paths';
import { WorkerEngineClient, type WorkerClientOptions } from '../host/worker-client';
import { newToken } from './auth';
import { startServer } from './http-server';

export interface ServeAppOptions extends WorkerClientOptions {
  port?: number;
  /** Default <package>/out/renderer. */
  rendererDir?: string;
  /** What every request must carry; default a new random one. */
  token?: string;
}

export interface ServedApp {
  url: string;
  /** `url?token=...`: what the user opens. */
  loginUrl: string;
  token: string;
  port: number;
  engine: WorkerEngineClient;
  close(): Promise<void>;
}

export function defaultRendererDir(): string {
  return join(appRoot(), 'out', 'renderer');
}

export async function serveApp(opts: ServeAppOptions = {}): Promise<ServedApp> {
  const rendererDir = opts.rendererDir ?? defaultRendererDir();
  const token = opts.token ?? newToken();
  const engine = new WorkerEngineClient(opts);
  let server;
  try {
    server = await startServer({ backend: engine, rendererDir, port: opts.port, token });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const s = server;
  return {
    url: s.url,
    loginUrl: s.loginUrl,
    token,
    port: s.port,
    engine,
    async close() {
      await s.close();
      await engine.close();
    },
  };
}
