import { describe, expect, it } from '@jest/globals';
import { describeInvocation } from './describeInvocation.ts';

describe('the text of a posted tool result', () => {
  const call = { pluginName: 'Notes', toolTitle: 'Wipe notes' };

  it('names plugin and tool, then quotes a text output as it is', () => {
    expect(describeInvocation({ ...call, output: 'Wiped 3 notes' })).toBe('Notes · Wipe notes\n\nWiped 3 notes');
    expect(describeInvocation({ pluginName: 'Word count', toolTitle: 'Word count', output: 'ok' })).toBe('Word count\n\nok');
    expect(describeInvocation({ ...call, output: null })).toBe('Notes · Wipe notes\n\nNo output.');
  });

  it('shows anything else as one json block, which a fence inside a string cannot end early', () => {
    const output = { note: 'a\n```\nfence', n: 1 };
    expect(describeInvocation({ ...call, output })).toBe(`Notes · Wipe notes\n\n\`\`\`json\n${JSON.stringify(output, null, 2)}\n\`\`\``);
    expect(JSON.stringify(output, null, 2).split('\n')).not.toContain('```');
  });

  it('cuts a long output well under the size of a message', () => {
    const text = describeInvocation({ ...call, output: 'x'.repeat(200_000) });
    expect(text.length).toBeLessThan(25_000);
    expect(text.endsWith('\n…')).toBe(true);
  });
});
