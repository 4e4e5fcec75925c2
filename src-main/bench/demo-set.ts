import { loadDataset, type Example } from '../engine/data';

/** The first `n` demo test sentences (toy-de-en), read through the engine's dataset loader. */
export async function demoTestSet(n: number): Promise<Example[]> {
  return (await loadDataset({ source: 'demo', dataset: 'toy-de-en', split: 'test', limit: n })).examples;
}
