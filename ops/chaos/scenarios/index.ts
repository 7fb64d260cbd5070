import type { Scenario } from '../scenario.ts';
import { collabNodeKill } from './collabNodeKill.ts';
import { diskFull } from './diskFull.ts';
import { primaryFreeze } from './primaryFreeze.ts';
import { primaryKill } from './primaryKill.ts';
import { redisKill } from './redisKill.ts';
import { regionKill } from './regionKill.ts';
import { regionPartition } from './regionPartition.ts';
import { regionRejoin } from './regionRejoin.ts';

/** Every scenario `npm run chaos` knows, in the order it runs them (and the README lists them). */
export const scenarios: Scenario[] = [
  primaryKill,
  primaryFreeze,
  regionKill,
  regionPartition,
  regionRejoin,
  collabNodeKill,
  redisKill,
  diskFull,
];
