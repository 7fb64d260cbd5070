import { ValidationError } from '@shared/errors.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { invokePluginTool } from './invokePluginTool.ts';
import { postInvocationMessage } from './postInvocationMessage.ts';

type Deps = Parameters<typeof invokePluginTool>[0];
type InvokeProps = Parameters<typeof invokePluginTool>[1];

interface Props extends InvokeProps {
  /** Post the result in `conversationId` as a `tool` message (the caller must be able to post there). */
  post?: boolean;
}

/**
 * Runs a tool and, when asked, posts its result in the conversation as a `tool` message. Posting needs
 * write access, checked before the tool runs so that a reader who may not post runs nothing; a call that
 * fails posts nothing and fails as it would without `post`.
 */
export async function invokeToolInConversation(
  deps: Deps,
  props: Props,
): Promise<Awaited<ReturnType<typeof invokePluginTool>> & { messageId?: string }> {
  const { post, ...call } = props;
  if (!post) return invokePluginTool(deps, call);
  if (!call.conversationId) throw new ValidationError('post: needs conversationId');
  await findConversationForActor(deps.services.db, call.actor, call.conversationId, 'postMessage');
  const result = await invokePluginTool(deps, call);
  const messageId = await postInvocationMessage(deps.services, {
    actor: call.actor,
    conversationId: call.conversationId,
    pluginId: call.pluginId,
    tool: call.tool,
    invocationId: result.invocationId,
    output: result.output,
    ip: call.ip,
  });
  return { ...result, messageId };
}
