import type { PluginContext } from '../../sdk.ts';
import { textOfHtml } from './textOfHtml.ts';

const MAX_TEXT_CHARS = 20_000;

export default {
  tools: {
    async fetch_url(input: { url: string }, ctx: PluginContext) {
      if (!ctx.http) throw new Error('This plugin was installed without network access');
      // The host enforces the allowlist whatever this asks; the plugin only asks.
      const response = await ctx.http.fetch(input.url, { headers: { accept: 'text/html, text/plain;q=0.9' } });
      const contentType = response.headers['content-type'] ?? '';
      const isHtml = contentType.includes('html');
      const { title, text } = isHtml ? textOfHtml(response.body) : { title: '', text: response.body };
      return {
        url: input.url,
        status: response.status,
        contentType,
        title,
        text: text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS)}…` : text,
        truncated: text.length > MAX_TEXT_CHARS,
      };
    },
  },
};
