import { z } from 'zod';
import { parseTrustedKeys } from './plugins/package/signingKeys.ts';
import { isMultiHostUrl, parseDatabaseUrl } from './failover/parseDatabaseUrl.ts';

/** An integer in [min, max]; every failure reads "must be <expects>". */
const integer = (min: number, max: number, expects: string) => {
  const error = `must be ${expects}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const port = integer(0, 65535, 'a port number (0-65535)');
const positiveInt = integer(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');
const url = (protocols: string[]) =>
  z.url({
    protocol: new RegExp(`^(${protocols.join('|')})$`),
    error: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  });
/**
 * A PostgreSQL URL, which may name several servers libpq's way (`postgres://h1:5432,h2:5432/db`):
 * the product then follows the writable one (shared/failover).
 */
const databaseUrl = z.string().refine((text) => parseDatabaseUrl(text) !== undefined && (isMultiHostUrl(text) || URL.canParse(text)), {
  error: 'must be a URL starting with postgres:// or postgresql:// (several servers: postgres://h1:5432,h2:5432/db)',
});
/** Hosts, lower-cased, as `host` or `host:port` entries separated by commas (IPv6 in brackets). */
const hostList = z
  .string()
  .default('')
  .transform((list) =>
    list
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter((host) => host !== ''),
  )
  .pipe(z.array(z.string().regex(/^[\w.-]+(:\d+)?$|^\[[0-9a-f:.]+\](:\d+)?$/, 'must be host or host:port entries separated by commas')));

/** One entry of REGIONS: where a region's API, collab server and database node are. */
export const RegionSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 lower-case letters, digits, - or _'),
  apiUrl: url(['http', 'https']),
  collabUrl: url(['ws', 'wss']),
  databaseHost: z
    .string()
    .regex(/^([\w.-]+|\[[0-9a-fA-F:.]+\]):\d{1,5}$/, 'must be host:port')
    .optional(),
});

/**
 * Every environment variable the product reads. The README's configuration table mirrors this schema;
 * keep the two in step.
 */
