import { grantOperator } from '@shared/operators.ts';
import type { TestApp } from '../../../test/http.ts';
import { bearer, registerUser, type TestUser } from '../../../test/factories.ts';

/** A registered user holding the operator role. */
export async function registerOperator(t: TestApp): Promise<TestUser> {
  const operator = await registerUser(t);
  await grantOperator(t.services.db, operator.email, 'cli');
  return operator;
}

/** A service account created through the API, with the key it was given. */
export interface TestServiceAccount {
  id: string;
  apiKey: string;
  keyPrefix: string;
}

/** Creates a service account as the operator, scoped as given. */
export async function createServiceAccount(
  t: TestApp,
  operator: TestUser,
  scope: { workspaceIds?: string[]; conversationIds?: string[] },
  name = 'AI backend',
): Promise<TestServiceAccount> {
  const res = await t.request
    .post('/api/service-accounts')
    .set(bearer(operator))
    .send({ name, ...scope });
  if (res.status !== 201) throw new Error(`create service account failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { id, apiKey, keyPrefix } = res.body.data;
  return { id, apiKey, keyPrefix };
}

/** `Authorization` header for a service account. */
export const keyHeader = (account: Pick<TestServiceAccount, 'apiKey'>) => ({ Authorization: `Bearer ${account.apiKey}` });
