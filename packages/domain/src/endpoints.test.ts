import { describe, expect, it } from 'vitest';
import { checkEndpoint, endpointPatternSchema } from './endpoints';
import { FederaError } from './errors';

const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'OK';
  } catch (err) {
    return err instanceof FederaError ? err.code : 'THROWN';
  }
};

describe('endpoint allow-lists', () => {
  const list = ['https://*.gpu.rhein.example', 'http://127.0.0.1', 'https://[::1]'];

  it('accepts hosts on the list, exactly or under a wildcard suffix, and normalises the URL', () => {
    expect(checkEndpoint('https://fra.gpu.rhein.example', list, 'rhein')).toBe(
      'https://fra.gpu.rhein.example',
    );
    expect(checkEndpoint('https://a.b.gpu.rhein.example:8443/api/', list, 'rhein')).toBe(
      'https://a.b.gpu.rhein.example:8443/api',
    );
    expect(checkEndpoint('http://127.0.0.1:9101', list, 'rhein')).toBe('http://127.0.0.1:9101');
    expect(checkEndpoint('https://[::1]:9000', list, 'rhein')).toBe('https://[::1]:9000');
    // the WHATWG parser normalises other spellings of an allowed address to it
    expect(checkEndpoint('http://2130706433:9101', list, 'rhein')).toBe('http://127.0.0.1:9101');
  });

  it('refuses hosts, schemes and tricks the list does not cover', () => {
    for (const endpoint of [
      'https://gpu.rhein.example', // the suffix itself is not below it
      'https://evilgpu.rhein.example',
      'https://fra.gpu.rhein.example.evil.net',
      'http://fra.gpu.rhein.example', // wrong scheme for that pattern
      'https://127.0.0.1:9101',
      'http://127.0.0.2',
      'http://localhost:9101',
      'http://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:9101@evil.net',
      'http://user:pw@127.0.0.1:9101',
      'http://evil.net#@127.0.0.1',
      'http://127.0.0.1:9101/?x=1',
      'ftp://127.0.0.1',
      'file:///etc/passwd',
    ]) {
      expect([endpoint, codeOf(() => checkEndpoint(endpoint, list, 'rhein'))]).toEqual([
        endpoint,
        'ENDPOINT_NOT_ALLOWED',
      ]);
    }
    expect(codeOf(() => checkEndpoint('not a url', list, 'rhein'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => checkEndpoint('http://127.0.0.1', [], 'rhein'))).toBe('ENDPOINT_NOT_ALLOWED');
  });

  it('validates patterns: scheme and host only, lower case', () => {
    for (const ok of ['http://127.0.0.1', 'https://*.example.net', 'https://[::1]', 'https://a-b.example'])
      expect(endpointPatternSchema.safeParse(ok).success).toBe(true);
    for (const bad of [
      '*',
      'https://*',
      'https://*.',
      'ftp://example.net',
      'https://Example.net',
      'https://example.net/',
      'https://example.net:443',
      'https://u@example.net',
      'https://a.*.example.net',
    ])
      expect([bad, endpointPatternSchema.safeParse(bad).success]).toEqual([bad, false]);
  });
});
