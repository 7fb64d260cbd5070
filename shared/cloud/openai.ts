import type OpenAI from 'openai';
import type { Config } from '../config.ts';

/** The OpenAI client, once its SDK has loaded (~0.3 s, which deployments without OpenAI need not pay). */
export type LazyOpenAI = () => Promise<OpenAI>;

/**
 * The OpenAI client both voice and images use, or undefined when OPENAI_API_KEY is unset. The SDK's
 * own retries are off: a failing cloud engine hands over to the local one (see `withFallback`) rather
 * than making the user wait through backoffs, and its timeout is the cloud deadline.
 */
export function createOpenAI(
  config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'CLOUD_ENGINE_TIMEOUT_MS'>,
): LazyOpenAI | undefined {
  const apiKey = config.OPENAI_API_KEY;
  if (!apiKey) return undefined;
  // Loading starts now, not at the first request, whose cloud deadline would otherwise pay for it.
  const client = import('openai').then(
    ({ default: OpenAIClient }) =>
      new OpenAIClient({ apiKey, baseURL: config.OPENAI_BASE_URL, timeout: config.CLOUD_ENGINE_TIMEOUT_MS, maxRetries: 0 }),
  );
  client.catch(() => {}); // a failure surfaces at the first call instead
  return () => client;
}
