// The screens under test re-render when the real servers push something (a message, a draft edit, a
// presence change): such updates arrive on a WebSocket, outside any act() the test could wrap them in,
// and the assertions wait for their result with findBy/waitFor. React's warning about exactly that is
// dropped; every other console.error still shows.
const consoleError = console.error;
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('not wrapped in act(')) return;
  consoleError(...args);
};
