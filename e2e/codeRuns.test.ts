import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { bearer } from '../test/factories.ts';
import { PHONE, SCREENSHOT_DIR, peopleInRoom, startStack, type Stack } from './harness.ts';

/**
 * Running code from the conversation, in real Chromium against both servers and the real sandbox: a
 * message's code block runs and its output reaches everyone in the room, under the block and as the
 * run's `tool` message; a draft's block runs too; viewers get no Run button; a refusal is explained.
 */
describe('web client: running code blocks', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Few runs per person, so a test can use up its budget for real (each test's people are new).
    // A run may wait for the sandbox to start (forked workers, the first Python): pages wait up to 15 s.
    stack = await startStack({ env: { RATE_LIMIT_CODE_EXEC_PER_USER: '4' }, pageTimeoutMs: 15_000 });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  const runCard = (page: Page) => page.locator('.message.tool .run-card');
  const draftBlock = (page: Page) => page.locator('.draft-editor .code-block');

  async function postMessage(conversationId: string, author: { accessToken: string }, content: string): Promise<string> {
    const res = await stack.app.request
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(author))
      .send({ role: 'user', content });
    if (res.status !== 201) throw new Error(`post failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data.id as string;
  }

  it('runs a message’s Python block: everyone sees 42 under the block and the run’s card; a viewer has no Run button', async () => {
    const { conversation, members } = await peopleInRoom(
      stack,
      [{ name: 'Ada' }, { name: 'Bob', size: PHONE }, { name: 'Vic', role: 'viewer' }],
      'Numbers',
    );
    const [ada, bob, vic] = members.map((member) => member.page) as [Page, Page, Page];
    const messageId = await postMessage(conversation.id, members[0]!.user, 'Try this:\n```python\nprint(6 * 7)\n```\nIt should print 42.');
    const block = (page: Page): Locator => page.locator(`.message[data-id="${messageId}"] .code-block`);
    await block(vic).waitFor();
    await block(bob).getByRole('button', { name: 'Run' }).waitFor();
    expect(await block(vic).locator('.code-language').textContent()).toBe('python');
    expect(await vic.getByRole('button', { name: 'Run' }).count()).toBe(0);

    await block(ada).getByRole('button', { name: 'Run' }).click();
    for (const page of [ada, bob, vic]) {
      await block(page).locator('.run-stdout', { hasText: '42' }).waitFor();
      await runCard(page).locator('.run-stdout', { hasText: '42' }).waitFor();
    }
    expect(await runCard(bob).locator('.run-ending').textContent()).toBe('exit 0');
    expect(await runCard(bob).locator('.run-language').textContent()).toBe('Python');
    expect(await runCard(bob).locator('.run-code pre').textContent()).toBe('print(6 * 7)');
    expect(await block(ada).getByRole('button', { name: 'Run' }).isEnabled()).toBe(true);
    await screenshot(ada, 'code-run-message-desktop');
    await screenshot(bob, 'code-run-message-phone');

    const stored = await stack.app.services.db('messages').where({ conversation_id: conversation.id, role: 'tool' }).first();
    expect(stored.execution).toMatchObject({ language: 'python', stdout: '42\n', exitCode: 0, sourceMessageId: messageId });
  }, 60_000);

  it('runs a draft block in the language picked for it: its output under the block for whoever ran it, the card for everyone', async () => {
    const { members } = await peopleInRoom(stack, [{ name: 'Ada' }, { name: 'Bob', size: PHONE }], 'Draft code');
    const [ada, bob] = members.map((member) => member.page) as [Page, Page];

    // A fence with no language: the block offers a picker, and picking writes the language for everyone.
    await ada.locator('.draft-editor').click();
    await ada.keyboard.type('``` ');
    await ada.keyboard.type('import sys');
    await ada.keyboard.press('Enter');
    await ada.keyboard.type('print("half done")');
    await ada.keyboard.press('Enter');
    await ada.keyboard.type('print("giving up", file=sys.stderr)');
    await ada.keyboard.press('Enter');
    await ada.keyboard.type('sys.exit(3)');
    expect(await draftBlock(ada).getByRole('button', { name: 'Run' }).isDisabled()).toBe(true);
    await draftBlock(ada).getByLabel('Language to run as').selectOption('python');
    await draftBlock(bob).locator('.code-language', { hasText: 'python' }).waitFor();
    expect(await draftBlock(ada).getByLabel('Language to run as').isHidden()).toBe(true);

    await draftBlock(ada).getByRole('button', { name: 'Run' }).click();
    await draftBlock(ada).locator('.run-ending', { hasText: 'exit 3' }).waitFor();
    expect(await draftBlock(ada).locator('.run-stdout').textContent()).toBe('half done\n');
    expect(await draftBlock(ada).locator('.run-stderr').textContent()).toBe('giving up\n');
    for (const page of [ada, bob]) {
      await runCard(page).locator('.run-ending', { hasText: 'exit 3' }).waitFor();
      await runCard(page).locator('.run-stderr', { hasText: 'giving up' }).waitFor();
    }
    // The output under a draft block is the runner's own; the others have the card.
    expect(await draftBlock(bob).locator('.run-output').count()).toBe(0);
    expect(await draftBlock(bob).textContent()).toContain('sys.exit(3)');
    await screenshot(ada, 'code-run-draft-desktop');

    // Posted, the draft's block is a fenced block of the message, runnable there.
    await ada.getByRole('button', { name: 'Post draft' }).click();
    const posted = bob.locator('.message.user .code-block[data-language="python"]');
    await posted.getByRole('button', { name: 'Run' }).waitFor();
    expect(await posted.locator('pre code').textContent()).toBe(
      'import sys\nprint("half done")\nprint("giving up", file=sys.stderr)\nsys.exit(3)',
    );
  }, 60_000);

  it('explains a refused run: too many runs, with when to try again', async () => {
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Ada' }], 'Eager');
    const [ada] = members as [(typeof members)[number]];
    await postMessage(conversation.id, ada.user, '```sh\necho hi\n```');
    // Ada uses up her runs for this minute through the API; the page's run is then refused by the server.
    for (let run = 0; run < 4; run++) {
      const res = await stack.app.request.post('/api/code/execute').set(bearer(ada.user)).send({ language: 'javascript', code: '1' });
      expect(res.status).toBe(201);
    }
    await ada.page.locator('.message .code-block').getByRole('button', { name: 'Run' }).click();
    const alert = ada.page.getByRole('alert').filter({ hasText: /You have run code too often\. Try again in \d+ s\./ });
    await alert.waitFor();
    expect(await ada.page.locator('.message .code-block').getByRole('button', { name: 'Run' }).isEnabled()).toBe(true);
    expect(await runCard(ada.page).count()).toBe(0);
  }, 30_000);
});
