import type { Request } from 'express';
import type { ObjectStorage } from '@shared/storage/index.ts';

/** What a route that takes a file declares; the router streams the file to storage before the handler runs. */
export interface UploadSpec {
  /** The multipart field that carries the file; the only part the body may have. */
  field: string;
  /** Largest file accepted, in bytes; a bigger one answers 413 and nothing is kept. */
  maxBytes: number;
  /**
   * Media types accepted, as sniffed from the bytes (never the client's word): exact types or
   * `type/*`; `text/plain` (or `text/*`) also admits valid UTF-8 text that has no signature. `any`
   * takes everything, unknown bytes as application/octet-stream.
   */
  accept: readonly string[] | 'any';
  /** Where the bytes go: object storage, or a sink that holds them for the handler to store (images). */
  storage: Pick<ObjectStorage, 'put' | 'delete'>;
  /** A fresh key for this request's file, from the validated request; never from the client's file name. */
  key: (req: Request) => string;
}

/** A file that reached storage, as the handler sees it on `req.upload`. */
export interface StoredUpload {
  /** Where it is stored. */
  key: string;
  /** The client's file name, sanitized, for display only. */
  name: string;
  /** Sniffed from the bytes. */
  contentType: string;
  size: number;
  /** Hex SHA-256 of the stored bytes. */
  sha256: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The uploaded file, on routes that declare `upload`; set before the handler runs. */
    upload?: StoredUpload;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augments the global Express.Multer namespace of @types/multer
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-namespace -- as above
    namespace Multer {
      interface File {
        /** The storage key ObjectStorageEngine wrote the file to. */
        storageKey?: string;
        /** Hex SHA-256 of the stored bytes. */
        sha256?: string;
      }
    }
  }
}
