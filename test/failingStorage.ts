import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ObjectStorage, StoredObject } from '@shared/storage/ObjectStorage.ts';

/**
 * A store whose writes break after `failAfterBytes` bytes, as a full disk or a store that drops off the network
 * mid-upload does; everything else goes to the real store underneath, so what the failure left behind is real.
 */
export function failingStorage(
  storage: ObjectStorage,
  failAfterBytes: number,
  error: () => Error = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
): ObjectStorage {
  return watchedStorage(storage, (seen) => (seen > failAfterBytes ? error() : undefined));
}

/**
 * A store that shows `onBytes` the running count of each write's bytes as they arrive (before the real store
 * has them): a test can act at a known point of a write in progress. An error returned breaks the write there.
 */
export function watchedStorage(storage: ObjectStorage, onBytes: (seen: number) => Error | undefined): ObjectStorage {
  return new Proxy(storage, {
    get(target, property, receiver) {
      if (property !== 'put') return Reflect.get(target, property, receiver) as unknown;
      return async (key: string, body: Readable, options: { contentType: string }): Promise<StoredObject> => {
        let seen = 0;
        const breaking = new Transform({
          transform(chunk: Buffer, _encoding, callback: TransformCallback) {
            seen += chunk.length;
            const error = onBytes(seen);
            if (error) return callback(error);
            callback(null, chunk);
          },
        });
        // The real store sees its body fail, as it would; the body's producer sees its consumer go away.
        body.on('error', (cause) => breaking.destroy(cause));
        breaking.on('error', () => body.destroy());
        return target.put(key, body.pipe(breaking), options);
      };
    },
  });
}
