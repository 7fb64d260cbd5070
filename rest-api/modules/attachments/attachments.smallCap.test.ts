import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectError } from '../../../test/assertions.ts';
import { createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { SNIFF_BYTES } from '../../http/upload/sniffContentType.ts';
import { DRIVERS, jpegOfSize, startAttachmentsApp, uploadFile, type AttachmentsApp } from './attachments.fixtures.ts';

/** A cap below the bytes read to sniff a file's type: the head alone can be over it. */
const SMALL_CAP = 1_000;

describe.each(DRIVERS)('attachments on %s storage under a cap smaller than the sniffed head', (driver) => {
  let a: AttachmentsApp;
  let owner: TestUser;
  beforeAll(async () => {
    a = await startAttachmentsApp(driver, { env: { ATTACHMENT_MAX_BYTES: String(SMALL_CAP) } });
    owner = await registerUser(a.t);
  });
  afterAll(() => a?.close());

  it('answers 413 and keeps nothing, for files that arrive whole or in pieces, and the server goes on', async () => {
    const conversation = await createConversation(a.t, owner);
    for (const size of [SMALL_CAP + 1, SNIFF_BYTES + 1, 4 * SNIFF_BYTES]) {
      const res = await uploadFile(a.t, owner, conversation.id, jpegOfSize(size), { filename: 'big.jpg', contentType: 'image/jpeg' });
      expectError(res, 413, 'payload_too_large');
    }
    expect(await a.storedKeys(`attachments/${conversation.id}/`)).toEqual([]);
    expect(await a.tempFiles()).toEqual([]);
    const small = await uploadFile(a.t, owner, conversation.id, jpegOfSize(SMALL_CAP), { filename: 'ok.jpg', contentType: 'image/jpeg' });
    expect(small.status).toBe(201);
  });
});
