import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { grantOperator } from '../shared/operators.ts';
import { packPlugin } from '../shared/plugins/package/index.ts';
import { PluginFixtures } from '../shared/plugins/package/package.fixtures.ts';
import { buildShippedPlugins } from '../plugins/buildShippedPlugins.ts';
import { newPluginId, testManifest } from '../rest-api/modules/plugins/plugins.fixtures.ts';
import { bearer, registerUser, type TestUser } from '../test/factories.ts';
import { PHONE, SCREENSHOT_DIR, peopleInRoom, startStack, type Stack } from './harness.ts';

const WORD_COUNT = 'com.twinmcp.wordcount';

/**
 * The draft's "/" tool menu in real Chromium against both servers and the real plugin runtime: the
 * shipped word count, picked from the menu, counts the draft and its result reaches everyone in the
 * room as a `tool` message; a destructive tool asks first, and a refusal is shown in the menu.
 */
describe('web client: the "/" tool menu', () => {
  let stack: Stack;
  let operator: TestUser;
  let outDir: string;
  /** A plugin with a destructive tool (`wipe`), one that always fails (`jam`) and one that answers its input (`label`). */
  let notesPlugin: string;
  const fixtures = new PluginFixtures();

  beforeAll(async () => {
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-e2e-tools-'));
    const built = await buildShippedPlugins({ outDir });
    stack = await startStack({ env: { PLUGIN_ALLOW_UNSIGNED: 'true', PLUGIN_WORKERS: '1' }, pageTimeoutMs: 15_000 });
    operator = await registerUser(stack.app);
    await grantOperator(stack.app.services.db, operator.email, 'cli');
    await installDefault(await fs.readFile(built.find((plugin) => plugin.name === 'wordcount')!.tgz));
    notesPlugin = await installDefault(await notesPackage());
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await fixtures.cleanup();
    await fs.rm(outDir, { recursive: true, force: true });
  });

  async function installDefault(tgz: Buffer): Promise<string> {
    const res = await stack.app.request.post('/api/plugins').set(bearer(operator)).attach('package', tgz, 'plugin.tgz');
    expect(res.status).toBe(201);
    const id = res.body.data.id as string;
    expect((await stack.app.request.patch(`/api/plugins/${id}`).set(bearer(operator)).send({ isDefault: true })).status).toBe(200);
    return id;
  }

  async function notesPackage(): Promise<Buffer> {
    const manifest = testManifest({
      id: newPluginId(),
      name: 'Notes',
      permissions: [],
      tools: [
        {
          name: 'wipe',
          description: 'Deletes every note',
          inputSchema: { type: 'object' },
          annotations: { title: 'Wipe notes', destructiveHint: true },
        },
        { name: 'jam', description: 'Always fails', inputSchema: { type: 'object' } },
        {
          name: 'label',
          description: 'Labels a note',
          inputSchema: {
            type: 'object',
            properties: {
              title: { type: 'string', title: 'Title', maxLength: 80 },
              count: { type: 'integer', title: 'Copies' },
              urgent: { type: 'boolean', title: 'Urgent' },
              color: { type: 'string', title: 'Colour', enum: ['red', 'green'] },
            },
            required: ['title'],
            additionalProperties: false,
          },
        },
      ],
    });
    return packTools(manifest, {
      wipe: "async () => 'Wiped 3 notes'",
      jam: "async () => { throw new Error('the printer jammed'); }",
      label: 'async (input) => input',
    });
  }

  /** A package of `manifest` whose tools are these function sources. */
  async function packTools(manifest: Record<string, unknown>, tools: Record<string, string>): Promise<Buffer> {
    const entries = Object.entries(tools).map(([name, source]) => `${name}: ${source}`);
    const dir = await fixtures.pluginDir({
      manifest,
      files: { 'dist/index.js': `export default { tools: { ${entries.join(', ')} } };\n` },
    });
    return packPlugin(dir);
  }

  /** A workspace room with these plugins (the word count and the notes unless said) turned on, as its admin does. */
  async function roomWithTools(people: Parameters<typeof peopleInRoom>[1], title: string, plugins = [WORD_COUNT, notesPlugin]) {
    const room = await peopleInRoom(stack, people, title);
    for (const pluginId of plugins) {
      const res = await stack.app.request
        .put(`/api/workspace/${room.conversation.workspaceId}/plugins/${pluginId}`)
        .set(bearer(room.members[0]!.user))
        .send({ enabled: true });
      expect(res.status).toBe(204);
    }
    return room;
  }

  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  const menu = (page: Page) => page.getByRole('listbox', { name: 'Tools' });
  const filter = (page: Page) => page.getByRole('combobox', { name: 'Find a tool' });
  /** Types into the filter and waits for a match to be listed, as a person would before pressing Enter (tools load after opening). */
  const findTool = async (page: Page, words: string) => {
    await filter(page).fill(words);
    await menu(page).getByRole('option').first().waitFor();
  };
  const toolMessage = (page: Page, text: string) => page.locator('.message.tool', { hasText: text });
  const activeOption = (page: Page) =>
    page.evaluate(() => {
      const id = document.activeElement?.getAttribute('aria-activedescendant');
      return id ? document.getElementById(id)?.querySelector('.tool-title')?.textContent : null;
    });
  /** The draft gets focus back (the editor focuses on its next frame). */
  const draftFocused = (page: Page) => page.waitForFunction(() => document.activeElement?.classList.contains('draft-editor') === true);

  it('counts the draft’s words with the tool picked by "/": the count is a tool message for everyone in the room', async () => {
    const { conversation, members } = await roomWithTools([{ name: 'Ada' }, { name: 'Bob', size: PHONE }], 'Counting');
    const [ada, bob] = members.map((member) => member.page) as [Page, Page];
    await ada.locator('.draft-editor').click();
    await ada.keyboard.type('Five words in this draft');

    // "/" inside a line is text; on an empty line it opens the menu and stays out of the shared draft.
    await ada.keyboard.type(' /');
    expect(await menu(ada).isVisible()).toBe(false);
    await ada.keyboard.press('Backspace');
    await ada.keyboard.press('Backspace');
    await ada.keyboard.press('Enter');
    await ada.keyboard.type('/');
    await menu(ada).getByRole('option').first().waitFor();
    expect(await ada.locator('.draft-editor').textContent()).toBe('Five words in this draft');
    expect(await filter(ada).evaluate((input) => input === document.activeElement)).toBe(true);

    // Escape closes it and gives the draft its focus back.
    await ada.keyboard.press('Escape');
    await menu(ada).waitFor({ state: 'hidden' });
    await draftFocused(ada);

    await ada.keyboard.type('/');
    await menu(ada)
      .getByRole('option', { name: /Wipe notes/ })
      .waitFor();
    expect(await menu(ada).getByRole('option').count()).toBe(4);
    const first = await activeOption(ada);
    await ada.keyboard.press('ArrowDown');
    expect(await activeOption(ada)).not.toBe(first);
    await ada.keyboard.press('ArrowUp');
    expect(await activeOption(ada)).toBe(first);
    await ada.keyboard.type('words');
    expect(await menu(ada).getByRole('option').count()).toBe(1);
    expect(await activeOption(ada)).toBe('Word count');
    await screenshot(ada, 'tool-menu-desktop');
    await ada.keyboard.press('Enter');

    // The text to count starts as the draft's text.
    const text = ada.getByLabel('text', { exact: true });
    expect(await text.inputValue()).toBe('Five words in this draft');
    await ada.getByRole('button', { name: 'Run', exact: true }).click();

    for (const page of [ada, bob]) await toolMessage(page, '"words": 5').waitFor();
    expect(await toolMessage(bob, '"words": 5').locator('.meta strong').textContent()).toBe('Ada');
    // The output is shown as a block to read, with nothing to run.
    expect(await toolMessage(bob, '"words": 5').getByRole('button', { name: 'Run' }).count()).toBe(0);
    expect(await ada.locator('.tool-menu').isHidden()).toBe(true);
    await draftFocused(ada);
    await screenshot(bob, 'tool-menu-result-phone');
    const stored = await stack.app.services.db('messages').where({ conversation_id: conversation.id, role: 'tool' });
    expect(stored).toHaveLength(1);
  }, 90_000);

  it('asks before a destructive tool: Cancel sends nothing, Run it posts the result; a failing tool says why in the menu', async () => {
    const { conversation, members } = await roomWithTools([{ name: 'Ada' }], 'Cleaning up');
    const [ada] = members.map((member) => member.page) as [Page];
    const invocations = () => stack.app.services.db('plugin_invocations').where({ conversation_id: conversation.id });

    await ada.getByRole('button', { name: 'Run a tool' }).click();
    await filter(ada).fill('wipe');
    await menu(ada)
      .getByRole('option', { name: /Wipe notes/ })
      .click();
    await ada.getByRole('button', { name: 'Run', exact: true }).click();
    const dialog = ada.getByRole('dialog', { name: 'Run Wipe notes?' });
    await dialog.waitFor();
    await screenshot(ada, 'tool-menu-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await invocations()).toEqual([]);
    expect(await ada.locator('.message.tool').count()).toBe(0);

    await ada.getByRole('button', { name: 'Run', exact: true }).click();
    await dialog.getByRole('button', { name: 'Run it' }).click();
    await toolMessage(ada, 'Wiped 3 notes').waitFor();
    expect((await invocations()).map((row) => row.tool)).toEqual(['wipe']);

    await ada.getByRole('button', { name: 'Run a tool' }).click();
    await findTool(ada, 'jam');
    await ada.keyboard.press('Enter');
    await ada.getByRole('button', { name: 'Run', exact: true }).click();
    await ada.locator('.tool-menu').getByRole('alert').filter({ hasText: 'the printer jammed' }).waitFor();
    expect(await ada.locator('.message.tool').count()).toBe(1);
  }, 60_000);

  it('builds the form from the tool’s input schema: a required title, a number, a checkbox and a choice, sent typed', async () => {
    const { conversation, members } = await roomWithTools([{ name: 'Ada' }], 'Labels');
    const [ada] = members.map((member) => member.page) as [Page];
    await ada.getByRole('button', { name: 'Run a tool' }).click();
    await findTool(ada, 'label');
    await ada.keyboard.press('Enter');
    const form = ada.getByRole('form', { name: 'label' });
    await form.waitFor();

    // The title is required: the browser holds the form back, and nothing runs.
    expect(await form.getByLabel('Title').getAttribute('required')).not.toBeNull();
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    expect(await form.getByLabel('Title').evaluate((input: HTMLInputElement) => input.validity.valueMissing)).toBe(true);

    await form.getByLabel('Title').fill('Groceries');
    await form.getByLabel('Copies').fill('3');
    await form.getByLabel('Urgent').check();
    await form.getByLabel('Colour').selectOption('green');
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    const posted = toolMessage(ada, '"title": "Groceries"');
    await posted.waitFor();
    for (const typed of ['"count": 3', '"urgent": true', '"color": "green"']) expect(await posted.textContent()).toContain(typed);
    const invocations = await stack.app.services.db('plugin_invocations').where({ conversation_id: conversation.id });
    expect(invocations.map((row) => row.outcome)).toEqual(['ok']);
  }, 60_000);

  it('asks when the server says a tool turned destructive after the menu listed it, and Cancel sends nothing more', async () => {
    const manifest = (version: string, destructiveHint: boolean) =>
      testManifest({
        id: archiveId,
        version,
        name: 'Archive',
        permissions: [],
        tools: [{ name: 'archive', description: 'Archives the notes', inputSchema: { type: 'object' }, annotations: { destructiveHint } }],
      });
    const archiveId = newPluginId();
    const archive = { archive: "async () => 'Archived'" };
    await installDefault(await packTools(manifest('1.0.0', false), archive));
    const { conversation, members } = await roomWithTools([{ name: 'Ada' }], 'Archiving', [archiveId]);
    const [ada] = members.map((member) => member.page) as [Page];
    await ada.getByRole('button', { name: 'Run a tool' }).click();
    await findTool(ada, 'archive');
    await ada.keyboard.press('Enter');
    await ada.getByRole('button', { name: 'Run', exact: true }).waitFor();

    // A new version, now marked destructive, is installed while the form is open.
    const update = await stack.app.request
      .post('/api/plugins')
      .set(bearer(operator))
      .attach('package', await packTools(manifest('1.1.0', true), archive), 'plugin.tgz');
    expect(update.status).toBe(200);

    await ada.getByRole('button', { name: 'Run', exact: true }).click();
    const dialog = ada.getByRole('dialog', { name: 'Run archive?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await stack.app.services.db('plugin_invocations').where({ conversation_id: conversation.id })).toEqual([]);
    expect(await ada.locator('.message.tool').count()).toBe(0);

    await ada.getByRole('button', { name: 'Run', exact: true }).click();
    await dialog.getByRole('button', { name: 'Run it' }).click();
    await toolMessage(ada, 'Archived').waitFor();
  }, 60_000);
});
