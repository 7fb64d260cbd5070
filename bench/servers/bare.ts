import http from 'node:http';
import express from 'express';
import { closeHttpServer } from '@shared/lifecycle.ts';
import { announcePort } from './announce.ts';

/**
 * The baseline: a bare Express 5 handler answering one route with a fixed JSON body held in memory
 * (no auth, validation, database, logging or metrics). It is the least the same answer can cost on
 * this machine, so the subject's figures are read as a share of it.
 *
 * BENCH_METHOD (get, post, …), BENCH_PATH (an Express path such as `/api/conversations/:id`),
 * BENCH_STATUS (default 200) and BENCH_BODY (the JSON to answer) describe the route.
 */
// eslint-disable-next-line n/no-process-env -- benchmark harness, not server code
const { BENCH_METHOD = 'get', BENCH_PATH, BENCH_STATUS = '200', BENCH_BODY } = process.env;
if (!BENCH_PATH || BENCH_BODY === undefined) throw new Error('bare server needs BENCH_PATH and BENCH_BODY');
const method = BENCH_METHOD.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
const status = Number(BENCH_STATUS);
const body: unknown = JSON.parse(BENCH_BODY);

const app = express();
app.disable('x-powered-by');
app[method](BENCH_PATH, (_req, res) => {
  res.status(status).json(body);
});

const server = http.createServer(app);
server.listen(0, '127.0.0.1', () => announcePort(server));
process.once('SIGTERM', () => void closeHttpServer(server).finally(() => process.exit(0)));
