import crypto from 'node:crypto';

/** Where an analysed image without a conversation is kept: under its owner, so an account's images are one prefix. */
export const newImageKey = (userId: string) => `images/${userId}/${crypto.randomUUID()}`;

/** Where a thumbnail is kept. Cached analyses point at the thumbnail of the analysis they reuse. */
export const newThumbnailKey = () => `image-thumbnails/${crypto.randomUUID()}.webp`;
