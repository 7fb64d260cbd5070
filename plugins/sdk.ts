/**
 * What a plugin's tools receive from the host (host API 1.x). A plugin is one bundled ES module whose
 * default export is `{ tools: { [name]: (input, ctx) => output } }`; it runs in an isolate and this
 * object is its only window on the world. `ctx` holds only the capabilities its permissions grant, each
 * method async, taking and returning plain JSON. Types only: a plugin imports nothing at run time.
 */
export interface ConversationMessage {
  id: string;
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string;
  createdAt?: string;
}

export interface PluginContext {
  invocation: { tool: string; conversationId: string | null };
  /** `conversations:read` / `conversations:write`: the conversation the tool was invoked in, and no other. */
  conversation?: {
    read(): Promise<{ id: string; title: string; messages: ConversationMessage[] } | ConversationMessage[]>;
    post(text: string): Promise<unknown>;
  };
  /** `storage`: this plugin's own key-value space, for the calling user. */
  storage?: { get(key: string): Promise<unknown>; set(key: string, value: unknown): Promise<void>; delete(key: string): Promise<void> };
  /** `llm`: the deployment's OpenAI-compatible model. */
  llm?: { complete(request: { prompt: string; system?: string; maxTokens?: number }): Promise<{ text: string } | string> };
  /** `http:<host>`: the host fetches, for the granted hosts only, with a timeout and a size cap. */
  http?: {
    fetch(
      url: string,
      init?: { method?: string; headers?: Record<string, string>; body?: string },
    ): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  };
  /** `code:execute`: the product's sandbox. */
  code?: { execute(request: { language: string; code: string; stdin?: string }): Promise<unknown> };
}

export type Tool<Input, Output> = (input: Input, ctx: PluginContext) => Output | Promise<Output>;

/** The messages of what `conversation.read()` answered, whichever shape the host gave. */
export function messagesOf(read: Awaited<ReturnType<NonNullable<PluginContext['conversation']>['read']>>): ConversationMessage[] {
  return Array.isArray(read) ? read : read.messages;
}
