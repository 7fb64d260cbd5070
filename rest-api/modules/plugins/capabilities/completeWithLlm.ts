import type { Config } from '@shared/config.ts';
import { createOpenAI, type LazyOpenAI } from '@shared/cloud/openai.ts';
import { CapabilityError, objectArgument, stringArgument } from './CapabilityError.ts';

/** Longest prompt (and system prompt), in characters. */
export const LLM_PROMPT_MAX_CHARS = 100_000;
/** Most tokens a completion may ask for. */
export const LLM_MAX_TOKENS = 4_096;

type LlmConfig = Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'CLOUD_ENGINE_TIMEOUT_MS' | 'PLUGIN_LLM_MODEL'>;

/** One client per configuration, made on first use (the SDK takes ~0.3 s to load). */
const clients = new WeakMap<object, LazyOpenAI | undefined>();

function clientFor(config: LlmConfig): LazyOpenAI | undefined {
  if (!clients.has(config)) clients.set(config, createOpenAI(config));
  return clients.get(config);
}

/**
 * `llm.complete({ prompt, system?, maxTokens? })` → `{ text, model }`, through the deployment's
 * OpenAI-compatible chat completions (OPENAI_API_KEY, OPENAI_BASE_URL); 'llm_unavailable' without a key.
 */
export async function completeWithLlm(config: LlmConfig, args: unknown[]): Promise<{ text: string; model: string }> {
  const request = objectArgument(args, 0, 'request');
  const prompt = stringArgument(request.prompt, 'prompt', LLM_PROMPT_MAX_CHARS)!;
  const system = stringArgument(request.system, 'system', LLM_PROMPT_MAX_CHARS, { optional: true });
  const maxTokens = request.maxTokens ?? 1_024;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > LLM_MAX_TOKENS) {
    throw new CapabilityError('invalid_argument', `maxTokens must be an integer from 1 to ${LLM_MAX_TOKENS}`);
  }
  const lazyClient = clientFor(config);
  if (!lazyClient) throw new CapabilityError('llm_unavailable', 'No language model is configured on this deployment');
  const messages = [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: prompt }];
  try {
    const client = await lazyClient();
    const completion = await client.chat.completions.create({ model: config.PLUGIN_LLM_MODEL, messages, max_tokens: maxTokens });
    return { text: completion.choices[0]?.message.content ?? '', model: completion.model };
  } catch {
    // The provider's message may carry account details; the plugin learns only that it failed.
    throw new CapabilityError('llm_failed', 'The language model did not answer');
  }
}
