import type { RequestHandler } from 'express';
import multer from 'multer';
import { AppError, ValidationError } from '@shared/errors.ts';
import { displayName } from './displayName.ts';
import { ObjectStorageEngine } from './ObjectStorageEngine.ts';
import { malformedMultipart, payloadTooLarge, requestAborted, UploadStorageError } from './uploadErrors.ts';
import type { UploadSpec } from './UploadSpec.ts';

/**
 * Takes the route's one file from a multipart body and streams it to storage (ObjectStorageEngine),
 * then sets `req.upload`. Multer rather than bare busboy: the product already chose it, and it owns
 * the fiddly parts — limits, a client that aborts mid-body, a form that breaks after a file was stored
 * (it asks the engine to remove it) and draining the body before an error answer — while the engine
 * keeps the bytes streaming to storage. The form may hold exactly one part: the file.
 */
export function createUploadMiddleware(spec: UploadSpec): RequestHandler {
  const parse = multer({
    storage: new ObjectStorageEngine(spec),
    limits: { fileSize: spec.maxBytes, files: 1, fields: 0, parts: 1 },
    // Browsers send UTF-8 file names raw; busboy would read them as Latin-1.
    defParamCharset: 'utf8',
  }).single(spec.field);

  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next(missingFile(spec));
    parse(req, res, (error?: unknown) => {
      if (error) return next(uploadError(error, spec, req.destroyed || req.readableAborted));
      const file = req.file;
      if (!file?.storageKey || !file.sha256) return next(missingFile(spec));
      req.upload = {
        key: file.storageKey,
        name: displayName(file.originalname),
        contentType: file.mimetype,
        size: file.size,
        sha256: file.sha256,
      };
      next();
    });
  };
}

function missingFile(spec: UploadSpec): ValidationError {
  const message = `a multipart/form-data body with a file in the \`${spec.field}\` field is required`;
  return new ValidationError(`${spec.field}: ${message}`, { fields: [{ field: spec.field, message }] });
}

/** What a failed upload answers: the cap, the type, the form, an aborted request, or (the store failing) a 500. */
function uploadError(error: unknown, spec: UploadSpec, isAborted: boolean): unknown {
  if (error instanceof multer.MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return payloadTooLarge(spec.maxBytes);
    return malformedMultipart(`The form must hold exactly one part: a file in the \`${spec.field}\` field`);
  }
  if (error instanceof AppError) return error;
  if (error instanceof UploadStorageError) return error.cause;
  if (isAborted) return requestAborted();
  // What is left came from busboy reading the body: no boundary, a broken part, a body cut short.
  return malformedMultipart(`Malformed multipart body: ${error instanceof Error ? error.message : 'unreadable'}`);
}
