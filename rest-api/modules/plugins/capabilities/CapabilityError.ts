import { CapabilityError } from '@shared/plugins/runtime/types.ts';

/**
 * What a capability call rejects with: a stable `code` and a message, which the runtime hands back to
 * the plugin as a thrown error (the runtime's own class: it tells these from host failures, which the
 * plugin sees only as `capability_failed`). Never carries a host stack or internal detail.
 */
export { CapabilityError };

/** 'permission_denied' unless the plugin was granted `permission`. */
export function requirePermission(permissions: readonly string[], permission: string): void {
  if (!permissions.includes(permission)) {
    throw new CapabilityError('permission_denied', `The plugin was not granted ${permission}`);
  }
}

/** Reads argument `index` as an object (or undefined), refusing anything else with 'invalid_argument'. */
export function objectArgument(args: unknown[], index: number, name: string): Record<string, unknown> {
  const value = args[index] ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CapabilityError('invalid_argument', `${name} must be an object`);
  }
  return value as Record<string, unknown>;
}

/** Reads a string argument within `maxLength` characters, refusing anything else with 'invalid_argument'. */
export function stringArgument(value: unknown, name: string, maxLength: number, options: { optional?: boolean } = {}): string | undefined {
  if (value === undefined && options.optional) return undefined;
  if (typeof value !== 'string') throw new CapabilityError('invalid_argument', `${name} must be a string`);
  if (value.length > maxLength) throw new CapabilityError('invalid_argument', `${name} must be at most ${maxLength} characters`);
  return value;
}
