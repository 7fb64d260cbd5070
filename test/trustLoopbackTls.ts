import fs from 'node:fs';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

/**
 * Runs before each test file (jest `setupFiles`): names the loopback test certificate as gRPC's root.
 * @grpc/grpc-js reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once, when it loads, and jest loads a statically
 * imported CommonJS module while linking the test file — before any of its code runs — so no later
 * place would do. Only loopback stand-ins serve this certificate; nothing here can reach Google.
 */
const certificateFile = fileURLToPath(new URL('fixtures/loopback-tls/cert.pem', import.meta.url));
// eslint-disable-next-line n/no-process-env -- the one way to hand grpc-js a root before it loads; test-only
process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = certificateFile;

// Node's own TLS (https, fetch) trusts it beside the usual roots: the product's Web Push sender reaches
// the push-service stand-in (test/standIns/pushService.ts) with its production agent, no option for tests.
// eslint-disable-next-line n/no-unsupported-features/node-builtins -- tests run on the node@22 devDependency (22.23), which has both
tls.setDefaultCACertificates([...tls.getCACertificates('default'), fs.readFileSync(certificateFile, 'utf8')]);
