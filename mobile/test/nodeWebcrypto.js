/* eslint-disable @typescript-eslint/no-require-imports -- it stands in for a CommonJS module */
// lib0's React Native webcrypto import, in Node: Node's own Web Crypto (the app maps it to expo-crypto).
const { webcrypto } = require('node:crypto');

module.exports = {
  ensureSecure: () => undefined,
  subtle: webcrypto.subtle,
  getRandomValues: (array) => webcrypto.getRandomValues(array),
};
