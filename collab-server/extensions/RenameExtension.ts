import type { Extension, Hocuspocus, onConfigurePayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Bus } from '@shared/bus.ts';
import type { Logger } from '@shared/logger.ts';
import { applyToOpenDocument } from '../applyToOpenDocument.ts';

interface RenameExtensionOptions {
  bus: Bus;
  log: Logger;
}

/**
 * Brings a rename made through the REST API into the documents open on this node, live. The API makes
 * the rename as a Yjs edit to the title and appends it to the document's update log
 * (shared/documents/documentTitle.ts); the event carries that very edit, so every node that holds the
 * document applies the same edit — applying it twice, or on two nodes, is one edit, never two titles —
 * and a node that loads the document later reads it from the log. Renames the collab server itself
 * wrote back to the table (source `document`) are already in the document.
 */
export class RenameExtension implements Extension {
  readonly extensionName = 'RenameExtension';
  private readonly log: Logger;
  private instance!: Hocuspocus;
  private unsubscribe?: () => void;

  constructor(private readonly options: RenameExtensionOptions) {
    this.log = options.log.child({ module: 'collab.rename' });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
    this.unsubscribe = this.options.bus.subscribe('conversation.renamed', async ({ conversationId, source, update }) => {
      if (source !== 'api' || !update) return;
      const edit = new Uint8Array(Buffer.from(update, 'base64'));
      if (await applyToOpenDocument(this.instance, conversationId, 'rename', (document) => Y.applyUpdate(document, edit))) {
        this.log.debug({ conversationId }, 'rename applied to the open document');
      }
    });
  }

  async onDestroy(): Promise<void> {
    this.unsubscribe?.();
  }
}
