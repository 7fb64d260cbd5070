import crypto from 'node:crypto';

/** Every object of a conversation's attachments lives under this prefix, so deleting the conversation is one prefix. */
export const conversationAttachmentsPrefix = (conversationId: string) => `attachments/${conversationId}/`;

/** A fresh, unguessable key for one upload to the conversation. */
export const newAttachmentKey = (conversationId: string) => `${conversationAttachmentsPrefix(conversationId)}${crypto.randomUUID()}`;
