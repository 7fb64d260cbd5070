import OpenAI from 'openai';
import type { Config } from '../config.ts';

/**
 * The OpenAI client both voice and images use, or undefined when OPENAI_API_KEY is unset. The SDK's
 * own retries are off: a failing cloud engine hands over to the local one (see `withFallback`) rather
 * than making the user wait through backoffs, and its timeout is the cloud deadline.
 */
export function createOpenAI(config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'CLOUD_ENGINE_TIMEOUT_MS'>): OpenAI | undefined {
  if (!config.OPENAI_API_KEY) return undefined;
  return new OpenAI({
    apiKey: config.OPENAI_API_KEY,
    baseURL: config.OPENAI_BASE_URL,
    timeout: config.CLOUD_ENGINE_TIMEOUT_MS,
    maxRetries: 0,
  });
}
