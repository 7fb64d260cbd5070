import { AppError } from '@shared/errors.ts';

/**
 * Why a planned switchover did not happen, by stable code. `switchover_unavailable` is 501 as for the
 * other capabilities a deployment has to be configured for (physical backups without pgBackRest): it
 * does not change by retrying, only by configuring DATABASE_MONITOR_URL and a multi-host DATABASE_URL.
 */
const STATUS = {
  switchover_unavailable: 501,
  switchover_in_progress: 409,
  no_healthy_standby: 409,
  switchover_refused: 409,
  switchover_target_unknown: 404,
  switchover_timeout: 504,
} as const;

export type SwitchoverErrorCode = keyof typeof STATUS;

/** A switchover refused or not finished in time; an unreachable monitor is an UnavailableError (503, Retry-After). */
export class SwitchoverError extends AppError {
  constructor(
    override readonly code: SwitchoverErrorCode,
    message: string,
  ) {
    super(STATUS[code], code, message);
  }
}
