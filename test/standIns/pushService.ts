import crypto from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { loopbackTls } from './loopbackTls.ts';

/** A push as the stand-in received and decrypted it. */
export interface ReceivedPush {
  subscriptionId: string;
  /** The decrypted payload, parsed as JSON. */
  payload: unknown;
  ttl: string | undefined;
  urgency: string | undefined;
  topic: string | undefined;
  /** The claims of the VAPID JWT, whose signature checked out against its `k`. */
  vapid: { aud: string; sub: string; exp: number; publicKey: string };
}

/** A browser's subscription, with the private half the stand-in decrypts with. */
export interface StandInSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * A Web Push service on loopback over HTTPS (the committed loopback certificate): it hands out
 * subscriptions as a browser's push manager would, and for every push it receives checks the VAPID
 * signature (RFC 8292) and decrypts the body (RFC 8291 over RFC 8188 aes128gcm) with the subscription's
 * own private key — written here from the RFCs, independently of the sender's library, so the wire format
 * is what is tested. `answer` makes a subscription gone (410) or busy (429).
 */
export async function startPushService() {
  const subscriptions = new Map<string, { ecdh: crypto.ECDH; auth: Buffer; answer: number[] }>();
  const received: ReceivedPush[] = [];
  const waiters: Array<() => void> = [];
  const server = https.createServer({ key: loopbackTls.key, cert: loopbackTls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
      const subscription = id ? subscriptions.get(id) : undefined;
      if (!id || !subscription) return void res.writeHead(404).end('no such subscription');
      const scripted = subscription.answer.shift();
      if (scripted !== undefined) return void res.writeHead(scripted).end();
      try {
        if (req.method !== 'POST') throw new Error(`method ${req.method}`);
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${req.headers['content-encoding']}`);
        const vapid = checkVapid(req.headers.authorization, `https://127.0.0.1:${port()}`);
        const payload = JSON.parse(decrypt(Buffer.concat(chunks), subscription.ecdh, subscription.auth).toString('utf8')) as unknown;
        received.push({
          subscriptionId: id,
          payload,
          ttl: req.headers.ttl as string | undefined,
          urgency: req.headers.urgency as string | undefined,
          topic: req.headers.topic as string | undefined,
          vapid,
        });
        waiters.splice(0).forEach((wake) => wake());
        res.writeHead(201).end();
      } catch (error) {
        res.writeHead(400).end((error as Error).message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;

  return {
    /** host:port, for PUSH_PRIVATE_HOSTS. */
    host: `127.0.0.1:${port()}`,
    received,
    /** A new subscription, as `PushSubscription.toJSON()` gives it. */
    subscribe(): StandInSubscription {
      const id = crypto.randomUUID();
      const ecdh = crypto.createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = crypto.randomBytes(16);
      subscriptions.set(id, { ecdh, auth, answer: [] });
      return {
        id,
        endpoint: `https://127.0.0.1:${port()}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      };
    },
    /** The next pushes to this subscription are answered with these statuses instead of being taken. */
    answer(subscriptionId: string, ...statuses: number[]) {
      subscriptions.get(subscriptionId)!.answer.push(...statuses);
    },
    /** Resolves once a push matching `match` has arrived. */
    async waitFor(match: (push: ReceivedPush) => boolean): Promise<ReceivedPush> {
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type PushServiceStandIn = Awaited<ReturnType<typeof startPushService>>;

/** `vapid t=<jwt>, k=<key>`: the JWT's ES256 signature checked with k, its audience the push service's origin. */
function checkVapid(authorization: string | undefined, origin: string): ReceivedPush['vapid'] {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`authorization ${authorization}`);
  const [signed, publicKey] = [match[1]!, match[2]!];
  const raw = Buffer.from(publicKey, 'base64url');
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
  const [header, claims, signature] = signed.split('.') as [string, string, string];
  const isValid = crypto.verify(
    'sha256',
    Buffer.from(`${header}.${claims}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!isValid) throw new Error('VAPID signature does not verify');
  const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { aud: string; sub: string; exp: number };
  if (parsed.aud !== origin) throw new Error(`VAPID audience ${parsed.aud}, expected ${origin}`);
  if (parsed.exp * 1000 < Date.now() || parsed.exp * 1000 > Date.now() + 24 * 3600 * 1000) throw new Error('VAPID exp out of range');
  return { ...parsed, publicKey };
}

/** RFC 8291 §3.4 and RFC 8188 §2: one record, the sender's public key as the key id. */
function decrypt(body: Buffer, ecdh: crypto.ECDH, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const senderPublicKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const ecdhSecret = ecdh.computeSecret(senderPublicKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderPublicKey]);
  const ikm = Buffer.from(crypto.hkdfSync('sha256', ecdhSecret, auth, keyInfo, 32));
  const cek = Buffer.from(crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('the last record lacks its 0x02 delimiter');
  return padded.subarray(0, end);
}
