/** The runner's dependencies: the given ones (tests replace the Hub, data and model loaders), the real ones for the rest. */
import { defaultDeps, type RunnerDeps } from '../runner/deps';

export async function runnerDeps(given: Partial<RunnerDeps> = {}): Promise<RunnerDeps> {
  if (given.resolveModel && given.loadDataset && given.loadModel) return given as RunnerDeps;
  return { ...(await defaultDeps()), ...given };
}
