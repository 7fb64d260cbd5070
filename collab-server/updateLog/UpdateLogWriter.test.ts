import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { startTestApp, type TestApp } from '../../test/http.ts';
import { createConversation, registerUser, type TestUser } from '../../test/factories.ts';
import { UpdateLogWriter } from './UpdateLogWriter.ts';

describe('update log group commit', () => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await registerUser(t);
    await t.services.db.raw(`
      create table log_fault (broken boolean);
      create function fail_while_broken() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from log_fault) then raise exception 'the update log is unavailable'; end if;
        return null;
      end $$;
      create trigger log_fault before insert on conversation_updates for each statement execute function fail_while_broken();
    `);
  });
  afterAll(async () => {
    await t?.close();
  });

  const edit = (text: string) => {
    const doc = new Y.Doc();
    doc.getText('title').insert(0, text);
    return Y.encodeStateAsUpdate(doc);
  };
  /** Makes every insert into the log fail, as a full disk or a lost primary would, or heals it. */
  const breakTheLog = async (broken: boolean) => {
    await t.services.db.raw(broken ? 'insert into log_fault values (true)' : 'delete from log_fault');
  };
  const loggedTexts = async (conversationId: string) => {
    const rows: Array<{ update: Buffer }> = await t.services
      .db('conversation_updates')
      .where({ conversation_id: conversationId })
      .orderBy('id')
      .select('update');
    return rows.map((row) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, new Uint8Array(row.update));
      return doc.getText('title').toString();
    });
  };

  it('writes edits that arrive within the interval in one commit, in arrival order, across conversations', async () => {
    const [a, b] = [await createConversation(t, owner), await createConversation(t, owner)];
    const commits: number[] = [];
    const writer = new UpdateLogWriter(t.services.db, 200, (edits) => commits.push(edits));
    // The log has been quiet: the first edit is committed at once, the rest share the next commit.
    await writer.append(a.id, edit('a1'));
    const started = performance.now();
    await Promise.all([writer.append(a.id, edit('a2')), writer.append(b.id, edit('b1')), writer.append(a.id, edit('a3'))]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(commits).toEqual([1, 3]);
    expect(await loggedTexts(a.id)).toEqual(['a1', 'a2', 'a3']);
    expect(await loggedTexts(b.id)).toEqual(['b1']);
  });

  it('fails every edit of a commit that failed, and writes the next ones once it can', async () => {
    const { id } = await createConversation(t, owner);
    const other = await createConversation(t, owner);
    const writer = new UpdateLogWriter(t.services.db, 0);
    await breakTheLog(true);
    const results = await Promise.allSettled([writer.append(id, edit('lost?')), writer.append(other.id, edit('lost too?'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await breakTheLog(false);
    await expect(writer.append(id, edit('after'))).resolves.toBe('logged');
    expect(await loggedTexts(id)).toEqual(['after']);
  });

  it('leaves out the edits of a conversation deleted while they waited, and writes the others', async () => {
    const [kept, deleted] = [await createConversation(t, owner), await createConversation(t, owner)];
    const commits: number[] = [];
    const writer = new UpdateLogWriter(t.services.db, 0, (edits) => commits.push(edits));
    await t.services.db('conversations').where({ id: deleted.id }).delete();
    // Queued in one turn of the event loop: one commit for the three.
    const pending = [writer.append(kept.id, edit('k1')), writer.append(deleted.id, edit('d1')), writer.append(kept.id, edit('k2'))];
    expect(await Promise.all(pending)).toEqual(['logged', 'conversation_gone', 'logged']);
    expect(commits).toEqual([3]);
    expect(await loggedTexts(kept.id)).toEqual(['k1', 'k2']);
  });

  it('commits what is queued when drained, without waiting for the interval', async () => {
    const { id } = await createConversation(t, owner);
    const writer = new UpdateLogWriter(t.services.db, 60_000);
    await writer.append(id, edit('first'));
    const queued = writer.append(id, edit('second'));
    await writer.drain();
    await queued;
    expect(await loggedTexts(id)).toEqual(['first', 'second']);
  });
});
