import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { insertMessage } from '../conversations/conversations.repo.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { busMessage } from '../conversations/messageEvent.ts';
import { describeInvocation } from './describeInvocation.ts';
import { findListedPlugin } from './plugins.repo.ts';

interface Props {
  actor: Actor;
  /** A conversation the actor may post in (checked again here: access may have ended while the tool ran). */
  conversationId: string;
  pluginId: string;
  tool: string;
  /** The plugin_invocations row of the call, named in the audit trail. */
  invocationId: string;
  output: unknown;
  ip?: string;
}

/**
 * Posts what a tool returned as a `tool` message by the person who ran it, with its audit row in the same
 * transaction; open documents receive it through `message.created` once it is committed. Answers the
 * message's id.
 */
export async function postInvocationMessage(deps: { db: Knex; bus: Bus }, props: Props): Promise<string> {
  const { conversationId } = props;
  const message = await deps.db.transaction(async (trx) => {
    await findConversationForActor(trx, props.actor, conversationId, 'postMessage');
    const plugin = await findListedPlugin(trx, props.pluginId);
    const tool = plugin?.manifest.tools.find((candidate) => candidate.name === props.tool);
    const content = describeInvocation({
      pluginName: plugin?.name ?? props.pluginId,
      toolTitle: tool?.annotations?.title ?? props.tool,
      output: props.output,
    });
    const row = await insertMessage(trx, {
      conversation_id: conversationId,
      author_id: props.actor.id,
      service_account_id: null,
      role: 'tool',
      content,
    });
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: 'message.created',
      subjectType: 'conversation',
      subjectId: conversationId,
      ip: props.ip,
      data: { messageId: row.id, role: 'tool', pluginId: props.pluginId, tool: props.tool, invocationId: props.invocationId },
    });
    return { ...row, attachments: [] };
  });
  // Only what committed reaches open documents.
  await deps.bus.publish('message.created', { conversationId, message: busMessage(message) });
  return message.id;
}
