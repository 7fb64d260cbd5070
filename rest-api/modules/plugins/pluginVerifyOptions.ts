import type { Config } from '@shared/config.ts';
import { DEV_PLUGIN_PUBLIC_KEY, type VerifyOptions } from '@shared/plugins/package/index.ts';

/**
 * How strictly this deployment installs packages: the keys PLUGIN_TRUSTED_KEYS lists, plus the
 * development key outside production (its private half ships with the source, so in production it
 * would vouch for anyone), and PLUGIN_ALLOW_UNSIGNED.
 */
export function pluginVerifyOptions(config: Pick<Config, 'NODE_ENV' | 'PLUGIN_TRUSTED_KEYS' | 'PLUGIN_ALLOW_UNSIGNED'>): VerifyOptions {
  const devKey = config.NODE_ENV === 'production' ? [] : [DEV_PLUGIN_PUBLIC_KEY];
  return { trustedKeys: [...config.PLUGIN_TRUSTED_KEYS, ...devKey], allowUnsigned: config.PLUGIN_ALLOW_UNSIGNED };
}
