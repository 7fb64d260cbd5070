/* eslint-disable @typescript-eslint/no-require-imports -- jest loads test environments as CommonJS */
const ReactNativeEnvironment = require('@react-native/jest-preset/jest/react-native-env.js');

/**
 * React Native's test environment, plus Node's own fetch as `nodeFetch`. Inside the tests expo's
 * runtime replaces `fetch` with expo/fetch, whose native module exists only on a phone; the app's
 * API client takes its fetch as an option, and the tests give it this real one.
 */
module.exports = class ProductTestEnvironment extends ReactNativeEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.nodeFetch = fetch;
  }
};
