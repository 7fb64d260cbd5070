// The app's screens never import these native modules in tests (App takes its services as a prop), but
// defaultServices.ts does; their own jest mocks keep such an import from failing in Node.
jest.mock('@react-native-async-storage/async-storage', () => require('@react-native-async-storage/async-storage/jest/async-storage-mock'));
jest.mock('@react-native-community/netinfo', () => require('@react-native-community/netinfo/jest/netinfo-mock.js'));
