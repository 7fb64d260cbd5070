import { messagesOf, type PluginContext } from '../../sdk.ts';

/** Newest messages first to go: a long conversation is cut to its last ~24k characters. */
const MAX_TRANSCRIPT_CHARS = 24_000;

export default {
  tools: {
    async summarize_conversation(input: { maxWords?: number }, ctx: PluginContext) {
      if (!ctx.conversation || !ctx.llm) throw new Error('Invoke this in a conversation');
      const messages = messagesOf(await ctx.conversation.read());
      if (messages.length === 0) return { summary: 'The conversation is empty.', messages: 0 };
      let transcript = messages.map((message) => `${message.role}: ${message.content}`).join('\n');
      if (transcript.length > MAX_TRANSCRIPT_CHARS) transcript = `…${transcript.slice(-MAX_TRANSCRIPT_CHARS)}`;
      const maxWords = input.maxWords ?? 80;
      const answer = await ctx.llm.complete({
        system: `You summarize conversations in at most ${maxWords} words, plainly, in the conversation's language.`,
        prompt: `Summarize this conversation:\n\n${transcript}`,
        maxTokens: Math.ceil(maxWords * 2),
      });
      return { summary: (typeof answer === 'string' ? answer : answer.text).trim(), messages: messages.length };
    },
  },
};
