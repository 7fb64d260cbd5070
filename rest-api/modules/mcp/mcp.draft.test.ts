import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { draftTextOf } from '@shared/documents/conversationDraft.ts';
import { messagesOf, readDocumentMessage } from '@shared/documents/conversationDocument.ts';
import { acknowledged, documentInDatabase, startTestCollab, waitFor, type TestCollab } from '../../../test/collab.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { createConversation, registerUser } from '../../../test/factories.ts';
import { callTool, startMcpServer, valueOf, type McpTestServer } from './mcp.fixtures.ts';

// PGlite too: it is what `npm start` runs on, and the draft's edits go through its update log as well.
describe.each(['postgres', 'pglite'] as const)('the MCP endpoint and the shared draft on %s', (backend) => {
  let t: TestApp;
  let mcp: McpTestServer;
  let collab: TestCollab;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    mcp = await startMcpServer(t);
    collab = await startTestCollab(t);
  });
  afterAll(async () => {
    await collab?.close();
    await mcp?.close();
    await t?.close();
  });

  it('appends paragraphs to the draft that read_draft returns and a later load finds', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    const client = await mcp.connect(owner.accessToken);
    expect(valueOf(await callTool(client, 'read_draft', { conversationId: conversation.id }))).toEqual({
      conversationId: conversation.id,
      text: '',
    });

    await callTool(client, 'append_to_draft', { conversationId: conversation.id, text: 'First idea' });
    const appended = valueOf(await callTool(client, 'append_to_draft', { conversationId: conversation.id, text: 'Second\nThird' }));
    expect(appended).toEqual({ conversationId: conversation.id, appended: 2 });

    expect(valueOf(await callTool(client, 'read_draft', { conversationId: conversation.id }))).toEqual({
      conversationId: conversation.id,
      text: 'First idea\nSecond\nThird',
    });
    const stored = await documentInDatabase(t.services.db, conversation.id);
    expect(draftTextOf(stored)).toBe('First idea\nSecond\nThird');
    // Paragraphs as TipTap writes them, so the editor shows them as its own.
    expect(stored.getXmlFragment('draft').toString()).toBe(
      '<paragraph>First idea</paragraph><paragraph>Second</paragraph><paragraph>Third</paragraph>',
    );
  });

  it('reaches an editor connected to the document at once, after what that editor typed', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    const editor = collab.connect(`conversation:${conversation.id}`, owner.accessToken);
    await editor.synced;
    const typed = new Y.XmlElement('paragraph');
    typed.insert(0, [new Y.XmlText('Typed live')]);
    editor.doc.getXmlFragment('draft').push([typed]);
    await acknowledged(editor.provider);

    const client = await mcp.connect(owner.accessToken);
    // What the editor typed (acknowledged, so logged) is what the tool reads.
    expect(valueOf(await callTool(client, 'read_draft', { conversationId: conversation.id }))).toMatchObject({ text: 'Typed live' });
    await callTool(client, 'append_to_draft', { conversationId: conversation.id, text: 'From the assistant' });
    await waitFor('the appended paragraph in the editor', () => draftTextOf(editor.doc) === 'Typed live\nFrom the assistant');
    // Applied on the node and logged once by the API: still one paragraph, however many times it arrived.
    const stored = await documentInDatabase(t.services.db, conversation.id);
    expect(draftTextOf(stored)).toBe('Typed live\nFrom the assistant');
  });

  it('reaches editors on every collab node that holds the document, as one paragraph each', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    const otherNode = await startTestCollab(t);
    try {
      const editors = [collab, otherNode].map((node) => node.connect(`conversation:${conversation.id}`, owner.accessToken));
      await Promise.all(editors.map((editor) => editor.synced));
      await callTool(await mcp.connect(owner.accessToken), 'append_to_draft', { conversationId: conversation.id, text: 'Everywhere' });
      for (const editor of editors) await waitFor('the paragraph on each node', () => draftTextOf(editor.doc) === 'Everywhere');
    } finally {
      await otherNode.close();
    }
  });

  it('brings a posted message into the open document, as REST does', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    const editor = collab.connect(`conversation:${conversation.id}`, owner.accessToken);
    await editor.synced;
    const client = await mcp.connect(owner.accessToken);
    const posted = valueOf<{ id: string }>(
      await callTool(client, 'post_message', { conversationId: conversation.id, content: 'Hello room' }),
    );
    await waitFor('the message in the document', () => messagesOf(editor.doc).length === 1);
    expect(readDocumentMessage(messagesOf(editor.doc).get(0))).toMatchObject({ id: posted.id, content: 'Hello room', role: 'user' });
  });
});

describe('the MCP endpoint and a document at its size limit', () => {
  let t: TestApp;
  let mcp: McpTestServer;

  beforeAll(async () => {
    t = await startTestApp({ env: { COLLAB_MAX_DOCUMENT_BYTES: '4096' } });
    mcp = await startMcpServer(t);
  });
  afterAll(async () => {
    await mcp?.close();
    await t?.close();
  });

  it('refuses an append that would take the document past the limit, keeping the draft as it was', async () => {
    const owner = await registerUser(t);
    const conversation = await createConversation(t, owner);
    const client = await mcp.connect(owner.accessToken);
    expect((await callTool(client, 'append_to_draft', { conversationId: conversation.id, text: 'Fits' })).isError).toBeFalsy();
    const refused = await callTool(client, 'append_to_draft', { conversationId: conversation.id, text: 'x'.repeat(5000) });
    expect(refused).toEqual({ content: [{ type: 'text', text: expect.stringMatching(/^document_too_large: /) }], isError: true });
    expect(valueOf(await callTool(client, 'read_draft', { conversationId: conversation.id }))).toMatchObject({ text: 'Fits' });
  });
});
