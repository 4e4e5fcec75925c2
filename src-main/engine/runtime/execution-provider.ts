/** Execution providers the engine knows; which ones work depends on the platform and build (providers.ts). */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu', 'dml', 'coreml'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
