import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { standInCredentials, verifyCallToken, type GoogleCallToken, type GoogleStandInSecurity } from './googleAuth.ts';

const require = createRequire(import.meta.url);
/** The .proto files the client libraries ship, and google-gax's for the common types they import. */
const protoDir = (pkg: string) => {
  // google-gax exports no package.json: its entry point (build/src/index.js) is found instead.
  const entry = require.resolve(pkg);
  return path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}build${path.sep}`)), 'build', 'protos');
};

export interface GoogleSpeechStandIn {
  /** host:port, for GOOGLE_API_ENDPOINT. */
  endpoint: string;
  /** Requests received, by method. */
  received: Array<{
    method: 'Recognize' | 'SynthesizeSpeech';
    request: unknown;
    metadata: Record<string, unknown>;
    /** With `serviceAccount`: the verified token's claims (iss, aud, kid…); a call without a valid one is refused. */
    token?: GoogleCallToken;
  }>;
  /** What Recognize answers. */
  transcript: string;
  close(): Promise<void>;
}

/**
 * Google's Speech-to-Text (google.cloud.speech.v1.Speech/Recognize) and Text-to-Speech
 * (google.cloud.texttospeech.v1.TextToSpeech/SynthesizeSpeech) on loopback, over insecure gRPC, built from
 * the very .proto files the client libraries ship. The clients reach it with insecure channel credentials
 * (`sslCreds`), which gax uses in place of TLS and the service account: there is no way to send OAuth
 * tokens over an insecure channel, so auth headers are not exercised that way, the request shapes are.
 * With `tls` (see loopbackTls.ts) it serves TLS, and with `serviceAccount` it checks every call's
 * `authorization: Bearer` as Google does a self-signed service-account JWT: RS256 by that account's key,
 * issuer and subject its email, audience the service's address; anything else is UNAUTHENTICATED.
 */
export async function startGoogleSpeechStandIn(options: GoogleStandInSecurity = {}): Promise<GoogleSpeechStandIn> {
  const includeDirs = [protoDir('@google-cloud/speech'), protoDir('@google-cloud/text-to-speech'), protoDir('google-gax')];
  const definition = protoLoader.loadSync(['google/cloud/speech/v1/cloud_speech.proto', 'google/cloud/texttospeech/v1/cloud_tts.proto'], {
    includeDirs,
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      cloud: {
        speech: { v1: { Speech: grpc.ServiceClientConstructor } };
        texttospeech: { v1: { TextToSpeech: grpc.ServiceClientConstructor } };
      };
    };
  };
  const standIn: GoogleSpeechStandIn = { endpoint: '', received: [], transcript: 'hello from google', close: async () => undefined };
  const authenticate = (metadata: grpc.Metadata, audience: string) => verifyCallToken(metadata, options, audience);
  const server = new grpc.Server();
  server.addService(loaded.google.cloud.speech.v1.Speech.service, {
    recognize(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      let token;
      try {
        token = authenticate(call.metadata, 'https://speech.googleapis.com/');
      } catch (error) {
        return callback(error as grpc.ServiceError);
      }
      standIn.received.push({ method: 'Recognize', request: call.request, metadata: call.metadata.getMap(), token });
      const words = standIn.transcript.split(' ').map((word, i) => ({
        word,
        startTime: { seconds: 0, nanos: i * 300_000_000 },
        endTime: { seconds: 0, nanos: (i + 1) * 300_000_000 },
      }));
      callback(null, { results: [{ alternatives: [{ transcript: standIn.transcript, confidence: 0.9, words }] }] });
    },
  });
  server.addService(loaded.google.cloud.texttospeech.v1.TextToSpeech.service, {
    synthesizeSpeech(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      let token;
      try {
        token = authenticate(call.metadata, 'https://texttospeech.googleapis.com/');
      } catch (error) {
        return callback(error as grpc.ServiceError);
      }
      standIn.received.push({ method: 'SynthesizeSpeech', request: call.request, metadata: call.metadata.getMap(), token });
      callback(null, { audioContent: Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ') });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', standInCredentials(options), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  standIn.endpoint = `127.0.0.1:${port}`;
  standIn.close = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return standIn;
}
