import * as Y from 'yjs';
import type { KeyValueStorage } from '../offline/Outbox';

/**
 * A conversation's document kept on the phone (AsyncStorage), with the scope the server last gave:
 * the conversation opens offline, and its draft is editable offline exactly when it was online.
 * Written at most every 500 ms while someone types, and on close.
 */
export class LocalCopy {
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private isWiped = false;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly conversationId: string,
  ) {}

  /** The kept document state and scope; nulls when there is none (or storage failed). */
  async load(): Promise<{ update: Uint8Array | null; scope: string | null }> {
    const [saved, scope] = await Promise.all([
      this.storage.getItem(this.documentKey).catch(() => null),
      this.storage.getItem(this.scopeKey).catch(() => null),
    ]);
    return { update: saved ? base64ToBytes(saved) : null, scope };
  }

  rememberScope(scope: string): void {
    void this.storage.setItem(this.scopeKey, scope).catch(() => undefined);
  }

  /** Keeps `doc` soon (debounced). */
  scheduleSave(doc: Y.Doc): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.save(doc), SAVE_DEBOUNCE_MS);
  }

  /** Keeps `doc` now. */
  async save(doc: Y.Doc): Promise<void> {
    clearTimeout(this.saveTimer);
    if (this.isWiped) return;
    await this.storage.setItem(this.documentKey, bytesToBase64(Y.encodeStateAsUpdate(doc))).catch(() => undefined);
  }

  /** Removes the copy for good: this person may no longer read the conversation. */
  async wipe(): Promise<void> {
    this.isWiped = true;
    clearTimeout(this.saveTimer);
    await Promise.all([this.storage.removeItem(this.documentKey), this.storage.removeItem(this.scopeKey)]).catch(() => undefined);
  }

  private get documentKey(): string {
    return `twinmcp.document:${this.conversationId}`;
  }

  private get scopeKey(): string {
    return `twinmcp.scope:${this.conversationId}`;
  }
}

const SAVE_DEBOUNCE_MS = 500;

// btoa/atob exist in Hermes and Node; Buffer does not exist in React Native.
function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
