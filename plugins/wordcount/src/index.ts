import { messagesOf, type PluginContext } from '../../sdk.ts';
import { countText } from './countText.ts';

export default {
  tools: {
    async count_words(input: { text?: string }, ctx: PluginContext) {
      if (input.text !== undefined) return countText(input.text);
      if (!ctx.conversation) throw new Error('Give a text, or invoke this in a conversation');
      const messages = messagesOf(await ctx.conversation.read());
      return { ...countText(messages.map((message) => message.content).join('\n')), messages: messages.length };
    },
  },
};
