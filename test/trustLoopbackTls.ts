import { fileURLToPath } from 'node:url';

/**
 * Runs before each test file (jest `setupFiles`): names the loopback test certificate as gRPC's root.
 * @grpc/grpc-js reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once, when it loads, and jest loads a statically
 * imported CommonJS module while linking the test file — before any of its code runs — so no later
 * place would do. Only loopback stand-ins serve this certificate; nothing here can reach Google.
 */
// eslint-disable-next-line n/no-process-env -- the one way to hand grpc-js a root before it loads; test-only
process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = fileURLToPath(new URL('fixtures/loopback-tls/cert.pem', import.meta.url));
