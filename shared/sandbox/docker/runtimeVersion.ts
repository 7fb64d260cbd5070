/**
 * The runtime version an image carries: the full version from the variable the official images set
 * (`PYTHON_VERSION=3.12.7`), else the image's tag (`3.12-alpine`), else `latest` as the engine assumes.
 */
export function runtimeVersion(image: string, env: string[], versionVariable: string): string {
  const fromEnv = env.find((entry) => entry.startsWith(`${versionVariable}=`))?.slice(versionVariable.length + 1);
  if (fromEnv) return fromEnv;
  // A colon after the last slash starts the tag; one before it belongs to a registry's port.
  const name = image.split('@')[0] ?? image;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(colon + 1) : 'latest';
}
