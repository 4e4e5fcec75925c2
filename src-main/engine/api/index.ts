// The engine's typed contract (plain JSON requests, results and events) and its in-process implementation.
export type * from './types';
export { RESULT_SCHEMA_VERSION } from './types';
export type { EngineApi } from './engine-api';
export { createInProcessEngine, InProcessEngine, RESULT_FILES, type InProcessEngineOptions } from './in-process';
