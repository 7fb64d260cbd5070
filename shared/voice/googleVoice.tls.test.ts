import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGoogleSpeechStandIn, type GoogleSpeechStandIn } from '../../test/standIns/googleSpeech.ts';
import { writeServiceAccountKey } from '../../test/standIns/googleServiceAccount.ts';
import { loopbackTls } from '../../test/standIns/loopbackTls.ts';
import { googleClientOptions } from '../cloud/google.ts';
import { GoogleVoice } from './googleVoice.ts';

/**
 * The Google path as a deployment runs it: TLS with the default roots and the service account of
 * GOOGLE_APPLICATION_CREDENTIALS, to a stand-in that checks each call's token the way Google checks a
 * self-signed service-account JWT. No channel credentials are handed in by the test.
 */
describe('GoogleVoice over TLS, signed in as the service account', () => {
  let keyFile: string;
  let key: { client_email: string; private_key: string; private_key_id: string };
  let standIn: GoogleSpeechStandIn;
  let voice: GoogleVoice;

  beforeAll(async () => {
    keyFile = await writeServiceAccountKey();
    key = JSON.parse(await fs.readFile(keyFile, 'utf8')) as typeof key;
    standIn = await startGoogleSpeechStandIn({
      tls: loopbackTls,
      serviceAccount: { email: key.client_email, publicKey: crypto.createPublicKey(key.private_key) },
    });
    voice = new GoogleVoice(googleClientOptions({ GOOGLE_APPLICATION_CREDENTIALS: keyFile, GOOGLE_API_ENDPOINT: standIn.endpoint })!);
  });
  afterAll(async () => {
    await voice?.close();
    await standIn?.close();
    await fs.rm(path.dirname(keyFile), { recursive: true, force: true });
  });

  it('sends a token Google would accept: RS256 by the account’s key, its key id, the service as audience', async () => {
    const transcript = await voice.transcribe(Buffer.alloc(32_000), { language: 'en-US' });
    expect(transcript.text).toBe('hello from google');
    const call = standIn.received.find((received) => received.method === 'Recognize')!;
    expect(call.token).toMatchObject({
      iss: key.client_email,
      sub: key.client_email,
      aud: 'https://speech.googleapis.com/',
      kid: key.private_key_id,
    });
    // Short-lived, as Google requires of a self-signed JWT (an hour at most).
    expect(call.token!.exp! - call.token!.iat!).toBeLessThanOrEqual(3600);

    await voice.synthesize('hello', { voice: 'en-US-Standard-C', format: 'wav' });
    const synthesis = standIn.received.find((received) => received.method === 'SynthesizeSpeech')!;
    expect(synthesis.token).toMatchObject({ iss: key.client_email, aud: 'https://texttospeech.googleapis.com/' });
  });

  it('is refused when the key file holds another key for the account, and says so', async () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = path.join(path.dirname(keyFile), 'forged.json');
    await fs.writeFile(forged, JSON.stringify({ ...key, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) }));
    const impostor = new GoogleVoice(
      googleClientOptions({ GOOGLE_APPLICATION_CREDENTIALS: forged, GOOGLE_API_ENDPOINT: standIn.endpoint })!,
    );
    try {
      const calls = standIn.received.length;
      await expect(impostor.transcribe(Buffer.alloc(32_000), { language: 'en-US' })).rejects.toThrow(/UNAUTHENTICATED|invalid credentials/);
      expect(standIn.received).toHaveLength(calls);
    } finally {
      await impostor.close();
    }
  });
});
