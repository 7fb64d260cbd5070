import { describe, expect, it } from '@jest/globals';
import { headerSealingKey, openHeaders, sealHeaders } from './sealedHeaders.ts';

describe('sealed remote server headers', () => {
  const key = headerSealingKey('a-jwt-secret-that-is-long-enough-0123456789');
  const url = 'https://mcp.example.com/mcp';
  const headers = { Authorization: 'Bearer sk-live-123' };

  it('opens what it sealed, and the sealed text never holds the values', () => {
    const sealed = sealHeaders(key, headers, url);
    expect(sealed).not.toContain('sk-live-123');
    expect(openHeaders(key, sealed, url)).toEqual(headers);
    // A fresh nonce each time: the same headers never seal to the same text.
    expect(sealHeaders(key, headers, url)).not.toBe(sealed);
  });

  it('refuses another secret, another server, or altered text', () => {
    const sealed = sealHeaders(key, headers, url);
    expect(() => openHeaders(headerSealingKey('another-secret-that-is-long-enough-987654321'), sealed, url)).toThrow();
    expect(() => openHeaders(key, sealed, 'https://evil.example.com/mcp')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('{"Authorization":"x"}').toString('base64url');
    expect(() => openHeaders(key, parts.join('.'), url)).toThrow();
  });
});
