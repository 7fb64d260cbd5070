/** Plugin packages: what decides whether a package may be installed. Other code imports from here. */
export { DEV_PLUGIN_PUBLIC_KEY } from './devKey.ts';
export { HOST_API_VERSION } from './hostApi.ts';
export { packPlugin } from './packPlugin.ts';
export { DEFAULT_PACKAGE_LIMITS, type PackageLimits } from './packageLimits.ts';
export { parsePluginManifest } from './parsePluginManifest.ts';
export { PluginSignatureError, type SignatureLevel } from './pluginErrors.ts';
export { type PluginManifest } from './PluginManifestSchema.ts';
export { FIXED_PERMISSIONS, type PluginPermission } from './pluginPermission.ts';
export { type PluginPackage } from './PluginPackage.ts';
export { readPackageArchive } from './readPackageArchive.ts';
export { readPluginPackage, type PackageSource } from './readPluginPackage.ts';
export { signPluginDirectory } from './signPluginDirectory.ts';
export { generateSigningKey, parseTrustedKeys } from './signingKeys.ts';
export { verifyPluginPackage, type VerifiedPlugin, type VerifyOptions } from './verifyPluginPackage.ts';
