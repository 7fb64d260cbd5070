import fs from 'node:fs';
import path from 'node:path';
import { render, screen } from '@testing-library/react-native';
import App from './App';
import type { Workspace } from './src/api/types';
import { startProduct, type Product } from './test/product';
import { registerPerson, testServices } from './test/testServices';

/**
 * A measurement, not a timed test: app start → first conversation on screen, on the test runner
 * (React Native's test renderer in Node, against the real servers on loopback; no device, no Hermes,
 * no native views). The numbers go to test-results/startup.json and the log; nothing fails on them.
 */
const RUNS = 7;
const RESULTS = path.join(__dirname, 'test-results', 'startup.json');

let product: Product;
beforeAll(async () => {
  product = await startProduct();
});
afterAll(async () => {
  await product?.stop();
});

it('measures app start to the first conversation on screen, with the session already stored', async () => {
  const person = await registerPerson(product, 'Mia');
  const workspace = (await person.api.call<{ data: Workspace }>('POST', '/api/workspace', { body: { name: 'Mia’s team' } })).data;
  for (const title of ['Groceries', 'Holiday', 'Taxes']) await person.api.createConversation(title);
  await person.api.call('POST', '/api/conversations', { body: { title: 'Team sync', workspaceId: workspace.id } });

  const timings: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const services = testServices(product, { session: person.session });
    const started = performance.now();
    const { unmount } = await render(<App services={services} />);
    // Four rows; the first one of any of them is what the person sees first.
    await screen.findAllByTestId(/^conversation-row-/, {}, { timeout: 15_000, interval: 2 });
    timings.push(performance.now() - started);
    expect(screen.getByText('Team sync')).toBeTruthy();
    await unmount();
  }

  const warm = timings.slice(1).sort((a, b) => a - b);
  const result = {
    what: 'App start → first conversation row rendered',
    setup: 'session stored; 4 conversations, 1 workspace; jest-expo test renderer; servers on loopback',
    firstRunMs: Math.round(timings[0] ?? NaN),
    warmMedianMs: Math.round(warm[Math.floor(warm.length / 2)] ?? NaN),
    warmMinMs: Math.round(warm[0] ?? NaN),
    warmMaxMs: Math.round(warm[warm.length - 1] ?? NaN),
    runsMs: timings.map(Math.round),
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`startup: ${JSON.stringify(result)}`);
  expect(timings).toHaveLength(RUNS);
});