const ConfigSchema = z
  .object({
    /** development | production | test. Production demands JWT_SECRET and DATABASE_URL for the split servers. Default development. */
    NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
    /** Interface both servers bind to. Default 0.0.0.0. */
    HOST: z.string().min(1).default('0.0.0.0'),
    /** REST API port (0 = any free port). Default 3000. */
    PORT: port.default(3000),
    /** Collaboration (WebSocket) server port (0 = any free port). Default 1234. */
    COLLAB_PORT: port.default(1234),
    /** Quiet time after the last edit before the collab server stores a document's compact state, in ms. Default 2000. */
    COLLAB_STORE_DEBOUNCE_MS: positiveInt.default(2_000),
    /** Longest a document under constant editing goes without its compact state being stored, in ms. Default 10000. */
    COLLAB_STORE_MAX_DEBOUNCE_MS: positiveInt.default(10_000),
    /**
     * Shortest time between two commits of the collab update log, in ms (group commit): edits arriving
     * sooner share the next commit, so a node commits at most 1000/this times a second however many
     * people type. Acknowledgements wait for it; broadcasts do not. 0 commits as soon as the previous
     * commit ends. Default 100.
     */
    COLLAB_LOG_COMMIT_INTERVAL_MS: integer(0, 1_000, 'an integer from 0 to 1000').default(100),
    /** Largest WebSocket frame the collab server accepts, in bytes; a bigger one closes that socket. Default 1048576 (1 MiB). */
    COLLAB_MAX_MESSAGE_BYTES: positiveInt.default(1_048_576),
    /** Largest a collaborative document may grow, in bytes of encoded state; an edit past it is refused. Default 10485760 (10 MiB). */
    COLLAB_MAX_DOCUMENT_BYTES: positiveInt.default(10_485_760),
    /** Collaboration connections one user may hold open on one collab node. Default 20. */
    COLLAB_MAX_CONNECTIONS_PER_USER: positiveInt.default(20),
    /** Collaboration server URL the web client connects to (ws:// or wss://). Unset: the page's own host name on COLLAB_PORT. */
    COLLAB_PUBLIC_URL: url(['ws', 'wss']).optional(),
    /** Public base URL of the web client, used in links the product sends out. Default http://localhost:<PORT>. */
    APP_URL: url(['http', 'https']).optional(),
    /** PostgreSQL connection string. Unset: embedded PGlite under DATA_DIR. */
    DATABASE_URL: databaseUrl.optional(),
    /** Largest number of PostgreSQL connections per process. Default 10. */
    DATABASE_POOL_MAX: positiveInt.default(10),
    /** How long one connection to a PostgreSQL server may take to open, in ms; a dead or frozen server costs this much. Default 2000. */
    DATABASE_CONNECT_TIMEOUT_MS: integer(100, 60_000, 'an integer from 100 to 60000').default(2_000),
    /**
     * With several servers in DATABASE_URL: how long, in ms, a search for the writable one goes on before
     * the requests waiting for it are answered 503 database_failover. Default 30000.
     */
    DATABASE_FAILOVER_TIMEOUT_MS: integer(1_000, 600_000, 'an integer from 1000 to 600000').default(30_000),
    /**
     * With several servers in DATABASE_URL: how often, in ms, the server in use is asked whether it still
     * takes writes (a frozen one fails no query by itself). Default 1000.
     */
    DATABASE_PRIMARY_CHECK_MS: integer(100, 60_000, 'an integer from 100 to 60000').default(1_000),
    /**
     * Connection string of the pg_auto_failover monitor (`postgres://autoctl_node@monitor:5432/pg_auto_failover`),
     * through which `POST /api/dr/switchover` asks for a planned switchover. Unset: that route answers 501
     * switchover_unavailable. A secret when it carries a password.
     */
    DATABASE_MONITOR_URL: databaseUrl.optional(),
    /** The pg_auto_failover formation the product's database nodes belong to. Default default. */
    DATABASE_FORMATION: z.string().min(1).max(63).default('default'),
    /** Longest `POST /api/dr/switchover` waits for writes to be accepted on the new primary, in ms. Default 60000. */
    DATABASE_SWITCHOVER_TIMEOUT_MS: integer(5_000, 600_000, 'an integer from 5000 to 600000').default(60_000),
    /**
     * The deployment's regions, as a JSON array of `{ "name", "apiUrl", "collabUrl", "databaseHost"? }`
     * (databaseHost: host:port of the region's PostgreSQL node). Set: each REST node checks every region's
     * health every REGION_CHECK_MS and `GET /api/dr/regions` lists them. Unset or `[]`: a single region.
     */
    REGIONS: z
      .string()
      .default('[]')
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON array of regions' });
          return z.NEVER;
        }
      })
      .pipe(
        z
          .array(RegionSchema)
          .refine((regions) => new Set(regions.map((r) => r.name)).size === regions.length, 'region names must be unique'),
      ),
    /** This node's region: one of the names in REGIONS, required when REGIONS is set. */
    REGION: z.string().min(1).optional(),
    /** How often, in ms, each REST node checks every region's API and database when REGIONS is set. Default 2000. */
    REGION_CHECK_MS: integer(200, 600_000, 'an integer from 200 to 600000').default(2_000),
    /** Where embedded state lives (PGlite files, generated JWT secret). Default ./data. */
    DATA_DIR: z.string().min(1).default('./data'),
    /** Directory of the local object store (attachments, media, backups), used while S3_BUCKET is unset. Default DATA_DIR/objects. */
    STORAGE_DIR: z.string().min(1).optional(),
    /** S3 bucket for objects. Set: objects go to S3 (or the S3-compatible S3_ENDPOINT). Unset: the local STORAGE_DIR. */
    S3_BUCKET: z.string().min(3, 'must be at least 3 characters').max(63, 'must be at most 63 characters').optional(),
    /** S3-compatible endpoint (MinIO, R2, s3rver…). Unset: AWS's endpoint for S3_REGION. */
    S3_ENDPOINT: url(['http', 'https']).optional(),
    /** S3 region. Default us-east-1. */
    S3_REGION: z.string().min(1).default('us-east-1'),
    /** S3 access key id, set with S3_SECRET_ACCESS_KEY. Unset: the AWS SDK's default credential chain (e.g. an instance role). */
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    /** S3 secret access key, set with S3_ACCESS_KEY_ID. */
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Address buckets by path (endpoint/bucket/key) instead of by host name; most S3-compatible servers need it. Default false. */
    S3_FORCE_PATH_STYLE: flag.default(false),
    /**
     * Key that encrypts backups (AES-256-GCM): 32 bytes, as 64 hex digits or base64 (`openssl rand -base64 32`).
     * Unset: in production backups are refused (`backup_key_required`); elsewhere they are made unencrypted and
     * recorded as such. Keep a copy outside the deployment: without it no encrypted backup can be restored.
     */
    BACKUP_ENCRYPTION_KEY: z
      .string()
      .transform((text, ctx) => {
        const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
        // Node's base64 decoder skips what is not base64, so the length check is also the format check.
        if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(text) && !/^[A-Za-z0-9+/_-]{43}=?$/.test(text))) {
          ctx.addIssue({ code: 'custom', message: 'must be 32 bytes as 64 hex digits or base64' });
          return z.NEVER;
        }
        return key;
      })
      .optional(),
    /**
     * When logical backups run on their own, as a cron expression (`0 3 * * *`: every day at 03:00 UTC). Unset: no
     * scheduled backups. One node fires each occurrence, however many run.
     */
    BACKUP_SCHEDULE: z
      .string()
      .trim()
      .regex(/^\S+( \S+){4,5}$/, 'must be a cron expression of 5 or 6 fields')
      .optional(),
    /**
     * Which verified backups are kept after each new one verifies: `7d,4w,12m` keeps the newest of each of the last 7
     * days, 4 weeks and 12 months (units h, d, w, m, y; `10b` keeps the newest 10). The newest verified backup is
     * always kept; failed ones are left to delete by hand. Default 7d,4w,12m.
     */
    BACKUP_RETENTION: z
      .string()
      .trim()
      .regex(/^\d{1,4}[hdwmyb](,\d{1,4}[hdwmyb])*$/, 'must be like 7d,4w,12m (units h, d, w, m, y, b)')
      .default('7d,4w,12m'),
    /**
     * A separate store for the backup set's copy of attachments and media (a directory, e.g. another volume): each
     * backup copies the objects it references there, skipping those already copied. Unset (and BACKUP_S3_BUCKET
     * unset): the manifest only records and checks them in the main store.
     */
    BACKUP_STORAGE_DIR: z.string().min(1).optional(),
    /** As BACKUP_STORAGE_DIR, an S3 bucket reached with the S3_ENDPOINT, S3_REGION and S3_* credentials. Wins over it. */
    BACKUP_S3_BUCKET: z.string().min(3, 'must be at least 3 characters').max(63, 'must be at most 63 characters').optional(),
    /**
     * Physical backups and point-in-time recovery (pgBackRest): the stanza of this deployment's cluster, set with
     * PGBACKREST_CONFIG. Unset: physical backups and `targetTime` restores answer 501. See the README's runbook.
     */
    PGBACKREST_STANZA: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -')
      .optional(),
    /** The pgbackrest.conf that names the repository, the passphrase and the cluster (0600, owned by PGBACKREST_OS_USER). */
    PGBACKREST_CONFIG: z
      .string()
      .regex(/^\/[\w./-]+$/, 'must be an absolute plain path')
      .optional(),
    /** The OS user that owns the cluster's files; pgBackRest and scratch clusters run as it. Default postgres. */
    PGBACKREST_OS_USER: z.string().min(1).default('postgres'),
    /** PostgreSQL's server binaries (pg_ctl), of the cluster's major version. Default /usr/lib/postgresql/15/bin. */
    PGBACKREST_PG_BIN_DIR: z.string().min(1).default('/usr/lib/postgresql/15/bin'),
    /**
     * Where scratch clusters are restored (verifications, scratch restores); needs room for a copy of the cluster.
     * Default the OS temp dir.
     */
    PGBACKREST_SCRATCH_DIR: z.string().min(1).optional(),
    /** Largest attachment accepted, in bytes. Default 26214400 (25 MiB). */
    ATTACHMENT_MAX_BYTES: positiveInt.default(26_214_400),
    /** Redis connection string. Set: events and rate limits go through Redis. Unset: in-process. */
    REDIS_URL: url(['redis', 'rediss']).optional(),
    /** Prefix for every Redis key and channel, so deployments can share one Redis. Default twinmcp:. */
    REDIS_PREFIX: z.string().min(1).default('twinmcp:'),
    /** HMAC secret for access tokens, at least 32 characters. Required in production; generated under DATA_DIR otherwise. */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Access token lifetime in seconds. Default 900 (15 minutes). */
    ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
    /** Refresh token lifetime in days. Default 30. */
    REFRESH_TOKEN_TTL_DAYS: positiveInt.default(30),
    /** Login/register attempts allowed per client IP per minute. Default 30. */
    RATE_LIMIT_AUTH_PER_IP: positiveInt.default(30),
    /** Login/register attempts allowed per email address per minute. Default 10. */
    RATE_LIMIT_AUTH_PER_EMAIL: positiveInt.default(10),
    /** SMTP server for outgoing email (invitations), e.g. smtp://user:pass@host:587. Unset: emails go to the email_outbox table and their links are logged. */
    SMTP_URL: url(['smtp', 'smtps']).optional(),
    /** Sender of outgoing email. Default "TwinMCP <no-reply@localhost>". */
    EMAIL_FROM: z.string().min(3).default('TwinMCP <no-reply@localhost>'),
    /** Lifetime of the token a public share view hands out, in seconds (never past the share's own expiry). Default 3600. */
    SHARE_TOKEN_TTL_SECONDS: positiveInt.default(3600),
    /**
     * How often the views of share links without a view limit are written, in ms: views are counted in
     * memory and written together, one commit per interval. At most this much of views is lost if a
     * process dies without stopping. Default 1000.
     */
    SHARE_VIEW_FLUSH_MS: integer(10, 60_000, 'an integer from 10 to 60000').default(1_000),
    /** Password attempts allowed per share per 15 minutes. Default 10. */
    RATE_LIMIT_SHARE_PASSWORD_PER_SHARE: positiveInt.default(10),
    /** Password attempts allowed per client IP per 15 minutes, across shares. Default 30. */
    RATE_LIMIT_SHARE_PASSWORD_PER_IP: positiveInt.default(30),
    /**
     * Wrong password attempts allowed per browser per 15 minutes on a share it has opened before with the
     * right password (its device cookie): such a browser is not locked out when the share's own budget is. Default 5.
     */
    RATE_LIMIT_SHARE_PASSWORD_PER_DEVICE: positiveInt.default(5),
    /** Invitations (new and resent) allowed per workspace per hour. Default 20. */
    RATE_LIMIT_INVITATIONS_PER_WORKSPACE: positiveInt.default(20),
    /** Run background job workers in this process; enqueueing works either way. Default true. */
    JOBS_ENABLED: flag.default(true),
    /** Jobs of one queue a process runs at once, for queues that set no concurrency of their own. Default 2. */
    JOBS_CONCURRENCY: positiveInt.default(2),
    /** Accounts made operators at every start, by email, comma-separated (never revokes). Default none. */
    OPERATOR_EMAILS: z
      .string()
      .default('')
      .transform((list) =>
        list
          .split(',')
          .map((email) => email.trim())
          .filter((email) => email !== ''),
      )
      .pipe(z.array(z.email({ error: 'must be email addresses separated by commas' }))),
    /**
     * Where code runs: `local` (JavaScript and TypeScript in isolated-vm worker processes; Python, Ruby,
     * Go and Bash under bubblewrap) or `docker` (every language in a container of its own, through the
     * Docker Engine API at CODE_EXEC_DOCKER_SOCKET). Default local.
     */
    CODE_EXEC_BACKEND: z.enum(['local', 'docker'], { error: 'must be local or docker' }).default('local'),
    /** Wall time a run gets when it asks for none, in ms. Default 5000. */
    CODE_EXEC_TIMEOUT_MS: integer(100, 300_000, 'an integer from 100 to 300000').default(5_000),
    /** Longest wall time a run may ask for (`timeoutMs`), in ms. Default 30000. */
    CODE_EXEC_MAX_TIMEOUT_MS: integer(100, 300_000, 'an integer from 100 to 300000').default(30_000),
    /** CPU time a run may use, in seconds (processes; isolates count wall time). Default 5. */
    CODE_EXEC_CPU_SECONDS: integer(1, 300, 'an integer from 1 to 300').default(5),
    /** Memory a run may use, in MiB. Default 128. */
    CODE_EXEC_MEMORY_MB: integer(16, 8_192, 'an integer from 16 to 8192').default(128),
    /** Output kept per stream (stdout, stderr), in bytes; the rest is cut and the run flagged truncated. Default 65536. */
    CODE_EXEC_OUTPUT_BYTES: integer(1_024, 16_777_216, 'an integer from 1024 to 16777216').default(65_536),
    /** Processes (and threads) a run may have at once. Default 64. */
    CODE_EXEC_PROCESSES: integer(1, 4_096, 'an integer from 1 to 4096').default(64),
    /** Files a run's process may hold open. Default 64. */
    CODE_EXEC_OPEN_FILES: integer(16, 65_536, 'an integer from 16 to 65536').default(64),
    /** Largest file a run may write, in bytes (its /tmp is capped to the same size). Default 10485760 (10 MiB). */
    CODE_EXEC_FILE_BYTES: positiveInt.default(10_485_760),
    /** Largest stdin a run takes, in bytes. Default 1048576 (1 MiB). */
    CODE_EXEC_STDIN_BYTES: positiveInt.default(1_048_576),
    /** Largest program a run takes, in bytes. Default 262144 (256 KiB). */
    CODE_EXEC_CODE_BYTES: positiveInt.default(262_144),
    /** Runs one API process executes at once; more wait in its queue. Default 2. */
    CODE_EXEC_CONCURRENCY: integer(1, 256, 'an integer from 1 to 256').default(2),
    /** Runs that may wait for a free slot; past it a run is refused with 503 `busy` and Retry-After. Default 32. */
    CODE_EXEC_QUEUE: integer(0, 10_000, 'an integer from 0 to 10000').default(32),
    /** Runs one user may start per minute. Default 60. */
    RATE_LIMIT_CODE_EXEC_PER_USER: positiveInt.default(60),
    /** JavaScript worker processes, each running one isolate at a time. Default 2. */
    CODE_EXEC_JS_WORKERS: integer(1, 64, 'an integer from 1 to 64').default(2),
    /** Unprivileged uid (and gid) sandboxed processes run as, when the API runs as root. Default 65534 (nobody). */
    CODE_EXEC_SANDBOX_UID: integer(1, 4_294_967_294, 'a uid other than 0').default(65_534),
    /** Days a run's code and output are kept; after that only its record (hash, duration, exit, limit) stays. 0 keeps none. Default 7. */
    CODE_EXEC_RETENTION_DAYS: integer(0, 3_650, 'a number of days (0-3650)').default(7),
    /** Docker Engine API socket, for CODE_EXEC_BACKEND=docker. Default /var/run/docker.sock. */
    CODE_EXEC_DOCKER_SOCKET: z.string().min(1).default('/var/run/docker.sock'),
    /**
     * Images for CODE_EXEC_BACKEND=docker, as language=image pairs separated by commas, over the defaults
     * (node:22-alpine for JavaScript and TypeScript, python:3.12-alpine, ruby:3.3-alpine, golang:1.23-alpine, bash:5).
     */
    CODE_EXEC_DOCKER_IMAGES: z
      .string()
      .default('')
      .transform((list) =>
        list
          .split(',')
          .map((pair) => pair.trim())
          .filter((pair) => pair !== ''),
      )
      .pipe(
        z.array(z.string().regex(/^(javascript|typescript|python|ruby|go|bash)=\S+$/, 'must be language=image pairs separated by commas')),
      )
      .transform((pairs) => Object.fromEntries(pairs.map((pair) => pair.split('=', 2) as [string, string]))),
    /** OpenAI API key. Set: OpenAI transcribes, speaks and describes images ahead of the local engines. */
    OPENAI_API_KEY: z.string().min(1).optional(),
    /** OpenAI-compatible API base URL (Azure OpenAI, a proxy, a local server). Default https://api.openai.com/v1. */
    OPENAI_BASE_URL: url(['http', 'https']).optional(),
    /** OpenAI model for speech to text. Default whisper-1. */
    OPENAI_TRANSCRIBE_MODEL: z.string().min(1).default('whisper-1'),
    /** OpenAI model for text to speech. Default tts-1. */
    OPENAI_TTS_MODEL: z.string().min(1).default('tts-1'),
    /** OpenAI model that describes images. Default gpt-4o-mini. */
    OPENAI_VISION_MODEL: z.string().min(1).default('gpt-4o-mini'),
    /** Google service-account key file. Set: Google Speech, Text-to-Speech and Vision serve after OpenAI, before the local engines. */
    GOOGLE_APPLICATION_CREDENTIALS: z.string().min(1).optional(),
    /** host:port of the Google APIs (a private endpoint or regional host). Unset: each client library's default. */
    GOOGLE_API_ENDPOINT: z
      .string()
      .regex(/^[\w.-]+(:\d+)?$/, 'must be host or host:port')
      .optional(),
    /** Longest a cloud engine may take for one request before the local engine answers instead, in ms. Default 15000. */
    CLOUD_ENGINE_TIMEOUT_MS: integer(100, 600_000, 'an integer from 100 to 600000').default(15_000),
    /** Largest audio upload, in bytes (OpenAI's cap). Default 26214400 (25 MiB). */
    VOICE_MAX_BYTES: positiveInt.default(26_214_400),
    /** Longest recording transcribed, in seconds; longer ones are refused (400). Default 600. */
    VOICE_MAX_SECONDS: integer(1, 86_400, 'a number of seconds (1-86400)').default(600),
    /** Recordings longer than this, in seconds, are transcribed by the job queue (202, then progress). Default 60. */
    VOICE_SYNC_SECONDS: integer(1, 86_400, 'a number of seconds (1-86400)').default(60),
    /** Largest image upload, in bytes. Default 20971520 (20 MiB). */
    IMAGE_MAX_BYTES: positiveInt.default(20_971_520),
    /** Largest image decoded, in pixels (width × height); a bigger one (a decompression bomb) is refused unread. Default 100000000. */
    IMAGE_MAX_PIXELS: positiveInt.default(100_000_000),
    /** Images bigger than this, in bytes, are analysed by the job queue (202, then progress). Default 8388608 (8 MiB). */
    IMAGE_SYNC_BYTES: positiveInt.default(8_388_608),
    /** tesseract.js OCR workers. Default 1. */
    OCR_WORKERS: integer(1, 16, 'an integer from 1 to 16').default(1),
    /** Images an OCR worker reads before it is replaced (tesseract.js workers grow). Default 50. */
    OCR_WORKER_RECYCLE_AFTER: integer(1, 100_000, 'an integer from 1 to 100000').default(50),
    /** Requests to voice and image endpoints one user may make per minute. Default 60. */
    RATE_LIMIT_MEDIA_PER_USER: positiveInt.default(60),
    /**
     * Keys whose signatures make a plugin package `signed`: `ed25519:…` key ids separated by commas. Outside
     * production the development key (plugins/dev-signing-key.pem) is trusted too; in production only these. Default none.
     */
    PLUGIN_TRUSTED_KEYS: z
      .string()
      .default('')
      .transform((list, ctx) => {
        try {
          return parseTrustedKeys(list);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `must be ed25519:<key> ids separated by commas; ${(error as Error).message}` });
          return z.NEVER;
        }
      }),
    /** Install plugin packages that are unsigned or signed by an untrusted key (never modified ones); warns at startup. Default false. */
    PLUGIN_ALLOW_UNSIGNED: flag.default(false),
    /** Hosts (host or host:port, comma-separated) operators may register remote MCP servers on. Default none. */
    PLUGIN_REMOTE_HOSTS: hostList,
    /** Plugin worker processes, each running one isolate at a time. Default 1. */
    PLUGIN_WORKERS: integer(1, 64, 'an integer from 1 to 64').default(1),
    /** Wall time one plugin tool call may take, in ms. Default 5000. */
    PLUGIN_TIMEOUT_MS: integer(100, 300_000, 'an integer from 100 to 300000').default(5_000),
    /** Memory a plugin's isolate may use, in MiB. Default 64. */
    PLUGIN_MEMORY_MIB: integer(8, 4_096, 'an integer from 8 to 4096').default(64),
    /** Largest output one tool call may return, in bytes (JSON). Default 1048576 (1 MiB). */
    PLUGIN_OUTPUT_BYTES: integer(1_024, 67_108_864, 'an integer from 1024 to 67108864').default(1_048_576),
    /** Longest a plugin's outbound HTTP request may take, in ms. Default 5000. */
    PLUGIN_HTTP_TIMEOUT_MS: integer(100, 120_000, 'an integer from 100 to 120000').default(5_000),
    /** Largest response body a plugin's outbound HTTP request may read, in bytes. Default 1048576 (1 MiB). */
    PLUGIN_HTTP_MAX_BYTES: integer(1_024, 67_108_864, 'an integer from 1024 to 67108864').default(1_048_576),
    /** OpenAI chat model behind plugins' `llm.complete` (needs OPENAI_API_KEY). Default gpt-4o-mini. */
    PLUGIN_LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
    /** Tool calls one user may make to one plugin per minute. Default 60. */
    RATE_LIMIT_PLUGIN_PER_USER: positiveInt.default(60),
    /**
     * VAPID key pair (base64url, as `npx web-push generate-vapid-keys` prints) that signs Web Push
     * requests. Unset: a pair is generated once and kept in the database, so every node signs alike.
     */
    VAPID_PUBLIC_KEY: z
      .string()
      .regex(/^[\w-]{80,100}$/, 'must be a base64url P-256 public key')
      .optional(),
    /** The private half of VAPID_PUBLIC_KEY (base64url); set both or neither. */
    VAPID_PRIVATE_KEY: z
      .string()
      .regex(/^[\w-]{40,50}$/, 'must be a base64url P-256 private key')
      .optional(),
    /** Who push services may contact about this deployment's pushes (`mailto:` or `https:`). Default mailto: of EMAIL_FROM's address. */
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)\S+$/, 'must be a mailto: or https: URL')
      .optional(),
    /**
     * Hosts on private addresses (host or host:port, comma-separated) that push subscriptions may still
     * point at — a push service inside your own network. Default none: pushes go to public addresses only.
     */
    PUSH_PRIVATE_HOSTS: hostList,
    /** Expo's push API, for the mobile app's notifications. Default https://exp.host (a stand-in's URL in tests). */
    EXPO_PUSH_URL: url(['http', 'https']).default('https://exp.host'),
    /** An Expo access token, when the Expo project has enhanced push security on. Default none. */
    EXPO_ACCESS_TOKEN: z.string().min(1).optional(),
    /** Trust X-Forwarded-For from this many proxy hops (0 = none). Default 0. */
    TRUST_PROXY_HOPS: integer(0, 100, 'a number of proxy hops (0-100)').default(0),
    /** pino level: fatal, error, warn, info, debug, trace, silent. Default info. */
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    /** Pretty, human-readable logs instead of JSON lines. Default false. */
    LOG_PRETTY: flag.default(false),
    /** Longest wait for in-flight work on SIGTERM before exiting anyway, in ms. Default 10000. */
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.CODE_EXEC_TIMEOUT_MS > env.CODE_EXEC_MAX_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['CODE_EXEC_TIMEOUT_MS'], message: 'must not exceed CODE_EXEC_MAX_TIMEOUT_MS' });
    }
    if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (!env.VAPID_PUBLIC_KEY !== !env.VAPID_PRIVATE_KEY) {
      const missing = env.VAPID_PUBLIC_KEY ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'must be set together with the other half of the VAPID key pair' });
    }
    if (!env.PGBACKREST_STANZA !== !env.PGBACKREST_CONFIG) {
      const missing = env.PGBACKREST_STANZA ? 'PGBACKREST_CONFIG' : 'PGBACKREST_STANZA';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'must be set together with the other PGBACKREST_ variable' });
    }
    if (env.REGIONS.length > 0 && !env.REGIONS.some((region) => region.name === env.REGION)) {
      ctx.addIssue({ code: 'custom', path: ['REGION'], message: 'must be the name of one of REGIONS' });
    }
    if (!env.S3_ACCESS_KEY_ID !== !env.S3_SECRET_ACCESS_KEY) {
      const [missing, set] = env.S3_ACCESS_KEY_ID
        ? ['S3_SECRET_ACCESS_KEY', 'S3_ACCESS_KEY_ID']
        : ['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'];
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required when ${set} is set` });
    }
  })
  // Links point at the port the product serves on, unless told where the public address is.
  .transform((env) => ({ ...env, APP_URL: env.APP_URL ?? `http://localhost:${env.PORT}` }));

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Variables whose values never appear in an error message. */
const SECRETS = new Set(['JWT_SECRET', 'S3_SECRET_ACCESS_KEY', 'VAPID_PRIVATE_KEY', 'BACKUP_ENCRYPTION_KEY', 'EXPO_ACCESS_TOKEN']);

/** Thrown by parseConfig; `lines` holds one human-readable line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default); throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" — the common shape of `FOO=` in .env files and compose files.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = ConfigSchema.safeParse(present);
  if (result.success) return Object.freeze(result.data);
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const got = name in present ? ` (got ${JSON.stringify(present[name])})` : '';
    return `Invalid configuration: ${name} ${issue.message}${SECRETS.has(name) ? '' : got}`;
  });
  throw new ConfigError(lines);
}

/** Reads the process environment once; on a bad value prints one line per variable and exits 1. */
export function loadConfig(): Config {
  try {
    return parseConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.lines) process.stderr.write(`${line}\n`);
    process.exit(1);
  }
}

/** One region of REGIONS, as configured. */
export type RegionConfig = z.infer<typeof RegionSchema>;
