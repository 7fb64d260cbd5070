import { AppError, ValidationError } from '@shared/errors.ts';

/** 413: the file is over the route's size cap. */
export const payloadTooLarge = (maxBytes: number) =>
  new AppError(413, 'payload_too_large', `The file is larger than the limit of ${maxBytes} bytes`);

/** 415: the bytes are of a type the route does not take (whatever the client said they were). */
export const unsupportedMediaType = (found: string) =>
  new AppError(415, 'unsupported_media_type', `Files of type ${found} are not accepted here`);

/** 400: the body is not a well-formed multipart form with just the expected file. */
export const malformedMultipart = (message: string) => new ValidationError(message, undefined, 'malformed_multipart');

/** 400 on a request whose client left mid-body: nobody reads the answer, but it is no server fault either. */
export const requestAborted = () => new ValidationError('The request was aborted', undefined, 'request_aborted');

/** The store failed while taking an upload: a 500, logged with its cause. */
export class UploadStorageError extends Error {
  constructor(cause: unknown) {
    super('Storing the upload failed', { cause });
    this.name = 'UploadStorageError';
  }
}
