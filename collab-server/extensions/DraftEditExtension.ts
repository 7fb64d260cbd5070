import type { Extension, Hocuspocus, onConfigurePayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Bus } from '@shared/bus.ts';
import type { Logger } from '@shared/logger.ts';
import { applyToOpenDocument } from '../applyToOpenDocument.ts';

interface DraftEditExtensionOptions {
  bus: Bus;
  log: Logger;
}

/**
 * Brings an edit of the shared draft made through the API (the MCP endpoint's `append_to_draft`) into
 * the documents open on this node, live — the rename's way (RenameExtension.ts): the API made the edit
 * against the document as PostgreSQL holds it and logged it, and the event carries that very edit, so
 * applying it here, on another node too, or again at the next load, is one edit, never two paragraphs.
 */
export class DraftEditExtension implements Extension {
  readonly extensionName = 'DraftEditExtension';
  private readonly log: Logger;
  private instance!: Hocuspocus;
  private unsubscribe?: () => void;

  constructor(private readonly options: DraftEditExtensionOptions) {
    this.log = options.log.child({ module: 'collab.draft' });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
    this.unsubscribe = this.options.bus.subscribe('draft.edited', async ({ conversationId, update }) => {
      const edit = new Uint8Array(Buffer.from(update, 'base64'));
      if (await applyToOpenDocument(this.instance, conversationId, 'draft', (document) => Y.applyUpdate(document, edit))) {
        this.log.debug({ conversationId }, 'draft edit applied to the open document');
      }
    });
  }

  async onDestroy(): Promise<void> {
    this.unsubscribe?.();
  }
}
