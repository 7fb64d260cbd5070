import { describe, expect, it } from '@jest/globals';
import { HostCallBridge, type HostCallLimits } from './HostCallBridge.ts';
import { FakeHost, silentLog } from './pluginRuntime.fixtures.ts';
import { CapabilityError, type InvokeError } from './types.ts';

/**
 * The API process's check of what a worker forwards. The worker is treated as compromised here: every
 * message is forged, as if the worker itself had been taken over.
 */
describe('HostCallBridge', () => {
  function bridgeFor(permissions: string[], host = new FakeHost(), limits: HostCallLimits = { maxCalls: 100, maxArgBytes: 1024 }) {
    const violations: InvokeError[] = [];
    const bridge = new HostCallBridge(permissions, host, limits, silentLog, (error) => violations.push(error));
    return { bridge, host, violations };
  }

  it('runs a granted call and answers the host value as JSON', async () => {
    const { bridge, host } = bridgeFor(['storage']);
    expect(await bridge.handle('storage.set', '["k",{"n":1}]')).toEqual({
      ok: true,
      valueJson: '{"name":"storage.set","args":["k",{"n":1}]}',
    });
    expect(host.calls).toEqual([{ name: 'storage.set', args: ['k', { n: 1 }] }]);
  });

  it('refuses a capability that was not granted, reports the violation and never calls the host', async () => {
    const { bridge, host, violations } = bridgeFor(['conversations:read']);
    expect(await bridge.handle('conversation.post', '["spam"]')).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
    expect(await bridge.handle('code.execute', '[{"language":"bash","code":"id"}]')).toMatchObject({
      ok: false,
      error: { code: 'permission_denied' },
    });
    expect(violations.map((violation) => violation.code)).toEqual(['permission_denied', 'permission_denied']);
    expect(host.calls).toHaveLength(0);
  });

  it('refuses names that are no capability and arguments that are not a JSON array', async () => {
    const { bridge, host, violations } = bridgeFor(['storage']);
    for (const name of ['process.exit', 'storage', '__proto__', 'storage.get.constructor']) {
      expect(await bridge.handle(name, '[]')).toMatchObject({ ok: false, error: { code: 'invalid_call' } });
    }
    expect(await bridge.handle('storage.get', '{"0":"k"}')).toMatchObject({ ok: false, error: { code: 'invalid_call' } });
    expect(await bridge.handle('storage.get', 'not json')).toMatchObject({ ok: false, error: { code: 'invalid_call' } });
    expect(host.calls).toHaveLength(0);
    expect(violations).toHaveLength(0);
  });

  it('lets http.fetch reach only the granted hosts, over http(s)', async () => {
    const { bridge, host } = bridgeFor(['http:api.example.com', 'http:*.cdn.example.org']);
    const fetch = (url: unknown) => bridge.handle('http.fetch', JSON.stringify([url, {}]));
    for (const url of ['https://api.example.com/v1', 'http://API.example.com:8080/x', 'https://img.cdn.example.org/a.png']) {
      expect(await fetch(url)).toMatchObject({ ok: true });
    }
    for (const url of [
      'https://api.example.com.evil.net/',
      'https://evil.net/?https://api.example.com',
      'https://cdn.example.org.evil/',
      'file:///etc/passwd',
      42,
    ]) {
      expect(await fetch(url)).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
    }
    expect(host.calls).toHaveLength(3);
  });

  it('caps the number of calls and the size of their arguments', async () => {
    const { bridge, host } = bridgeFor(['storage'], new FakeHost(), { maxCalls: 3, maxArgBytes: 20 });
    expect(await bridge.handle('storage.get', JSON.stringify(['x'.repeat(30)]))).toMatchObject({
      ok: false,
      error: { code: 'call_too_large' },
    });
    expect(await bridge.handle('storage.get', '["a"]')).toMatchObject({ ok: true });
    expect(await bridge.handle('storage.get', '["b"]')).toMatchObject({ ok: true });
    expect(await bridge.handle('storage.get', '["c"]')).toMatchObject({ ok: false, error: { code: 'call_limit' } });
    expect(host.calls).toHaveLength(2);
  });

  it("passes a CapabilityError's code and message on, and hides any other error", async () => {
    const host = new FakeHost((_name, args) => {
      if (args[0] === 'full') throw new CapabilityError('storage_quota', 'storage quota exceeded');
      throw new Error('password authentication failed for user "postgres"');
    });
    const { bridge } = bridgeFor(['storage'], host);
    expect(await bridge.handle('storage.get', '["full"]')).toEqual({
      ok: false,
      error: { code: 'storage_quota', message: 'storage quota exceeded' },
    });
    expect(await bridge.handle('storage.get', '["other"]')).toEqual({
      ok: false,
      error: { code: 'capability_failed', message: 'storage.get failed' },
    });
  });

  it('aborts host calls still running when the invocation ends, and refuses later ones', async () => {
    let signal: AbortSignal | undefined;
    const host = new FakeHost((_name, _args, callSignal) => {
      signal = callSignal;
      return new Promise(() => undefined);
    });
    const { bridge } = bridgeFor(['llm'], host);
    void bridge.handle('llm.complete', '[{"prompt":"hi"}]');
    await new Promise((resolve) => setImmediate(resolve));
    bridge.close();
    expect(signal?.aborted).toBe(true);
    expect(await bridge.handle('llm.complete', '[{"prompt":"again"}]')).toMatchObject({ ok: false, error: { code: 'invocation_ended' } });
  });
});
