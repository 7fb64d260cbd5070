import crypto from 'node:crypto';
import pg from 'pg';
import { databaseUrlFor } from './pgTools.ts';

/** A database made for one restore, on the server of `serverUrl`. */
export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops it, disconnecting whoever is still connected. */
  drop(): Promise<void>;
}

/** A name no other scratch database has; `twinmcp_restore` unless the caller picks a prefix (tests pick theirs). */
export function scratchDatabaseName(prefix = 'twinmcp_restore'): string {
  return `${prefix}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
}

const SAFE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates an empty database `name` next to the one `serverUrl` names (the role needs CREATEDB). */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<ScratchDatabase> {
  // The name goes into DDL, which takes no parameters: only plain lowercase identifiers pass.
  if (!SAFE_NAME.test(name)) throw new RangeError(`Not a plain database name: ${name}`);
  await onServer(serverUrl, `create database ${name}`);
  return { name, url: databaseUrlFor(serverUrl, name), drop: () => onServer(serverUrl, `drop database if exists ${name} with (force)`) };
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
