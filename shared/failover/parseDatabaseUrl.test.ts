import { describe, expect, it } from '@jest/globals';
import { isMultiHostUrl, parseDatabaseUrl } from './parseDatabaseUrl.ts';

describe('parseDatabaseUrl', () => {
  it('takes apart a libpq multi-host URL and gives a single-host URL for each server', () => {
    const url = parseDatabaseUrl(
      'postgres://app:s3cret@db1.internal:5433,10.0.0.2,[::1]:6000/appdb?target_session_attrs=read-write&sslmode=disable',
    )!;
    expect(url.hosts).toEqual([
      { host: 'db1.internal', port: 5433 },
      { host: '10.0.0.2', port: 5432 },
      { host: '::1', port: 6000 },
    ]);
    expect(url.targetSessionAttrs).toBe('read-write');
    expect(url.urlFor(url.hosts[1]!)).toBe('postgres://app:s3cret@10.0.0.2:5432/appdb?sslmode=disable');
    expect(url.urlFor(url.hosts[2]!)).toBe('postgres://app:s3cret@[::1]:6000/appdb?sslmode=disable');
  });

  it('reads a plain single-host URL as one server', () => {
    const url = parseDatabaseUrl('postgresql://postgres@127.0.0.1:5432/twinmcp')!;
    expect(url.hosts).toEqual([{ host: '127.0.0.1', port: 5432 }]);
    expect(url.urlFor(url.hosts[0]!)).toBe('postgresql://postgres@127.0.0.1:5432/twinmcp');
    expect(isMultiHostUrl('postgresql://postgres@127.0.0.1:5432/twinmcp')).toBe(false);
    expect(isMultiHostUrl('postgres://a:1,b:2/db')).toBe(true);
  });

  it.each([
    ['another scheme', 'mysql://h1,h2/db'],
    ['an empty host in the list', 'postgres://h1:5432,,h2/db'],
    ['a port out of range', 'postgres://h1:70000/db'],
    ['text that is not a URL', 'not a url'],
  ])('refuses %s', (_case, text) => {
    expect(parseDatabaseUrl(text)).toBeUndefined();
  });
});
