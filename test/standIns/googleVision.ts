import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { standInCredentials, verifyCallToken, type GoogleCallToken, type GoogleStandInSecurity } from './googleAuth.ts';

/** A BatchAnnotateImages request as the stand-in received it. */
export interface ReceivedAnnotation {
  features: string[];
  imageBytes: number;
  /** With a service account expected: the verified claims of the call's token (a call without one is refused). */
  token: GoogleCallToken | undefined;
}

export interface GoogleVisionStandIn {
  /** For GOOGLE_API_ENDPOINT. */
  endpoint: string;
  port: number;
  received: ReceivedAnnotation[];
  close(): Promise<void>;
}

const PROTOS = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/vision')), '..', 'protos');
const GAX_PROTOS = path.join(path.dirname(createRequire(import.meta.url).resolve('google-gax')), '..', 'protos');

/**
 * A loopback gRPC server for google.cloud.vision.v1.ImageAnnotator/BatchAnnotateImages, built from
 * the protos shipped in @google-cloud/vision: for every request it answers the word "INVOICE" with
 * its box, a dog with a normalized box, and two labels. With `security`, TLS and the service account's
 * token are required as Google requires them (see googleAuth.ts).
 */
export async function startGoogleVision(security: GoogleStandInSecurity = {}): Promise<GoogleVisionStandIn> {
  const definition = protoLoader.loadSync('google/cloud/vision/v1/image_annotator.proto', {
    includeDirs: [PROTOS, GAX_PROTOS],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { vision: { v1: { ImageAnnotator: grpc.ServiceClientConstructor } } } };
  };
  const received: ReceivedAnnotation[] = [];
  const server = new grpc.Server();
  server.addService(loaded.google.cloud.vision.v1.ImageAnnotator.service, {
    batchAnnotateImages(
      call: grpc.ServerUnaryCall<{ requests: Array<{ image: { content: Buffer }; features: Array<{ type: string }> }> }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) {
      let token: GoogleCallToken | undefined;
      try {
        token = verifyCallToken(call.metadata, security, 'https://vision.googleapis.com/');
      } catch (error) {
        return callback(error as grpc.ServiceError);
      }
      const responses = call.request.requests.map((request) => {
        received.push({
          features: request.features.map((feature) => feature.type),
          imageBytes: request.image.content.length,
          token,
        });
        return {
          fullTextAnnotation: { text: 'INVOICE\n' },
          textAnnotations: [
            {
              description: 'INVOICE\n',
              boundingPoly: {
                vertices: [
                  { x: 10, y: 20 },
                  { x: 110, y: 20 },
                  { x: 110, y: 50 },
                  { x: 10, y: 50 },
                ],
              },
            },
            {
              description: 'INVOICE',
              boundingPoly: {
                vertices: [
                  { x: 10, y: 20 },
                  { x: 110, y: 20 },
                  { x: 110, y: 50 },
                  { x: 10, y: 50 },
                ],
              },
            },
          ],
          localizedObjectAnnotations: [
            {
              name: 'Dog',
              score: 0.91,
              boundingPoly: {
                normalizedVertices: [
                  { x: 0.5, y: 0.5 },
                  { x: 1, y: 0.5 },
                  { x: 1, y: 1 },
                  { x: 0.5, y: 1 },
                ],
              },
            },
          ],
          labelAnnotations: [
            { description: 'Dog', score: 0.95 },
            { description: 'Paper', score: 0.8 },
          ],
        };
      });
      callback(null, { responses });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', standInCredentials(security), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    received,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
