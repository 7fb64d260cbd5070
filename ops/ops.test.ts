import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { grantOperator } from '@shared/operators.ts';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from '../test/http.ts';
import { bearer, registerUser, type TestUser } from '../test/factories.ts';
import { spawnEntryPoint, type EntryPointProcess, type LogLine } from '../test/processes.ts';

describe('the operator role: npm run ops, and OPERATOR_EMAILS at start', () => {
  let t: TestApp;
  const children: EntryPointProcess[] = [];

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
    await t?.close();
  });

  const env = () => ({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    DATA_DIR: '/nonexistent-test-data-dir',
    DATABASE_URL: t.config.DATABASE_URL!,
  });
  /** Runs `npm run ops -- <args>` on the test database; resolves with its exit code and log lines. */
  async function ops(...args: string[]): Promise<{ code: number | null; logs: LogLine[]; stderr: string }> {
    const run = spawnEntryPoint('ops/ops.ts', env(), args);
    children.push(run);
    const { code } = await run.exited;
    return { code, logs: run.logs, stderr: run.stderr() };
  }
  const newUser = () => registerUser(t, { email: `Ops.Person-${crypto.randomUUID()}@Example.com` });
  const jobsStatus = async (user: TestUser) => (await t.request.get('/api/ops/jobs').set(bearer(user))).status;
  const trail = (user: TestUser) =>
    t.services
      .db('audit_log')
      .where({ subject_type: 'user', subject_id: user.id })
      .whereLike('action', 'operator.%')
      .orderBy('id')
      .select('action', 'actor_id', 'data');

  it('grant-operator makes the account an operator at once (any letter case), audited; granting again changes nothing', async () => {
    const user = await newUser();
    expect(await jobsStatus(user)).toBe(403);
    const granted = await ops('grant-operator', user.email.toLowerCase());
    expect(granted.code).toBe(0);
    expect(granted.logs.at(-1)).toMatchObject({ msg: 'operator granted', userId: user.id });
    expect(await jobsStatus(user)).toBe(200);

    const again = await ops('grant-operator', user.email);
    expect(again.code).toBe(0);
    expect(again.logs.at(-1)).toMatchObject({ msg: 'operator granted already; nothing changed' });
    const listed = await ops('list-operators');
    expect(listed.logs.at(-1)).toMatchObject({
      operators: expect.arrayContaining([expect.objectContaining({ userId: user.id, email: user.email })]),
    });
    expect(await trail(user)).toEqual([{ action: 'operator.granted', actor_id: null, data: { email: user.email, source: 'cli' } }]);
  }, 60_000);

  it('revoke-operator takes the role away from the next request on, audited', async () => {
    const user = await newUser();
    await grantOperator(t.services.db, user.email, 'OPERATOR_EMAILS');
    expect(await jobsStatus(user)).toBe(200);
    const revoked = await ops('revoke-operator', user.email);
    expect(revoked.code).toBe(0);
    expect(revoked.logs.at(-1)).toMatchObject({ msg: 'operator revoked', userId: user.id });
    expect(await jobsStatus(user)).toBe(403);
    expect((await trail(user)).at(-1)).toEqual({ action: 'operator.revoked', actor_id: null, data: { email: user.email, source: 'cli' } });
  }, 30_000);

  it('exits 1 for an address with no account, and 2 with the usage for anything else', async () => {
    const user = await newUser();
    const operatorsBefore = await t.services.db('operators').orderBy('user_id');
    const unknown = await ops('grant-operator', 'nobody-here@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.logs.at(-1)).toMatchObject({ msg: 'no account has this email', email: 'nobody-here@example.com' });
    for (const args of [[], ['grant-operator'], ['promote', user.email], ['revoke-operator', user.email, 'extra']]) {
      const wrong = await ops(...args);
      expect({ args, code: wrong.code }).toEqual({ args, code: 2 });
      expect(wrong.stderr).toContain('Usage: npm run ops');
    }
    expect(await t.services.db('operators').orderBy('user_id')).toEqual(operatorsBefore);
  }, 60_000);

  it('grants OPERATOR_EMAILS when a server starts, and logs the addresses that have no account yet', async () => {
    const user = await newUser();
    expect(await jobsStatus(user)).toBe(403);
    const rest = spawnEntryPoint('rest-api/main.ts', {
      ...env(),
      HOST: '127.0.0.1',
      PORT: '0',
      OPERATOR_EMAILS: ` ${user.email.toUpperCase()} , later@example.com`,
    });
    children.push(rest);
    const port = Number((await rest.waitForLog('rest-api listening')).port);
    expect(rest.logs.find((line) => line.msg === 'operator granted from OPERATOR_EMAILS')).toMatchObject({ userId: user.id });
    expect(rest.logs.find((line) => line.msg?.startsWith('OPERATOR_EMAILS names an address with no account'))).toMatchObject({
      email: 'later@example.com',
    });
    const res = await fetch(`http://127.0.0.1:${port}/api/ops/jobs`, { headers: bearer(user) });
    expect(res.status).toBe(200);
    expect(await trail(user)).toEqual([
      { action: 'operator.granted', actor_id: null, data: { email: user.email, source: 'OPERATOR_EMAILS' } },
    ]);
    rest.child.kill('SIGTERM');
    expect(await rest.exited).toEqual({ code: 0, signal: null });
  }, 90_000);
});
