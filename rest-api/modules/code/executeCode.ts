import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import type { Config } from '@shared/config.ts';
import type { DocumentExecution } from '@shared/documents/conversationDocument.ts';
import { NotFoundError, TooLargeError, ValidationError } from '@shared/errors.ts';
import type { CodeSandbox } from '@shared/sandbox/CodeSandbox.ts';
import { limitsFromConfig } from '@shared/sandbox/limits.ts';
import type { Language, RunResult } from '@shared/sandbox/types.ts';
import { findMessage, insertMessage } from '../conversations/conversations.repo.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { busMessage } from '../conversations/messageEvent.ts';
import { insertExecution, setExecutionMessage, type ExecutionRow } from './code.repo.ts';
import { describeRun } from './describeRun.ts';
import type { RunQueue } from './RunQueue.ts';
import type { CodeMetrics } from './codeMetrics.ts';

interface Deps {
  db: Knex;
  bus: Bus;
  config: Config;
  sandbox: CodeSandbox;
  queue: RunQueue;
  metrics: CodeMetrics;
}

interface Props {
  actor: Actor;
  language: Language;
  code: string;
  stdin?: string;
  timeoutMs?: number;
  /** Post the run to this conversation as a `tool` message. */
  conversationId?: string;
  /** The message whose code block ran (in that conversation). */
  messageId?: string;
}

/**
 * Runs code in the sandbox and records the run; with a conversation, posts it there as a `tool` message
 * that every open document receives. Everything that can refuse the run — sizes, the conversation, the
 * source message — is checked before it starts, and the conversation is checked again in the
 * transaction that posts, so access lost during a 30-second run posts nothing.
 */
export async function executeCode(deps: Deps, props: Props): Promise<ExecutionRow> {
  const { db, bus, config, sandbox, queue, metrics } = deps;
  checkSizes(config, props);
  const timeoutMs = props.timeoutMs ?? config.CODE_EXEC_TIMEOUT_MS;
  if (timeoutMs > config.CODE_EXEC_MAX_TIMEOUT_MS) {
    throw new ValidationError(`timeoutMs: must be at most ${config.CODE_EXEC_MAX_TIMEOUT_MS}`);
  }
  if (props.messageId && !props.conversationId) throw new ValidationError('messageId: needs conversationId');
  if (props.conversationId) await findTarget(db, props.actor, props.conversationId, props.messageId);

  const result = await queue.run(() =>
    sandbox.run({ language: props.language, code: props.code, stdin: props.stdin ?? '', limits: limitsFromConfig(config, timeoutMs) }),
  );

  metrics.record(props.language, sandbox.backendName(props.language), result);

  const keep = config.CODE_EXEC_RETENTION_DAYS > 0;
  const record = (trx: Knex) =>
    insertExecution(trx, {
      user_id: props.actor.id,
      conversation_id: props.conversationId ?? null,
      language: props.language,
      backend: sandbox.backendName(props.language),
      code_sha256: crypto.createHash('sha256').update(props.code).digest('hex'),
      code: keep ? props.code : null,
      stdout: keep ? result.stdout : null,
      stderr: keep ? result.stderr : null,
      exit_code: result.exitCode,
      signal: result.signal,
      duration_ms: Math.round(result.durationMs),
      limit: result.limit,
      truncated_stdout: result.truncated.stdout,
      truncated_stderr: result.truncated.stderr,
      purged_at: keep ? null : new Date(),
    });
  // The live answer always carries the output, kept or not.
  const answer = (row: ExecutionRow) => ({ ...row, stdout: result.stdout, stderr: result.stderr });
  // A run for nobody else is one statement (no BEGIN and COMMIT round trips on the path of every run).
  if (!props.conversationId) return answer(await record(db));

  const { execution, message } = await db.transaction(async (trx) => {
    const row = await record(trx);
    const posted = await postRun(trx, props, row, result);
    return { execution: { ...row, message_id: posted.id }, message: posted };
  });
  // Only what committed reaches open documents.
  await bus.publish('message.created', { conversationId: message.conversation_id, message: busMessage(message) });
  return answer(execution);
}

function checkSizes(config: Config, props: Props): void {
  if (Buffer.byteLength(props.code) > config.CODE_EXEC_CODE_BYTES) {
    throw new TooLargeError(`The code is over ${config.CODE_EXEC_CODE_BYTES} bytes`, 'code_too_large');
  }
  if (props.stdin !== undefined && Buffer.byteLength(props.stdin) > config.CODE_EXEC_STDIN_BYTES) {
    throw new TooLargeError(`stdin is over ${config.CODE_EXEC_STDIN_BYTES} bytes`, 'stdin_too_large');
  }
}

/** The conversation (write access) and, if named, its message: one 404 for either being missing or not the actor's. */
async function findTarget(db: Knex, actor: Actor, conversationId: string, messageId?: string): Promise<void> {
  await findConversationForActor(db, actor, conversationId, 'postMessage');
  if (messageId && !(await findMessage(db, conversationId, messageId))) throw new NotFoundError('Message not found');
}

async function postRun(trx: Knex.Transaction, props: Props, row: ExecutionRow, result: RunResult) {
  await findConversationForActor(trx, props.actor, props.conversationId!, 'postMessage');
  const execution: DocumentExecution = {
    id: row.id,
    language: props.language,
    code: props.code,
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: row.duration_ms,
    limit: result.limit,
    truncated: result.truncated,
    // A source message deleted during the run is no longer there to show the output under.
    sourceMessageId: props.messageId && (await findMessage(trx, props.conversationId!, props.messageId)) ? props.messageId : null,
  };
  const message = await insertMessage(trx, {
    conversation_id: props.conversationId!,
    author_id: props.actor.id,
    service_account_id: null,
    role: 'tool',
    content: describeRun(execution),
    execution,
  });
  await setExecutionMessage(trx, row.id, message.id);
  await writeAudit(trx, {
    ...auditActor(props.actor),
    action: 'message.created',
    subjectType: 'conversation',
    subjectId: props.conversationId!,
    data: { messageId: message.id, role: 'tool', executionId: row.id },
  });
  return { ...message, attachments: [] };
}
