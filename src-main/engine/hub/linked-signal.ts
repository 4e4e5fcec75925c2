/** A short-lived AbortSignal that follows longer-lived ones, for one request. */

export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Unhooks from the sources: a request that ended must not keep a listener on them. */
  release(): void;
}

/**
 * A signal that aborts (with the source's reason) when any of `sources` does, until released.
 * Each request gets its own: undici keeps an abort listener on the signal a fetch was given until
 * that signal is garbage-collected, so fetches retried on one long-lived signal would pile up
 * listeners on it. Built by hand rather than with AbortSignal.any: on Node 20 a composite signal
 * can be collected while a request still depends on it, and a cancel then never reaches it.
 */
export function linkSignal(...sources: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const ctl = new AbortController();
  const hooks: [AbortSignal, () => void][] = [];
  for (const s of sources) {
    if (!s) continue;
    if (s.aborted) {
      ctl.abort(s.reason);
      break;
    }
    const onAbort = (): void => ctl.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    hooks.push([s, onAbort]);
  }
  return {
    signal: ctl.signal,
    release: () => {
      for (const [s, onAbort] of hooks.splice(0)) s.removeEventListener('abort', onAbort);
    },
  };
}
