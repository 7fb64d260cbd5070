import type { AttachmentAnalysis } from './types.ts';

/** A message's attachments as the REST API answers them, with their analysis when an image was analysed. */
export type FetchMessageAttachments = (messageId: string) => Promise<Array<{ id: string; analysis?: AttachmentAnalysis | null }>>;

/**
 * The analyses of the room's pictures, by attachment id. The live document's message entries may carry
 * no analysis, so they come from what the page already knows (the REST messages it loaded, the images
 * this person just analysed) or, once per message, from the REST message itself; `onFound` then
 * re-renders the list.
 */
export class AnalysisLookup {
  private readonly known = new Map<string, AttachmentAnalysis | null>();
  private readonly asked = new Set<string>();

  constructor(private readonly options: { fetchMessage?: FetchMessageAttachments; onFound(): void }) {}

  remember(attachmentId: string, analysis: AttachmentAnalysis | null | undefined): void {
    if (analysis) this.known.set(attachmentId, analysis);
  }

  /** The analysis of an attachment if known; otherwise asks for the message's once, in the background. */
  find(messageId: string, attachment: { id: string; contentType: string }): AttachmentAnalysis | undefined {
    const analysis = this.known.get(attachment.id);
    if (analysis) return analysis;
    if (attachment.contentType.startsWith('image/') && this.options.fetchMessage && !this.asked.has(messageId)) {
      this.asked.add(messageId);
      void this.options
        .fetchMessage(messageId)
        .then((attachments) => {
          let found = false;
          for (const each of attachments)
            if (each.analysis && !this.known.has(each.id)) {
              this.known.set(each.id, each.analysis);
              found = true;
            }
          if (found) this.options.onFound();
        })
        // Left as a plain picture: a failed look-up is not worth an error on the page.
        .catch(() => undefined);
    }
    return undefined;
  }
}
