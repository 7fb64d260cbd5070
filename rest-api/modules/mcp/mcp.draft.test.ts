import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { draftTextOf } from '@shared/documents/conversationDraft.ts';
import { messagesOf, readDocumentMessage } from '@shared/documents/conversationDocument.ts';
import { acknowledged, documentInDatabase, startTestCollab, waitFor, type TestCollab } from '../../../test/collab.ts';
import { startTestApp, type TestApp } from '../../../test/http.ts';
import { createConversation, registerUser } from '../../../test/factories.ts';
import { callTool, startMcpServer, valueOf, type McpTestServer } from './mcp.fixtures.ts';

describe('the MCP endpoint and the shared draft', () => {
  let t: TestApp;
  let mcp: McpTestServer;
  let collab: TestCollab;

  beforeAll(async () => {
    t = await startTestApp();
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
