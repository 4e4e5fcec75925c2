// The renderer's only way to the engine: Electron IPC (window.bild, from the preload) when present,
// otherwise HTTP POST /api/<method> and Server-Sent Events on the page's own origin.
import type { BildBridge, HostEvent, HostEventListener, MethodArgs, MethodResult, RequestMethod, RpcReply } from '../../src-main/host/protocol';

/** An engine error as the UI shows it; `userError` means the input was wrong (not a bug). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly userError: boolean,
  ) {
    super(message);
  }
}

interface Transport {
  request(method: RequestMethod, args: unknown[]): Promise<RpcReply>;
  onEvent(listener: HostEventListener): () => void;
  /** Called each time the event stream (re)opens: events before that moment may be lost. */
  onConnected?(listener: () => void): void;
}

function httpTransport(): Transport {
  const listeners = new Set<HostEventListener>();
  const connected = new Set<() => void>();
  let source: EventSource | null = null;
  const connect = (): void => {
    source = new EventSource('api/events');
    source.onmessage = (m: MessageEvent<string>) => {
      const event = JSON.parse(m.data) as HostEvent;
      for (const l of listeners) l(event);
    };
    // EventSource reconnects by itself after a drop; each open starts a stream that missed what came before
    source.onopen = () => {
      for (const l of connected) l();
    };
  };
  return {
    async request(method, args) {
      let res: Response;
      try {
        res = await fetch(`api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args) });
      } catch (err) {
        return { error: { message: `the BiLD Bench server is not reachable (${(err as Error).message})`, userError: false } };
      }
      const body = (await res.json().catch(() => null)) as RpcReply | null;
      return body ?? { error: { message: `HTTP ${res.status} from the server`, userError: false } };
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!source) connect();
      return () => listeners.delete(listener);
    },
    onConnected(listener) {
      connected.add(listener);
      if (!source) connect();
    },
  };
}

const bridge = (window as Window & { bild?: BildBridge }).bild;
const transport: Transport = bridge ?? httpTransport();
export const transportName = bridge ? 'Electron IPC' : 'HTTP';

/** The desktop app's native file dialog (the picked file's folder becomes readable); none in a browser, whose files are not the server's. */
export const pickFile: (() => Promise<string | null>) | null = bridge ? () => bridge.pickFile() : null;

/** The desktop app's native folder dialog for a Slurm job folder (the picked folder becomes readable); none in a browser. */
export const pickJobFolder: (() => Promise<string | null>) | null = bridge ? () => bridge.pickJobFolder() : null;

/** A typed engine call; rejects with ApiError. */
export async function call<M extends RequestMethod>(method: M, ...args: MethodArgs<M>): Promise<MethodResult<M>> {
  const reply = await transport.request(method, args);
  if ('error' in reply) throw new ApiError(reply.error.message, reply.error.userError);
  return reply.result as MethodResult<M>;
}

export function onEvent(listener: HostEventListener): () => void {
  return transport.onEvent(listener);
}

/**
 * Calls `listener` once events flow, and again whenever the event stream had to reconnect (HTTP);
 * catching up on what happened before must start from there. Electron IPC drops nothing: once.
 */
export function onConnected(listener: () => void): void {
  if (transport.onConnected) transport.onConnected(listener);
  else queueMicrotask(listener);
}
