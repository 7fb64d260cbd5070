/**
 * Access levels, weakest first. Every question "may this principal do X to this conversation?"
 * reduces to "is its level at least X's level?".
 */
export const ACCESS_LEVELS = ['none', 'read', 'comment', 'write', 'manage'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** True when `level` grants at least `required`. */
export function atLeast(level: AccessLevel, required: AccessLevel): boolean {
  return ACCESS_LEVELS.indexOf(level) >= ACCESS_LEVELS.indexOf(required);
}
