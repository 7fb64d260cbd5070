import fs from 'node:fs';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { JWT } from 'google-auth-library';
import type { Config } from '../config.ts';

/** A service-account key's identity and private key. */
export interface ServiceAccount {
  email: string;
  key: string;
  keyId?: string;
}

/** Options every Google Cloud client library (speech, text-to-speech, vision) takes. */
export interface GoogleClientOptions {
  /** The service account the calls are made as. */
  serviceAccount: ServiceAccount;
  apiEndpoint?: string;
  port?: number;
  /** Channel credentials to use instead of the default TLS + service account: tests pass their own. */
  sslCreds?: ChannelCredentials;
}

/**
 * How to reach Google's APIs, or undefined when GOOGLE_APPLICATION_CREDENTIALS is unset. The key file
 * is read here, once, and must be a service-account key: Google warns that a credential file naming
 * an external token source can make the library fetch from, or run, whatever the file says, so only
 * the one kind this product needs is accepted. Naming it explicitly also keeps the libraries from
 * falling back to the metadata server of a machine that happens to run on Google Cloud.
 */
export function googleClientOptions(
  config: Pick<Config, 'GOOGLE_APPLICATION_CREDENTIALS' | 'GOOGLE_API_ENDPOINT'>,
): GoogleClientOptions | undefined {
  if (!config.GOOGLE_APPLICATION_CREDENTIALS) return undefined;
  const options: GoogleClientOptions = { serviceAccount: readServiceAccount(config.GOOGLE_APPLICATION_CREDENTIALS) };
  if (config.GOOGLE_API_ENDPOINT) {
    const [host, port] = config.GOOGLE_API_ENDPOINT.split(':');
    options.apiEndpoint = host;
    if (port) options.port = Number(port);
  }
  return options;
}

function readServiceAccount(file: string): ServiceAccount {
  let key: { type?: unknown; client_email?: unknown; private_key?: unknown; private_key_id?: unknown };
  try {
    key = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof key;
  } catch (error) {
    throw new Error(`GOOGLE_APPLICATION_CREDENTIALS: cannot read ${file} as JSON (${(error as Error).message})`, { cause: error });
  }
  if (key.type !== 'service_account' || typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new Error(
      `GOOGLE_APPLICATION_CREDENTIALS: ${file} is not a service-account key (type service_account, client_email, private_key)`,
    );
  }
  return {
    email: key.client_email,
    key: key.private_key,
    ...(typeof key.private_key_id === 'string' ? { keyId: key.private_key_id } : {}),
  };
}

/**
 * What one client library's client is constructed with. The service account becomes a signer of that
 * client's own: with no scopes of ours, the library signs each call's token itself (RS256, audience the
 * API's own address, `kid` the key's id) instead of trading an assertion for an access token at Google's
 * token endpoint first — Google's recommended way for service accounts, one network dependency and round
 * trip fewer. Own, because each client sets its signer's audience to its service: speech and
 * text-to-speech sharing one signed one's tokens for the other, which Google refuses.
 */
export function optionsForOneClient(options: GoogleClientOptions): {
  authClient: JWT;
  apiEndpoint?: string;
  port?: number;
  sslCreds?: ChannelCredentials;
} {
  const { serviceAccount, ...rest } = options;
  return { ...rest, authClient: new JWT(serviceAccount) };
}
