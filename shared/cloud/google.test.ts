import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeServiceAccountKey } from '../../test/standIns/googleServiceAccount.ts';
import { googleClientOptions } from './google.ts';

describe('googleClientOptions', () => {
  let keyFile: string;
  beforeAll(async () => {
    keyFile = await writeServiceAccountKey();
  });
  afterAll(() => fs.rm(path.dirname(keyFile), { recursive: true, force: true }));

  it('is nothing while GOOGLE_APPLICATION_CREDENTIALS is unset', () => {
    expect(googleClientOptions({})).toBeUndefined();
  });

  it('signs in as the key file’s service account and reaches the configured endpoint', () => {
    const options = googleClientOptions({ GOOGLE_APPLICATION_CREDENTIALS: keyFile, GOOGLE_API_ENDPOINT: 'speech.example.internal:8443' });
    expect(options?.serviceAccount.email).toBe('collab@twinmcp-test.iam.gserviceaccount.com');
    expect(options).toMatchObject({ apiEndpoint: 'speech.example.internal', port: 8443 });
  });

  it('refuses a credential file that is not a service-account key, saying which', async () => {
    const external = path.join(path.dirname(keyFile), 'external.json');
    await fs.writeFile(external, JSON.stringify({ type: 'external_account', credential_source: { executable: { command: 'id' } } }));
    expect(() => googleClientOptions({ GOOGLE_APPLICATION_CREDENTIALS: external })).toThrow(/is not a service-account key/);
    expect(() => googleClientOptions({ GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json' })).toThrow(/cannot read/);
  });
});
