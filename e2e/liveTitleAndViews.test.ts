import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { bearer, createConversation, registerUser } from '../test/factories.ts';
import { PHONE, SCREENSHOT_DIR, peopleInRoom, startStack, type Stack } from './harness.ts';
import { connected, isSamePageLoad, markPageLoad, seesText, signIn } from './pages.ts';

/**
 * What a page learns without reloading, in real Chromium against both servers on PostgreSQL: a rename
 * made from the heading (by this member or another), and how often a share link has been opened.
 */
describe('web client: live title and view counts', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  const openPage = (size?: { width: number; height: number }) => stack.openPage(size);

  const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true });
  const titleField = (page: Page) => page.getByRole('textbox', { name: 'Conversation title' });
  const storedTitle = async (id: string) => (await stack.app.services.db('conversations').where({ id }).first()).title as string;
  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });

  it('renames the conversation from its heading, and another member’s page shows the new title without reloading', async () => {
    // Bob's page learns of the rename only through the document's `title`, which the collab server keeps
    // equal to the table's (its title mirror, conversation.renamed → `title`): this test needs that mirror.
    const { conversation, members } = await peopleInRoom(stack, [{ name: 'Ada' }, { name: 'Bob', size: PHONE }], 'Draft plan');
    const [adaPage, bobPage] = members.map((member) => member.page) as [Page, Page];
    await markPageLoad(bobPage);

    await heading(adaPage, 'Draft plan').getByRole('button').click();
    await titleField(adaPage).fill('Launch plan');
    await titleField(adaPage).press('Enter');
    // The button is back once the rename is saved (while editing, the field's text names the heading too).
    await heading(adaPage, 'Launch plan').getByRole('button').waitFor();
    expect(await storedTitle(conversation.id)).toBe('Launch plan');

    await heading(bobPage, 'Launch plan')
      .waitFor()
      .catch((error: unknown) => {
        throw new Error(
          "The other member's heading did not follow the rename. " +
            `Does the collab server mirror the title into the document? ${String(error)}`,
        );
      });
    expect(await isSamePageLoad(bobPage)).toBe(true);
    await screenshot(bobPage, 'renamed-elsewhere-phone');
  }, 45_000);

  it('edits the heading in place: Enter or leaving the field saves, Escape cancels, and the server’s refusal is shown', async () => {
    const owner = await registerUser(stack.app, { name: 'Olga' });
    const conversation = await createConversation(stack.app, owner, 'Notes');
    const page = await openPage();
    await signIn(page, owner, `/c/${conversation.id}`);
    await connected(page);

    // Keyboard only: Enter on the heading opens the field, with the title selected.
    const button = heading(page, 'Notes').getByRole('button');
    await button.focus();
    await button.press('Enter');
    await titleField(page).press('Escape');
    await heading(page, 'Notes').getByRole('button').waitFor();
    expect(await page.evaluate(() => document.activeElement?.classList.contains('title-button'))).toBe(true);

    // Escape throws the text away and asks nothing of the server.
    await heading(page, 'Notes').getByRole('button').press('Enter');
    await page.keyboard.type('Not this');
    await page.keyboard.press('Escape');
    await heading(page, 'Notes').waitFor();
    expect(await storedTitle(conversation.id)).toBe('Notes');

    // An empty title: the server refuses, the page says why and keeps the field open.
    await heading(page, 'Notes').getByRole('button').click();
    await titleField(page).fill('   ');
    await titleField(page).press('Enter');
    await seesText(page, '.room-title [role="alert"]', 'title');
    expect(await titleField(page).getAttribute('aria-invalid')).toBe('true');
    expect(await storedTitle(conversation.id)).toBe('Notes');
    await screenshot(page, 'rename-refused-desktop');

    // Leaving the field saves what it holds.
    await titleField(page).fill('Meeting notes');
    await page.locator('.messages').click();
    await heading(page, 'Meeting notes').getByRole('button').waitFor();
    expect(await page.locator('.room-title [role="alert"]').isHidden()).toBe(true);
    expect(await storedTitle(conversation.id)).toBe('Meeting notes');
  }, 45_000);

  it('shows the owner how often a link was opened, without a reload', async () => {
    const owner = await registerUser(stack.app, { name: 'Olga' });
    const conversation = await createConversation(stack.app, owner, 'Counted');
    const res = await stack.app.request.post('/api/share').set(bearer(owner)).send({ conversationId: conversation.id, permission: 'read' });
    expect(res.status).toBe(201);
    const shareId: string = res.body.data.id;
    const ownerPage = await openPage();
    await signIn(ownerPage, owner, `/c/${conversation.id}`);
    const facts = `.shares [data-share-id="${shareId}"] .share-facts`;
    await seesText(ownerPage, facts, '0 views');
    await markPageLoad(ownerPage);
    // The list refreshes in place: focus on the link's Revoke button survives it.
    await ownerPage.locator(`.shares [data-share-id="${shareId}"]`).getByRole('button', { name: 'Revoke' }).focus();

    const guest = await openPage(PHONE);
    await guest.goto(`/share/${shareId}`);
    await connected(guest);
    await heading(guest, 'Counted').waitFor();
    expect(await heading(guest, 'Counted').getByRole('button').count()).toBe(0);

    await seesText(ownerPage, facts, '1 view', { timeout: 8_000 });
    expect(await isSamePageLoad(ownerPage)).toBe(true);
    expect(await ownerPage.evaluate(() => document.activeElement?.textContent)).toBe('Revoke');
    await screenshot(ownerPage, 'share-views-desktop');
  }, 45_000);
});
