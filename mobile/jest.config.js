/**
 * jest-expo runs the app's components in Node with React Native's test renderer. The tests talk to the
 * real REST API and collab server, started per test file by test/product.ts; only what exists solely
 * on a phone (secure storage, AsyncStorage, NetInfo, push) is replaced, behind the app's own interfaces.
 * Test files are `*.spec.ts(x)` so that the repository root's jest (which runs `*.test.ts`) leaves them alone.
 */
module.exports = {
  preset: 'jest-expo/ios',
  testMatch: ['<rootDir>/**/*.spec.ts?(x)'],
  testPathIgnorePatterns: ['/node_modules/'],
  testEnvironment: '<rootDir>/test/environment.js',
  setupFiles: ['<rootDir>/test/setup.ts'],
  // lib0 (Yjs) asks for isomorphic-webcrypto on React Native; the app maps it to expo-crypto (metro.config.js), tests to Node's.
  moduleNameMapper: {
    '^isomorphic-webcrypto/src/react-native$': '<rootDir>/test/nodeWebcrypto.js',
    // react-native 0.88.1 exports this subpath; the 0.88 release candidate of its jest preset does not map it yet.
    '^react-native/unstable-internals-do-not-use$': '<rootDir>/node_modules/react-native/src/unstable-internals-do-not-use.js',
  },
  // Each file starts its own product (a fresh database, migrations): give that room on a slow machine.
  testTimeout: 60_000,
  maxWorkers: 2,
};
