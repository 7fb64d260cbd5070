import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { HashingThread } from './HashingThread.ts';

const sha256 = (...parts: Buffer[]) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest('hex');

describe('HashingThread', () => {
  const thread = new HashingThread();
  afterEach(() => thread.close());

  it('hashes streams fed in turns, each to the SHA-256 of its own bytes', async () => {
    const parts = [crypto.randomBytes(70_000), crypto.randomBytes(1), crypto.randomBytes(300_000)];
    const others = [crypto.randomBytes(5), crypto.randomBytes(64 * 1024)];
    const first = thread.begin();
    const second = thread.begin();
    first.update(parts[0]!);
    second.update(others[0]!);
    first.update(parts[1]!);
    second.update(others[1]!);
    first.update(parts[2]!);
    await expect(Promise.all([first.digest(), second.digest()])).resolves.toEqual([sha256(...parts), sha256(...others)]);
  });

  it('copies what it is given: the caller may overwrite its buffer at once (upload buffers are reused)', async () => {
    const buffer = Buffer.alloc(128 * 1024, 1);
    const expected = sha256(buffer);
    const hash = thread.begin();
    hash.update(buffer);
    buffer.fill(2);
    await expect(hash.digest()).resolves.toBe(expected);
  });

  it('hashes a view into a larger buffer as the view alone', async () => {
    const whole = crypto.randomBytes(4096);
    const hash = thread.begin();
    hash.update(whole.subarray(1000, 3000));
    await expect(hash.digest()).resolves.toBe(sha256(whole.subarray(1000, 3000)));
  });

  it('answers the SHA-256 of nothing for an empty stream', async () => {
    await expect(thread.begin().digest()).resolves.toBe(sha256());
  });

  it('digests a hash once; a dropped one is never digested', async () => {
    const hash = thread.begin();
    hash.update(Buffer.from('abc'));
    await hash.digest();
    await expect(hash.digest()).rejects.toThrow('already digested');
    const dropped = thread.begin();
    dropped.drop();
    await expect(dropped.digest()).rejects.toThrow('already digested or dropped');
  });

  it('refuses a digest for a hash whose thread stopped under it (never half its bytes), then starts a new thread', async () => {
    const hash = thread.begin();
    hash.update(Buffer.from('first half'));
    const waiting = thread.begin();
    waiting.update(Buffer.from('x'));
    const digesting = waiting.digest();
    await thread.close();
    await expect(digesting).rejects.toThrow('closed');
    hash.update(Buffer.from('second half'));
    await expect(hash.digest()).rejects.toThrow('failed while this stream was hashed');
    const next = thread.begin();
    next.update(Buffer.from('again'));
    await expect(next.digest()).resolves.toBe(sha256(Buffer.from('again')));
  });
});
