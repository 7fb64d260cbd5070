import { describe, expect, it } from '@jest/globals';
import { DEV_PLUGIN_PUBLIC_KEY, generateSigningKey } from '@shared/plugins/package/index.ts';
import { pluginVerifyOptions } from './pluginVerifyOptions.ts';

describe('pluginVerifyOptions', () => {
  const listed = generateSigningKey().publicKey;

  it.each([
    ['development', [listed, DEV_PLUGIN_PUBLIC_KEY]],
    ['test', [listed, DEV_PLUGIN_PUBLIC_KEY]],
    ['production', [listed]],
  ] as const)('in %s trusts %j', (env, trusted) => {
    const options = pluginVerifyOptions({ NODE_ENV: env, PLUGIN_TRUSTED_KEYS: [listed], PLUGIN_ALLOW_UNSIGNED: false });
    expect(options).toEqual({ trustedKeys: trusted, allowUnsigned: false });
  });

  it('passes PLUGIN_ALLOW_UNSIGNED through', () => {
    expect(pluginVerifyOptions({ NODE_ENV: 'production', PLUGIN_TRUSTED_KEYS: [], PLUGIN_ALLOW_UNSIGNED: true }).allowUnsigned).toBe(true);
  });
});
