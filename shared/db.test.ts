import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDb, migrateLatest } from './db.ts';
import { createEmptyDatabase } from '../test/services.ts';

describe('migrations', () => {
  let database: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(() => database.drop());

  it('run from several processes at once: one applies them, the others find nothing to do', async () => {
    const nodes = [1, 2, 3].map(() => createDb({ DATABASE_URL: database.url, DATABASE_POOL_MAX: 3, DATA_DIR: 'unused' }));
    try {
      const applied = await Promise.all(nodes.map((db) => migrateLatest(db)));
      const counts = applied.map((names) => names.length).sort();
      expect(counts.slice(0, 2)).toEqual([0, 0]);
      expect(counts[2]).toBeGreaterThan(0);
      expect(await nodes[0]!('knex_migrations').count({ n: '*' })).toEqual([{ n: String(counts[2]) }]);
    } finally {
      await Promise.all(nodes.map((db) => db.destroy()));
    }
  });
});
