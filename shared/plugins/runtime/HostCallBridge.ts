import type { Logger } from '../../logger.ts';
import { isCallPermitted, isCapabilityName } from './capabilityPermissions.ts';
import { CapabilityError, type InvokeError, type PluginHostCalls } from './types.ts';

/** The answer to one capability call, as it goes back to the worker. */
export type CallReply = { ok: true; valueJson: string } | { ok: false; error: { code: string; message: string } };

export interface HostCallLimits {
  /** Capability calls one invocation may make. */
  maxCalls: number;
  /** Largest JSON of one call's arguments, in bytes. */
  maxArgBytes: number;
}

/**
 * The API process's side of one invocation's capability bridge. The worker forwards the plugin's calls and
 * is not trusted to have checked them: the name, the size, the count and the permission are checked again
 * here, before `host.call` runs. A call the plugin was not granted ends the whole invocation as
 * `permission_denied` (through `onViolation`), whatever the plugin does with the rejected promise.
 */
export class HostCallBridge {
  private callCount = 0;
  private readonly aborter = new AbortController();

  constructor(
    private readonly permissions: readonly string[],
    private readonly host: PluginHostCalls,
    private readonly limits: HostCallLimits,
    private readonly log: Logger,
    private readonly onViolation: (error: InvokeError) => void,
  ) {}

  /** Answers one forwarded call; never throws. */
  async handle(name: string, argsJson: string): Promise<CallReply> {
    if (this.aborter.signal.aborted) return refuse('invocation_ended', 'the invocation has ended');
    this.callCount += 1;
    if (this.callCount > this.limits.maxCalls) return refuse('call_limit', `more than ${this.limits.maxCalls} capability calls`);
    if (Buffer.byteLength(argsJson) > this.limits.maxArgBytes) {
      return refuse('call_too_large', `capability arguments larger than ${this.limits.maxArgBytes} bytes`);
    }
    let args: unknown;
    try {
      args = JSON.parse(argsJson);
    } catch {
      return refuse('invalid_call', 'capability arguments are not JSON');
    }
    if (!isCapabilityName(name)) return refuse('invalid_call', 'no such capability');
    if (!Array.isArray(args)) return refuse('invalid_call', 'capability arguments must be a JSON array');
    if (!isCallPermitted(this.permissions, name, args)) {
      const message = `the plugin was not granted ${name === 'http.fetch' ? `http.fetch of ${String(args[0])}`.slice(0, 300) : name}`;
      this.onViolation({ code: 'permission_denied', message });
      return refuse('permission_denied', message);
    }
    try {
      const value = await this.host.call(name, args, { signal: this.aborter.signal });
      return { ok: true, valueJson: JSON.stringify(value ?? null) };
    } catch (error) {
      if (error instanceof CapabilityError) return refuse(error.code, error.message);
      this.log.warn({ err: error, capability: name }, 'plugin capability call failed');
      return refuse('capability_failed', `${name} failed`);
    }
  }

  /** The invocation ended: host calls still running are told to stop, later ones are refused. */
  close(): void {
    this.aborter.abort();
  }
}

function refuse(code: string, message: string): CallReply {
  return { ok: false, error: { code, message } };
}
