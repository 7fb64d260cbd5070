/* eslint-disable @typescript-eslint/no-require-imports -- Metro loads its configuration as CommonJS */
const path = require('node:path');
const { getDefaultConfig } = require('expo/metro-config');

const config = getDefaultConfig(__dirname);

// lib0 (Yjs) imports isomorphic-webcrypto on React Native; src/shims/webcrypto.ts gives it expo-crypto instead.
const WEBCRYPTO_SHIM = path.resolve(__dirname, 'src/shims/webcrypto.ts');
config.resolver.resolveRequest = (context, moduleName, platform) => {
  if (moduleName === 'isomorphic-webcrypto/src/react-native') return { type: 'sourceFile', filePath: WEBCRYPTO_SHIM };
  return context.resolveRequest(context, moduleName, platform);
};

module.exports = config;
