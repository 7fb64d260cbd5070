import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../logger.ts';
import { parseConfig } from '../config.ts';
import { withFallback, type Engine } from './withFallback.ts';

const log = createLogger(parseConfig({ LOG_LEVEL: 'silent' }));
const answers = (name: string, value: string): Engine<string> => ({ name, run: async () => value });

describe('withFallback', () => {
  it('takes the first engine that answers and names it', async () => {
    const result = await withFallback([answers('cloud', 'from cloud'), answers('local', 'from local')], { timeoutMs: 1_000, log });
    expect(result).toEqual({ value: 'from cloud', engine: 'cloud', fallbacks: [] });
  });

  it('falls back past a failing engine and says why', async () => {
    const failing: Engine<string> = { name: 'cloud', run: async () => Promise.reject(new Error('500 Internal Server Error')) };
    const result = await withFallback([failing, answers('local', 'from local')], { timeoutMs: 1_000, log });
    expect(result).toEqual({ value: 'from local', engine: 'local', fallbacks: [{ engine: 'cloud', reason: '500 Internal Server Error' }] });
  });

  it('abandons an engine that never answers at the deadline and aborts its signal', async () => {
    let aborted = false;
    const hanging: Engine<string> = {
      name: 'cloud',
      run: (signal) =>
        new Promise<string>(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    const result = await withFallback([hanging, answers('local', 'from local')], { timeoutMs: 50, log });
    expect(result.engine).toBe('local');
    expect(result.fallbacks).toEqual([{ engine: 'cloud', reason: 'no answer within 50 ms' }]);
    expect(aborted).toBe(true);
  });

  it('throws the local engine’s own error when it is the last one left', async () => {
    const broken: Engine<string> = { name: 'local', run: async () => Promise.reject(new Error('flite is not installed')) };
    await expect(withFallback([broken], { timeoutMs: 50, log })).rejects.toThrow('flite is not installed');
  });
});
