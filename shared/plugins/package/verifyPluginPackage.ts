import semver from 'semver';
import { HOST_API_VERSION } from './hostApi.ts';
import { checkPackageSignature } from './checkPackageSignature.ts';
import { parsePluginManifest } from './parsePluginManifest.ts';
import { pluginHostApiMismatch, pluginInvalid, PluginSignatureError, type SignatureLevel } from './pluginErrors.ts';
import { type PluginManifest } from './PluginManifestSchema.ts';
import { type PluginPackage } from './PluginPackage.ts';

/** How strict an install is. */
export interface VerifyOptions {
  /** Key ids (`ed25519:…`) whose signatures make a package `signed`. */
  trustedKeys: readonly string[];
  /** Admit `unsigned` and `untrusted` packages too (development, self-hosted plugins). Never admits `modified` or `invalid`. */
  allowUnsigned: boolean;
  /** The host API version to check `hostApi` against; HOST_API_VERSION unless a test says otherwise. */
  hostApiVersion?: string;
}

/** The levels a package can be installed at. */
export type AdmittedLevel = Extract<SignatureLevel, 'signed' | 'unsigned' | 'untrusted'>;

/** A package that may be installed: its manifest, how it is signed and the source of its entry module. */
export interface VerifiedPlugin {
  /** The validated plugin.json. */
  manifest: PluginManifest;
  /** The signature level it was admitted at, and the signer's key id when there is one. */
  signature: { level: AdmittedLevel; keyId?: string };
  /** The entry module's source (UTF-8). */
  entrySource: string;
}

const isAdmitted = (level: SignatureLevel, allowUnsigned: boolean): level is AdmittedLevel =>
  level === 'signed' || (allowUnsigned && (level === 'unsigned' || level === 'untrusted'));

/**
 * Decides whether a package may be installed. The signature comes first, so nothing the package says is
 * read before it is known to be intact: a `modified` or `invalid` package is refused whatever the options
 * (someone changed it, or tried to), while `unsigned` and `untrusted` are refused unless `allowUnsigned`
 * (`plugin_signature`, 422). Then plugin.json must be valid (`plugin_invalid`, 400) and its `hostApi`
 * range must admit this host's API version (`plugin_host_api`, 422).
 */
export function verifyPluginPackage(pkg: PluginPackage, options: VerifyOptions): VerifiedPlugin {
  const { level, keyId, reason } = checkPackageSignature(pkg.files, options.trustedKeys);
  if (!isAdmitted(level, options.allowUnsigned)) throw new PluginSignatureError(level, reason, keyId);
  const manifest = parsePluginManifest(pkg.files);
  const hostApiVersion = options.hostApiVersion ?? HOST_API_VERSION;
  if (!semver.satisfies(hostApiVersion, manifest.hostApi)) throw pluginHostApiMismatch(manifest.hostApi, hostApiVersion);
  let entrySource: string;
  try {
    entrySource = new TextDecoder('utf-8', { fatal: true }).decode(pkg.files.get(manifest.entry));
  } catch {
    throw pluginInvalid(`The entry module ${manifest.entry} is not UTF-8 text`);
  }
  return { manifest, signature: keyId ? { level, keyId } : { level }, entrySource };
}
