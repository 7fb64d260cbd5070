// The worker thread behind HashingThread.ts: one SHA-256 per stream id, fed in order, digested on request.
import crypto from 'node:crypto';
import { parentPort } from 'node:worker_threads';

const hashes = new Map();

parentPort.on('message', (message) => {
  if (message.type === 'update') {
    let hash = hashes.get(message.id);
    if (!hash) hashes.set(message.id, (hash = crypto.createHash('sha256')));
    hash.update(message.bytes);
  } else if (message.type === 'digest') {
    const hash = hashes.get(message.id) ?? crypto.createHash('sha256');
    hashes.delete(message.id);
    parentPort.postMessage({ id: message.id, hex: hash.digest('hex') });
  } else if (message.type === 'drop') {
    hashes.delete(message.id);
  }
});
