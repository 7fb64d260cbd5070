import { api, ApiError, type CodeExecution, type CodeLanguage } from './api.ts';

export interface RunCodeProps {
  language: CodeLanguage;
  code: string;
  /** The run is posted there as a `tool` message, which everyone in the room receives through the document. */
  conversationId: string;
  /** The message whose code block ran: the room shows the output under that block. */
  messageId?: string;
}

/** Runs code in the server's sandbox (at its default time limit) and answers the run. */
export async function runCode(props: RunCodeProps): Promise<CodeExecution> {
  const { data } = await api('POST', '/api/code/execute', { body: props });
  return data;
}

/** Why a run was refused, in words for the person who pressed Run. */
export function runRefusalText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'The code could not be run.';
  const wait = error.retryAfterSeconds === undefined ? undefined : `in ${error.retryAfterSeconds} s`;
  if (error.code === 'rate_limited') return `You have run code too often. Try again ${wait ?? 'in a minute'}.`;
  if (error.code === 'busy') return `Every code runner is busy. Try again ${wait ?? 'in a moment'}.`;
  if (error.status === 403) return 'You cannot run code in this conversation.';
  if (error.status === 404) return 'This message is no longer in the conversation.';
  return error.message;
}
