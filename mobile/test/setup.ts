// The app's screens never import these native modules in tests (App takes its services as a prop), but
// defaultServices.ts does; their own jest mocks keep such an import from failing in Node.
jest.mock('@react-native-async-storage/async-storage', () => require('@react-native-async-storage/async-storage/jest/async-storage-mock'));
jest.mock('@react-native-community/netinfo', () => require('@react-native-community/netinfo/jest/netinfo-mock.js'));

// The screens under test re-render when the real servers push something (a message, a draft edit, a
// presence change): such updates arrive on a WebSocket, outside any act() the test could wrap them in,
// and the assertions wait for their result with findBy/waitFor. React's warning about exactly that is
// dropped; every other console.error still shows.
const consoleError = console.error;
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('not wrapped in act(')) return;
  consoleError(...args);
};
