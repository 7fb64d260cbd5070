/**
 * The public half of `plugins/dev-signing-key.pem`, the development signing key committed with the source.
 * Its private half is public knowledge, so a deployment trusts it only outside production: a package it
 * signed proves nothing about who wrote it.
 */
export const DEV_PLUGIN_PUBLIC_KEY = 'ed25519:w96OqsNmfeRPlyk59fmgE61w_8WbGGYnFz67Q1RWn24';

/** Where the development private key lives, relative to the repository root. */
export const DEV_PLUGIN_KEY_PATH = 'plugins/dev-signing-key.pem';
