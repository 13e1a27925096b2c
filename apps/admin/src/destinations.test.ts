import { describe, expect, it } from '@jest/globals';
import { literalHostCheck } from './destinations.js';

describe('literalHostCheck', () => {
  const check = literalHostCheck(false)!;
  const judge = (url: string) => check(new URL(url));

  it('refuses loopback, private, link-local and localhost hosts', () => {
    for (const url of [
      'https://127.0.0.1/', 'https://2130706433/', 'https://10.0.0.1/', 'https://172.16.5.4/', 'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data', 'https://100.64.0.1/', 'https://0.0.0.0/', 'https://[::1]/', 'https://[fd00::1]/',
      'https://[fe80::1]/', 'https://[::ffff:127.0.0.1]/', 'https://localhost/', 'https://api.localhost/',
    ]) {
      expect([url, judge(url)]).toEqual([url, expect.any(String)]);
    }
  });

  it('accepts public addresses and names', () => {
    for (const url of ['https://hooks.example.com/x', 'https://8.8.8.8/', 'https://172.32.0.1/', 'https://[2001:4860::8888]/']) {
      expect([url, judge(url)]).toEqual([url, null]);
    }
  });

  it('is absent when private destinations are allowed', () => {
    expect(literalHostCheck(true)).toBeUndefined();
  });
});
