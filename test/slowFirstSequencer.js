/**
 * Starts the longest test files first, so that neither of CI's two workers is left running a long file
 * alone at the end. Jest orders by last run's durations when its cache has them (a developer's machine);
 * a fresh clone has no cache and jest falls back to file size, which puts long but short-sourced files
 * (browser tests, failover drills) last. The patterns below name the files known to take longest
 * (measured in CI runs), longest kind first; everything else keeps jest's own order after them.
 */
import Sequencer from '@jest/test-sequencer';

const SLOW_FIRST = [
  /\/ops\/chaos\/.*\.test\.ts$/,
  /\/e2e\/.*\.test\.ts$/,
  /\/rest-api\/modules\/dr\/.*\.test\.ts$/,
  /\/(viewShare|attachments|members|auth|invitations|durability|regions|mcp)\.test\.ts$/,
];

export default class SlowFirstSequencer extends Sequencer {
  /** @param {import('@jest/test-result').Test[]} tests */
  sort(tests) {
    const ordered = super.sort(tests);
    /** @param {import('@jest/test-result').Test} test */
    const rank = (test) => {
      const index = SLOW_FIRST.findIndex((pattern) => pattern.test(test.path));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    // Array.prototype.sort is stable: within a rank, jest's own order stays.
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}
