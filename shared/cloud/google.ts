import type { ChannelCredentials } from '@grpc/grpc-js';
import type { Config } from '../config.ts';

/** Options every Google Cloud client library (speech, text-to-speech, vision) takes. */
export interface GoogleClientOptions {
  keyFilename: string;
  apiEndpoint?: string;
  port?: number;
  /** Channel credentials to use instead of the default TLS + service account: tests pass their own. */
  sslCreds?: ChannelCredentials;
}

/**
 * How to reach Google's APIs, or undefined when GOOGLE_APPLICATION_CREDENTIALS is unset. The key file
 * is named explicitly so the libraries never fall back to the metadata server of a machine that
 * happens to run on Google Cloud.
 */
export function googleClientOptions(
  config: Pick<Config, 'GOOGLE_APPLICATION_CREDENTIALS' | 'GOOGLE_API_ENDPOINT'>,
): GoogleClientOptions | undefined {
  if (!config.GOOGLE_APPLICATION_CREDENTIALS) return undefined;
  const options: GoogleClientOptions = { keyFilename: config.GOOGLE_APPLICATION_CREDENTIALS };
  if (config.GOOGLE_API_ENDPOINT) {
    const [host, port] = config.GOOGLE_API_ENDPOINT.split(':');
    options.apiEndpoint = host;
    if (port) options.port = Number(port);
  }
  return options;
}
