import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { type ConfigError, parseConfig } from './config.ts';

const problems = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    return (error as ConfigError).lines;
  }
  return [];
};

describe('configuration', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ PORT: 3000, COLLAB_PORT: 1234, DATA_DIR: './data', ACCESS_TOKEN_TTL_SECONDS: 900 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('points links at the port the product serves on when APP_URL is unset', () => {
    expect(parseConfig({}).APP_URL).toBe('http://localhost:3000');
    expect(parseConfig({ PORT: '3100' }).APP_URL).toBe('http://localhost:3100');
    expect(parseConfig({ PORT: '3100', APP_URL: 'https://collab.example.com' }).APP_URL).toBe('https://collab.example.com');
  });

  it('names each bad variable and what it expects, one line each', () => {
    expect(problems({ PORT: 'abc', REDIS_URL: 'http://cache', LOG_LEVEL: 'loud' })).toEqual([
      'Invalid configuration: PORT must be a port number (0-65535) (got "abc")',
      'Invalid configuration: REDIS_URL must be a URL starting with redis:// or rediss:// (got "http://cache")',
      'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
  });

  it('demands JWT_SECRET in production and never echoes a secret', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual(['Invalid configuration: JWT_SECRET is required when NODE_ENV=production']);
    const [line] = problems({ JWT_SECRET: 'short-secret' });
    expect(line).toBe('Invalid configuration: JWT_SECRET must be at least 32 characters');
  });

  it('reads the plugin settings: trusted keys as key ids, defaults for the limits', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      PLUGIN_TRUSTED_KEYS: [],
      PLUGIN_ALLOW_UNSIGNED: false,
      PLUGIN_REMOTE_HOSTS: [],
      PLUGIN_WORKERS: 1,
      PLUGIN_TIMEOUT_MS: 5_000,
      PLUGIN_MEMORY_MIB: 64,
      PLUGIN_OUTPUT_BYTES: 1_048_576,
      PLUGIN_HTTP_TIMEOUT_MS: 5_000,
      PLUGIN_HTTP_MAX_BYTES: 1_048_576,
      RATE_LIMIT_PLUGIN_PER_USER: 60,
    });
    const key = 'ed25519:w96OqsNmfeRPlyk59fmgE61w_8WbGGYnFz67Q1RWn24';
    expect(parseConfig({ PLUGIN_TRUSTED_KEYS: ` ${key} ,` }).PLUGIN_TRUSTED_KEYS).toEqual([key]);
    expect(parseConfig({ PLUGIN_REMOTE_HOSTS: 'MCP.example.com, tools.example.com:8443' }).PLUGIN_REMOTE_HOSTS).toEqual([
      'mcp.example.com',
      'tools.example.com:8443',
    ]);
    const [line] = problems({ PLUGIN_TRUSTED_KEYS: 'ed25519:nope' });
    expect(line).toMatch(/^Invalid configuration: PLUGIN_TRUSTED_KEYS must be ed25519:<key> ids separated by commas/);
    expect(problems({ PLUGIN_REMOTE_HOSTS: 'https://x.example.com/' })).toHaveLength(1);
  });

  it('reads BACKUP_ENCRYPTION_KEY as 32 bytes from hex or base64, and never echoes a bad one', () => {
    const hex = 'ab'.repeat(32);
    expect(parseConfig({ BACKUP_ENCRYPTION_KEY: hex }).BACKUP_ENCRYPTION_KEY?.equals(Buffer.from(hex, 'hex'))).toBe(true);
    const base64 = Buffer.alloc(32, 7).toString('base64');
    expect(parseConfig({ BACKUP_ENCRYPTION_KEY: base64 }).BACKUP_ENCRYPTION_KEY?.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(parseConfig({}).BACKUP_ENCRYPTION_KEY).toBeUndefined();
    for (const bad of ['too-short', 'ab'.repeat(31), Buffer.alloc(16).toString('base64'), `${base64.slice(0, 40)}!!!=`]) {
      expect(problems({ BACKUP_ENCRYPTION_KEY: bad })).toEqual([
        'Invalid configuration: BACKUP_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64',
      ]);
    }
  });

  it('treats an empty value as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(3000);
  });

  it('stops the process with exit code 1 and the one line on a bad value', () => {
    // Node by its own path, not through PATH: the child's environment is PORT alone, so nothing else decides its configuration.
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'rest-api/main.ts'], {
      env: { PORT: '70000' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: PORT must be a port number (0-65535) (got "70000")');
  });
});
