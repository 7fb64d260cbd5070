import type { Scenario } from '../scenario.ts';
import { primaryKill } from './primaryKill.ts';

/** Every scenario `npm run chaos` knows, in the order it runs them (and the README lists them). */
export const scenarios: Scenario[] = [primaryKill];
