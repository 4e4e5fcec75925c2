/** A run's defaults, in a module that imports nothing, so the renderer's form can show them too. */
export const BILD_DEFAULTS = { fallback: 0.6, rollback: 5.0, maxSmall: 10, maxLength: 128 } as const;
export const SPECULATIVE_DEFAULT_DRAFT = 4;
export const DEFAULT_WARMUP = 1;
export const DEFAULT_REPEATS = 1;
