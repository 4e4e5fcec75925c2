// Both ends of the RPC: dispatching a whitelisted call to a HostApi, and turning errors into
// plain JSON and back so that a UserError stays a UserError across every boundary.
import { UserError } from '../engine/errors';
import { isRequestMethod, type HostApi, type RpcError, type RpcReply } from './protocol';

export function toRpcError(err: unknown): RpcError {
  if (err instanceof Error) return { message: err.message, userError: err instanceof UserError || err.name === 'UserError' };
  return { message: String(err), userError: false };
}

export function fromRpcError(e: RpcError): Error {
  return e.userError ? new UserError(e.message) : new Error(e.message);
}

export function unwrapReply(reply: RpcReply): unknown {
  if ('error' in reply) throw fromRpcError(reply.error);
  return reply.result;
}

/** Calls `method` on `api` if it is on the whitelist; never throws. */
export async function dispatch(api: HostApi, method: unknown, args: unknown): Promise<RpcReply> {
  if (!isRequestMethod(method)) return { error: { message: `unknown method '${String(method)}'`, userError: true } };
  if (!Array.isArray(args)) return { error: { message: `${method}: arguments must be a JSON array`, userError: true } };
  try {
    // The method name was checked above; arguments are plain JSON checked by the engine itself.
    const fn = api[method] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(api, args);
    return { result: result ?? null };
  } catch (err) {
    return { error: toRpcError(err) };
  }
}
