import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import { parseConfig } from '@shared/config.ts';
import { createDb, migrateLatest } from '@shared/db.ts';
import { createLogger } from '@shared/logger.ts';
import { createServices } from '@shared/services.ts';
import { createApp } from '../rest-api/app.ts';
import type { OpenApiDocument } from '../rest-api/http/openapi.ts';

/** The generated file, relative to the repository root (where npm runs scripts). */
const API_TYPES_FILE = 'web/src/api.generated.ts';

const HEADER = `${COMMENT_HEADER}// The REST API's types, from the OpenAPI document the routes describe (GET /api/openapi.json).
// Regenerate with \`npm run api:types\`; \`npm run typecheck\` fails while this file is stale.

`;

/**
 * The OpenAPI document exactly as the app serves it: createApp on throwaway services, without listening.
 * The services need a database only because building them reads it (session revocations); an in-memory
 * PGlite serves, and nothing else is touched — no network, no files, no jobs started.
 */
async function buildServedOpenApiDocument(): Promise<OpenApiDocument> {
  // The defaults, never this shell's environment: the document states limits (ATTACHMENT_MAX_BYTES), and
  // the committed file must be the same whoever generates it.
  const config = parseConfig({
    LOG_LEVEL: 'silent',
    JOBS_ENABLED: 'false',
    // Nothing is signed with it; set so that no secret is generated under DATA_DIR.
    JWT_SECRET: 'api-types-only-nothing-is-ever-signed-with-this',
    // Never created: the database is in memory and no object is stored.
    DATA_DIR: path.join(os.tmpdir(), 'twinmcp-api-types-unused'),
  });
  const db = createDb(config, { inMemory: true });
  await migrateLatest(db);
  const services = await createServices(config, { db, migrate: false, log: createLogger(config) });
  try {
    return createApp(services).locals.openApiDocument as OpenApiDocument;
  } finally {
    await services.close();
  }
}

/** The generated TypeScript for the app's OpenAPI document. */
async function generateApiTypes(): Promise<string> {
  const document = await buildServedOpenApiDocument();
  // The generator's types describe OpenAPI 3 loosely; the document is what zod-to-openapi produced for 3.1.
  const ast = await openapiTS(document as unknown as OpenAPI3, { silent: true });
  return HEADER + astToString(ast);
}

/**
 * `npm run api:types` writes web/src/api.generated.ts. `npm run api:check` (`--check`) writes nothing:
 * it exits 1 with a diff when the committed file is not what the routes generate now.
 */
async function main(): Promise<void> {
  const isCheck = process.argv.includes('--check');
  const generated = await generateApiTypes();
  const target = path.resolve(API_TYPES_FILE);
  if (!isCheck) {
    fs.writeFileSync(target, generated);
    process.stdout.write(`wrote ${API_TYPES_FILE}\n`);
    return;
  }
  const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (committed === generated) return;
  const fresh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-api-types-')), 'api.generated.ts');
  fs.writeFileSync(fresh, generated);
  process.stderr.write(`${API_TYPES_FILE} is stale: the API's routes changed. Run npm run api:types and commit the result.\n`);
  try {
    execFileSync('diff', ['-u', '--label', `${API_TYPES_FILE} (committed)`, '--label', `${API_TYPES_FILE} (generated)`, target, fresh], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch {
    // diff exits 1 when the files differ, which is the point; a missing diff binary only loses the listing.
  } finally {
    fs.rmSync(path.dirname(fresh), { recursive: true, force: true });
  }
  process.exitCode = 1;
}

await main();
