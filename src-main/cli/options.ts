import { UserError } from '../engine/errors';
import type { ExecutionProvider } from '../engine/runtime/session';

const EPS: ExecutionProvider[] = ['cpu', 'cuda', 'webgpu', 'dml', 'coreml'];

export function parseEp(value: string | undefined): ExecutionProvider {
  if (value === undefined) return 'cpu';
  if (!(EPS as string[]).includes(value)) throw new UserError(`--ep: '${value}' is not one of ${EPS.join(', ')}`);
  return value as ExecutionProvider;
}
