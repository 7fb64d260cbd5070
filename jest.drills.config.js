import base from './jest.config.js';

/** The long drills only (npm run test:drills): minutes each, run by hand or on a schedule rather than in every CI run. */
export default {
  ...base,
  testMatch: ['<rootDir>/**/*.drill.test.ts'],
  testPathIgnorePatterns: base.testPathIgnorePatterns.filter((pattern) => !pattern.includes('drill')),
  testTimeout: 600_000,
};
