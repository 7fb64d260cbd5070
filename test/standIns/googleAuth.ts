import type crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import jwt from 'jsonwebtoken';

/** How a Google stand-in is reached: TLS (see loopbackTls.ts) and the one service account it accepts. */
export interface GoogleStandInSecurity {
  tls?: { key: Buffer; cert: Buffer };
  serviceAccount?: { email: string; publicKey: crypto.KeyObject };
}

/** The claims of a verified call token, with the key id from its header. */
export type GoogleCallToken = jwt.JwtPayload & { kid?: string };

/** TLS with the loopback certificate when `security.tls` is set, else plain gRPC. */
export function standInCredentials(security: GoogleStandInSecurity): grpc.ServerCredentials {
  const { tls } = security;
  return tls
    ? grpc.ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.cert }])
    : grpc.ServerCredentials.createInsecure();
}

/**
 * Checks a call's `authorization: Bearer` as Google checks a self-signed service-account JWT: RS256 by
 * the account's key, issuer and subject its email, audience the service's address (`https://<host>/`).
 * The verified claims; undefined when no account is expected; a gRPC UNAUTHENTICATED error otherwise.
 */
export function verifyCallToken(metadata: grpc.Metadata, security: GoogleStandInSecurity, audience: string): GoogleCallToken | undefined {
  const account = security.serviceAccount;
  if (!account) return undefined;
  const token = String(metadata.get('authorization')[0] ?? '').replace(/^Bearer /, '');
  try {
    const claims = jwt.verify(token, account.publicKey, { algorithms: ['RS256'], issuer: account.email, subject: account.email, audience });
    return { ...(claims as jwt.JwtPayload), kid: jwt.decode(token, { complete: true })?.header.kid };
  } catch (error) {
    throw Object.assign(new Error(`invalid credentials: ${(error as Error).message}`), { code: grpc.status.UNAUTHENTICATED });
  }
}
