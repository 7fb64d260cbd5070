/** Jest runs the TypeScript sources as native ESM, transformed by swc (no type-checking: `npm run typecheck` does that). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^@shared/(.*)$': '<rootDir>/shared/$1' },
  testMatch: ['<rootDir>/**/*.test.ts'],
  // Drills (*.drill.test.ts) take minutes each: npm run test:drills runs them (jest.drills.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/web/', '/scratch/', '/data/', '\\.drill\\.test\\.ts$'],
  globalSetup: '<rootDir>/test/globalSetup.ts',
  setupFiles: ['<rootDir>/test/trustLoopbackTls.ts'],
  testSequencer: '<rootDir>/test/slowFirstSequencer.js',
  testTimeout: 30_000,
  // Two cores: one worker per core keeps timing-sensitive suites (shutdown, bus) honest.
  maxWorkers: 2,
};
