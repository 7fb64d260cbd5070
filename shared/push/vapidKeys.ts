import webpush from 'web-push';
import type { Config } from '../config.ts';
import type { Db } from '../db.ts';

/** What signs a Web Push request (RFC 8292): the key pair and who push services may contact. */
export interface VapidDetails {
  subject: string;
  publicKey: string;
  privateKey: string;
}

interface VapidKeyRow {
  public_key: string;
  private_key: string;
}

/**
 * The deployment's VAPID details: VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY when set; otherwise the pair the
 * first node made and stored, so every node signs alike and browsers' subscriptions (bound to the
 * public key) survive restarts. Made with `insert … on conflict do nothing`: two nodes starting
 * together keep one pair.
 */
export async function loadVapidDetails(
  db: Db,
  config: Pick<Config, 'VAPID_PUBLIC_KEY' | 'VAPID_PRIVATE_KEY' | 'VAPID_SUBJECT' | 'EMAIL_FROM'>,
): Promise<VapidDetails> {
  const subject = config.VAPID_SUBJECT ?? `mailto:${addressOf(config.EMAIL_FROM)}`;
  if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY) {
    return { subject, publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY };
  }
  const made = webpush.generateVAPIDKeys();
  await db('push_vapid_keys').insert({ id: 1, public_key: made.publicKey, private_key: made.privateKey }).onConflict('id').ignore();
  const stored = await db('push_vapid_keys').where({ id: 1 }).first<VapidKeyRow>();
  return { subject, publicKey: stored.public_key, privateKey: stored.private_key };
}

/** `Name <a@b>` → `a@b`. */
function addressOf(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
}
