import fs from 'node:fs';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { JWT } from 'google-auth-library';
import type { Config } from '../config.ts';

/** Options every Google Cloud client library (speech, text-to-speech, vision) takes. */
export interface GoogleClientOptions {
  /** The service account the calls are made as. */
  authClient: JWT;
  apiEndpoint?: string;
  port?: number;
  /** Channel credentials to use instead of the default TLS + service account: tests pass their own. */
  sslCreds?: ChannelCredentials;
}

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

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
  const options: GoogleClientOptions = { authClient: serviceAccount(config.GOOGLE_APPLICATION_CREDENTIALS) };
  if (config.GOOGLE_API_ENDPOINT) {
    const [host, port] = config.GOOGLE_API_ENDPOINT.split(':');
    options.apiEndpoint = host;
    if (port) options.port = Number(port);
  }
  return options;
}

function serviceAccount(file: string): JWT {
  let key: { type?: unknown; client_email?: unknown; private_key?: unknown };
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
  return new JWT({ email: key.client_email, key: key.private_key, scopes: [CLOUD_PLATFORM_SCOPE] });
}
