import type { Scenario } from '../scenario.ts';
import { collabNodeKill } from './collabNodeKill.ts';
import { diskFull } from './diskFull.ts';
import { primaryFreeze } from './primaryFreeze.ts';
import { primaryKill } from './primaryKill.ts';
import { redisKill } from './redisKill.ts';

/** Every scenario `npm run chaos` knows, in the order it runs them (and the README lists them). */
export const scenarios: Scenario[] = [primaryKill, primaryFreeze, collabNodeKill, redisKill, diskFull];
