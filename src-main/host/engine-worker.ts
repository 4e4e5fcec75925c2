// Entry of the engine worker thread: owns a HostEngine, answers RPC requests arriving on the
// MessagePort it was given and forwards every engine and download event. Runs from source
// (tsx) and bundled (out/main/engine-worker.js).
import { workerData, type MessagePort } from 'node:worker_threads';
import { HostEngine } from './host-engine';
import type { ClientMessage, WorkerMessage } from './protocol';
import { dispatchRemote } from './remote-gate';
import { dispatch } from './rpc';

const data = workerData as { port?: MessagePort; allowedFolders?: string[]; orphanedRuns?: string[] } | null;
const port = data?.port;
const extraFolders = data?.allowedFolders ?? [];
if (!port) throw new Error('engine-worker must run as a worker thread started by WorkerEngineClient');

const engine = new HostEngine({ orphanedRuns: data?.orphanedRuns ?? [] });
const post = (m: WorkerMessage): void => port.postMessage(m);

function handle(msg: ClientMessage): void {
  if (msg.kind === 'close') {
    void engine.close().finally(() => post({ kind: 'reply', id: -1, reply: { result: null } }));
    return;
  }
  const { id, method, args, remote } = msg.request;
  void (remote ? dispatchRemote(engine, method, args, extraFolders) : dispatch(engine, method, args)).then((reply) => post({ kind: 'reply', id, reply }));
}

// Decoding yields to the event loop at least every 20 ms (runtime/session.ts yieldIfDue), so
// requests such as a cancel are handled here while a run is in progress.
engine.subscribeAll((event) => post({ kind: 'event', event }));

port.on('message', handle);
