/** How much of a tool's output a message quotes: well under a message's 100,000 characters. */
const QUOTED_CHARS = 20_000;

/** What a message says of a call: which tool ran, then its output. */
export interface InvocationShown {
  /** The plugin's display name. */
  pluginName: string;
  /** The tool's title when it has one, its name otherwise. */
  toolTitle: string;
  output: unknown;
}

/**
 * The text of a plugin result's `tool` message, readable wherever only `content` is shown: a line naming
 * the plugin and tool, then a text output as it is, or anything else as a fenced json block; long outputs are cut.
 */
export function describeInvocation(call: InvocationShown): string {
  const head = call.toolTitle === call.pluginName ? call.pluginName : `${call.pluginName} · ${call.toolTitle}`;
  if (call.output === undefined || call.output === null || call.output === '') return `${head}\n\nNo output.`;
  if (typeof call.output === 'string') return `${head}\n\n${quote(call.output)}`;
  // JSON escapes line breaks inside strings, so no line of it can be a fence that ends the block early.
  return `${head}\n\n\`\`\`json\n${quote(JSON.stringify(call.output, null, 2))}\n\`\`\``;
}

function quote(text: string): string {
  return text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}\n…` : text;
}
