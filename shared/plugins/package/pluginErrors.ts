import { AppError, ValidationError } from '../../errors.ts';

/** How far a package's SIGNATURE.json vouches for it (Grafana's levels, plus `untrusted`). */
export type SignatureLevel = 'signed' | 'unsigned' | 'modified' | 'untrusted' | 'invalid';

/** 400 `plugin_invalid`: the package or its plugin.json is malformed, unsafe or over a limit. */
export const pluginInvalid = (message: string, details?: Record<string, unknown>) =>
  new ValidationError(message, details, 'plugin_invalid');

/** 422 `plugin_host_api`: the plugin was written for a host API this host does not provide. */
export const pluginHostApiMismatch = (wanted: string, provided: string) =>
  new AppError(422, 'plugin_host_api', `The plugin needs host API ${wanted}; this host provides ${provided}`, { wanted, provided });

/**
 * 422 `plugin_signature`: the package's signature does not let it be installed. A subclass because
 * callers (the CLI, the install route's audit row) branch on `level`.
 */
export class PluginSignatureError extends AppError {
  constructor(
    readonly level: Exclude<SignatureLevel, 'signed'>,
    reason: string,
    readonly keyId?: string,
  ) {
    super(422, 'plugin_signature', `The plugin package is ${level}: ${reason}`, { level, ...(keyId ? { keyId } : {}) });
  }
}
