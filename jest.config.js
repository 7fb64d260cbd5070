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
  // Hooks share it: an in-memory PGlite app (initdb in WebAssembly, every migration, the job queue's schema)
  // has taken over 30 s to start on a 2-core CI machine running the other worker's failover drill.
  testTimeout: 60_000,
  // Two cores: one worker per core keeps timing-sensitive suites (shutdown, bus) honest.
  maxWorkers: 2,
  // A worker that has run many files holds gigabytes (seen: 2.6 GB), and in-memory PGlite apps then start
  // slowly; past this, jest replaces the worker between files.
  workerIdleMemoryLimit: '1500MB',
};
