import crypto from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packPlugin, signPluginDirectory } from '@shared/plugins/package/index.ts';
import { PluginFixtures, wordCountManifest } from '@shared/plugins/package/package.fixtures.ts';
import { expect } from '@jest/globals';
import { bearer, type TestUser } from '../../../test/factories.ts';
import type { TestApp } from '../../../test/http.ts';
import type { PluginInvocation, PluginInvocationResult, PluginRuntimePort } from './pluginRuntimePort.ts';

/** A fresh plugin id, so tests never share a plugin. */
export const newPluginId = () => `com.test.p${crypto.randomBytes(5).toString('hex')}`;

/** A manifest with two tools: `echo` (one required string field) and `wipe` (destructive). */
export function testManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return wordCountManifest({
    id: newPluginId(),
    version: '1.0.0',
    permissions: ['conversations:read'],
    tools: [
      {
        name: 'echo',
        description: 'Answers its text',
        inputSchema: { type: 'object', properties: { text: { type: 'string', maxLength: 100 } }, required: ['text'] },
        annotations: { readOnlyHint: true },
      },
      { name: 'wipe', description: 'Deletes everything it kept', inputSchema: { type: 'object' }, annotations: { destructiveHint: true } },
    ],
    ...overrides,
  });
}

/** Builds package files (.tgz) in temp folders: signed by a key, unsigned, or changed after signing. */
export class PluginPackages {
  readonly fixtures = new PluginFixtures();

  constructor(private readonly privateKeyPem: string) {}

  async signed(manifest: Record<string, unknown>, key = this.privateKeyPem): Promise<Buffer> {
    const dir = await this.fixtures.pluginDir({ manifest });
    await signPluginDirectory(dir, key);
    return packPlugin(dir);
  }

  async unsigned(manifest: Record<string, unknown>): Promise<Buffer> {
    return packPlugin(await this.fixtures.pluginDir({ manifest }));
  }

  /** Signed, then its entry module changed. */
  async tampered(manifest: Record<string, unknown>): Promise<Buffer> {
    const dir = await this.fixtures.pluginDir({ manifest });
    await signPluginDirectory(dir, this.privateKeyPem);
    await appendFile(join(dir, 'dist/index.js'), 'globalThis.evil = true;\n');
    return packPlugin(dir);
  }
}

/** A runtime that runs nothing: it records each invocation and answers as `answer` says. */
export class FakeRuntime implements PluginRuntimePort {
  readonly invocations: PluginInvocation[] = [];
  readonly stopped: string[] = [];
  answer: (invocation: PluginInvocation) => PluginInvocationResult | Promise<PluginInvocationResult> = (invocation) => ({
    ok: true,
    output: { echoed: invocation.input },
    durationMs: 3,
    coldStart: true,
  });

  async invoke(invocation: PluginInvocation): Promise<PluginInvocationResult> {
    this.invocations.push(invocation);
    return this.answer(invocation);
  }

  async stopPlugin(id: string): Promise<void> {
    this.stopped.push(id);
  }

  async close(): Promise<void> {}
}

/** Installs a package (.tgz) as `operator` and puts it in the default set; returns the plugin's id. */
export async function installAsDefault(t: TestApp, operator: TestUser, tgz: Buffer): Promise<string> {
  const res = await t.request.post('/api/plugins').set(bearer(operator)).attach('package', tgz, 'plugin.tgz');
  expect(res.status).toBe(201);
  const id = res.body.data.id as string;
  expect((await t.request.patch(`/api/plugins/${id}`).set(bearer(operator)).send({ isDefault: true })).status).toBe(200);
  return id;
}
