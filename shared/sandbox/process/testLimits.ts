import { defaultLimits } from '../limits.ts';

/** The deployment's default limits, with a wall time that a slow, loaded 2-core machine still meets for a normal program. */
export const DEFAULT_LIMITS = defaultLimits({ wallTimeMs: 10_000 });
