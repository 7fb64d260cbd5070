import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createCollabServer, type CollabServer } from '../collab-server/server.ts';
import { WEB_DIST_DIR } from '../rest-api/middleware/webClient.ts';
import { addWorkspaceMember, createWorkspace, createWorkspaceConversation, registerUser, type TestUser } from '../test/factories.ts';
import { startTestApp, type TestApp } from '../test/http.ts';
import { attachVoiceStream } from '../rest-api/modules/voice/voiceStream.ts';
import { connected, signIn } from './pages.ts';

/** The Debian package's browser; nothing here ever downloads one. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Where screenshots go (gitignored). */
export const SCREENSHOT_DIR = path.resolve('test-results');

export const DESKTOP = { width: 1280, height: 820 };
export const PHONE = { width: 390, height: 844 };

const WEB_DIR = path.resolve('web');

/** The whole product as a browser sees it: REST app serving the built client, a collab server, Chromium. */
export interface Stack {
  app: TestApp;
  collab: CollabServer;
  /** `http://127.0.0.1:<port>` where the web client is served. */
  baseUrl: string;
  browser: Browser;
  /** A fresh browser profile (its own localStorage) at a desktop or phone size. */
  newContext(size?: { width: number; height: number }): Promise<BrowserContext>;
  /** A page in a fresh profile, waiting at most the stack's `pageTimeoutMs` for anything; closed with the browser. */
  openPage(size?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Builds web/dist when it is missing or older than its sources (postinstall normally has built it), and
 * fails loudly when there is still no client to serve.
 */
export function ensureWebClientBuilt(): void {
  const index = path.join(WEB_DIST_DIR, 'index.html');
  if (!fs.existsSync(index) || newestSource() > fs.statSync(index).mtimeMs) {
    execFileSync(path.resolve('node_modules/.bin/vite'), ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      stdio: 'inherit',
    });
  }
  if (!fs.existsSync(index)) throw new Error(`The web client is not built: ${index} is missing. Run npm run build:web.`);
}

function newestSource(): number {
  const files = [path.join(WEB_DIR, 'index.html'), path.join(WEB_DIR, 'vite.config.ts'), ...listFiles(path.join(WEB_DIR, 'src'))];
  return Math.max(...files.map((file) => fs.statSync(file).mtimeMs));
}

const listFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));

/** A port free right now: the collab server's, which the REST app must know before it serves pages. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts PostgreSQL-backed REST and collab servers on the same services and launches Chromium. The page
 * learns the collab URL the way production does: the REST server writes it into index.html (here the
 * default, the page's own host on COLLAB_PORT). Attachments go to a fresh directory, removed on close;
 * `env` sets anything else (a small ATTACHMENT_MAX_BYTES, say).
 */
export async function startStack(
  options: {
    env?: Record<string, string>;
    pageTimeoutMs?: number;
    /** Added to CHROMIUM_FLAGS (a fake microphone, say). */
    chromiumArgs?: string[];
    /** The parts the collab server is built with, from the app's (its own database connection, say). */
    collabServices?: (services: TestApp['services']) => TestApp['services'];
  } = {},
): Promise<Stack> {
  ensureWebClientBuilt();
  const collabPort = await freePort();
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinmcp-e2e-objects-'));
  const app = await startTestApp({ env: { COLLAB_PORT: String(collabPort), STORAGE_DIR: storageDir, ...options.env } });
  const collab = createCollabServer(options.collabServices ? options.collabServices(app.services) : app.services);
  await collab.listen(collabPort, '127.0.0.1');
  const rest = http.createServer(app.app);
  attachVoiceStream(rest, app.services);
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(rest.address() as net.AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_FLAGS, ...(options.chromiumArgs ?? [])],
    headless: true,
  });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const newContext = (size = DESKTOP) =>
    browser.newContext({
      baseURL: baseUrl,
      viewport: size,
      ...(size.width < 640 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    });
  return {
    app,
    collab,
    baseUrl,
    browser,
    newContext,
    async openPage(size) {
      const context = await newContext(size);
      context.setDefaultTimeout(options.pageTimeoutMs ?? 10_000);
      return context.newPage();
    },
    async close() {
      await browser.close().catch(() => undefined);
      rest.closeAllConnections();
      await new Promise((resolve) => rest.close(resolve));
      await collab.close();
      await app.close();
      fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Someone in a room: their account and their signed-in, connected page. */
export interface RoomMember {
  user: TestUser;
  page: Page;
}

/** Someone to put in a room: their name, their workspace role (`member` unless said) and their screen. */
export interface RoomPerson {
  name: string;
  role?: 'admin' | 'member' | 'viewer';
  size?: { width: number; height: number };
}

/**
 * A workspace conversation with these people in it, each signed in on a page of their own and connected
 * to the room. The first creates the workspace (so is its admin) and the conversation; the others join
 * the workspace with their role, straight in the database (the invitation flow has its own test).
 */
export async function peopleInRoom(
  stack: Stack,
  people: RoomPerson[],
  title = 'A team conversation',
): Promise<{ conversation: { id: string; title: string; workspaceId: string }; members: RoomMember[] }> {
  const users = await Promise.all(people.map(({ name }) => registerUser(stack.app, { name })));
  const [creator, ...others] = users;
  const workspace = await createWorkspace(stack.app, creator!, `${title} team`);
  for (const [index, user] of others.entries())
    await addWorkspaceMember(stack.app, workspace.id, user, people[index + 1]!.role ?? 'member');
  const conversation = await createWorkspaceConversation(stack.app, creator!, workspace.id, title);
  const members = await Promise.all(
    people.map(async (person, index) => {
      const page = await stack.openPage(person.size);
      await signIn(page, users[index]!, `/c/${conversation.id}`);
      await connected(page);
      return { user: users[index]!, page };
    }),
  );
  return { conversation, members };
}
