import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear, so that a token or a password never reaches a log line
 * even when someone logs a whole request or body by mistake.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  // A service account's API key, as POST /api/service-accounts answers it.
  '*.apiKey',
  '*.jwtSecret',
];

/** The one root logger of a process; modules take children of it (`log.child({ module })`). */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(config.LOG_PRETTY ? { transport: { target: 'pino-pretty' } } : {}),
  });
}
