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
  /** Called when the event stream came back after a drop (events in between are lost). */
  onReconnect?(listener: () => void): void;
}

function httpTransport(): Transport {
  const listeners = new Set<HostEventListener>();
  const reconnected = new Set<() => void>();
  let source: EventSource | null = null;
  const connect = (): void => {
    let opened = false;
    source = new EventSource('api/events');
    source.onmessage = (m: MessageEvent<string>) => {
      const event = JSON.parse(m.data) as HostEvent;
      for (const l of listeners) l(event);
    };
    // EventSource reconnects by itself after a drop; every open after the first is a reconnect
    source.onopen = () => {
      if (opened) for (const l of reconnected) l();
      opened = true;
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
    onReconnect(listener) {
      reconnected.add(listener);
    },
  };
}

const transport: Transport = (window as Window & { bild?: BildBridge }).bild ?? httpTransport();
export const transportName = 'bild' in window ? 'Electron IPC' : 'HTTP';

/** A typed engine call; rejects with ApiError. */
export async function call<M extends RequestMethod>(method: M, ...args: MethodArgs<M>): Promise<MethodResult<M>> {
  const reply = await transport.request(method, args);
  if ('error' in reply) throw new ApiError(reply.error.message, reply.error.userError);
  return reply.result as MethodResult<M>;
}

export function onEvent(listener: HostEventListener): () => void {
  return transport.onEvent(listener);
}

/** Electron IPC does not drop events: only the HTTP transport ever calls this. */
export function onReconnect(listener: () => void): void {
  transport.onReconnect?.(listener);
}
