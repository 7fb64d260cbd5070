import { z } from 'zod';
import { LANGUAGES } from '@shared/sandbox/types.ts';
import { pageQuery } from '../../http/pagination.ts';
import { IdParam, Text } from '../../http/schemas.ts';

const Limit = z.enum(['time', 'memory', 'output', 'processes']);

export const ExecuteCodeSchema = z.object({
  body: z.strictObject({
    language: z.enum(LANGUAGES),
    // Sizes are the deployment's (CODE_EXEC_CODE_BYTES, CODE_EXEC_STDIN_BYTES): checked in executeCode, answered 413.
    code: Text().min(1).describe('The program, at most CODE_EXEC_CODE_BYTES (default 256 KiB)'),
    stdin: z.string().optional().describe('Fed to standard input, then closed; at most CODE_EXEC_STDIN_BYTES (default 1 MiB)'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(300_000)
      .optional()
      .describe('Wall time, compile step included; default CODE_EXEC_TIMEOUT_MS (5 s), at most CODE_EXEC_MAX_TIMEOUT_MS (30 s)'),
    conversationId: IdParam.optional().describe('Post the run to this conversation as a `tool` message (write access needed)'),
    messageId: IdParam.optional().describe(
      'With `conversationId`: the message whose code block this is, so the room shows the output under it',
    ),
  }),
});
export type ExecuteCodeBody = z.infer<typeof ExecuteCodeSchema>['body'];

export const ListExecutionsSchema = z.object({ query: pageQuery('seq') });
export const ExecutionIdSchema = z.object({ params: z.object({ id: IdParam }) });

export const ExecutionSchema = z
  .object({
    id: z.uuid(),
    language: z.enum(LANGUAGES),
    backend: z.string().describe('Where it ran: isolated-vm, bubblewrap or docker'),
    stdout: z.string().nullable().describe('Null once past CODE_EXEC_RETENTION_DAYS'),
    stderr: z.string().nullable().describe('Null once past CODE_EXEC_RETENTION_DAYS'),
    exitCode: z.number().int().nullable().describe('Null when a limit or a signal ended the run'),
    signal: z.string().nullable(),
    durationMs: z.number().int().describe('Wall time as the caller waited, compile step included'),
    limit: Limit.nullable().describe('The limit that stopped the run; null when it ended on its own'),
    truncated: z.object({ stdout: z.boolean(), stderr: z.boolean() }).describe('Which streams were cut at CODE_EXEC_OUTPUT_BYTES'),
    codeSha256: z.string(),
    conversationId: z.uuid().nullable(),
    messageId: z.uuid().nullable().describe('The `tool` message the run was posted as, if it was'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'CodeExecution' });

export const ExecutionDetailSchema = ExecutionSchema.extend({
  code: z.string().nullable().describe('Null once past CODE_EXEC_RETENTION_DAYS'),
}).meta({ id: 'CodeExecutionDetail' });

export const LanguageSchema = z
  .object({
    language: z.enum(LANGUAGES),
    version: z.string(),
    backend: z.string(),
    limits: z.object({
      timeoutMs: z.number().int().describe('Default wall time'),
      maxTimeoutMs: z.number().int().describe('Longest `timeoutMs` a run may ask for'),
      cpuSeconds: z.number().int(),
      memoryBytes: z.number().int(),
      outputBytes: z.number().int().describe('Per stream'),
      processes: z.number().int(),
      openFiles: z.number().int(),
      fileBytes: z.number().int(),
      stdinBytes: z.number().int(),
      codeBytes: z.number().int(),
    }),
  })
  .meta({ id: 'CodeLanguage' });
