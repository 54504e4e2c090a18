import { describe, expect, test } from 'vitest';
import { presetPolicy, resolvePolicy } from '../policy/index.js';
import { buildSandboxEnv, envAllowed } from './env.js';

const HOST = {
  PATH: '/usr/bin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  LC_ALL: 'C',
  TERM: 'xterm',
  AWS_SECRET_ACCESS_KEY: 'hunter2',
  OPENAI_API_KEY: 'sk-secret',
  GITHUB_TOKEN: 'ghp_secret',
  SSH_AUTH_SOCK: '/tmp/agent.sock',
};

describe('buildSandboxEnv', () => {
  test('a host secret never passes the default allowlist', () => {
    const env = buildSandboxEnv(presetPolicy('strict').env, HOST);
    expect(Object.values(env).join('\n')).not.toMatch(/hunter2|sk-secret|ghp_secret|agent\.sock/);
    expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'PATH', 'TERM']);
  });

  test('HOME is the workspace, PATH has a default, network variables are added', () => {
    const env = buildSandboxEnv(
      presetPolicy('strict').env,
      { HOME: '/root' },
      { HTTP_PROXY: 'http://198.19.0.1:3128' },
    );
    expect(env.HOME).toBe('/workspace');
    expect(env.PATH).toContain('/usr/bin');
    expect(env.HTTP_PROXY).toBe('http://198.19.0.1:3128');
  });

  test('env.allow adds names and prefixes; env.set wins over everything', () => {
    const policy = resolvePolicy({
      env: { allow: ['GITHUB_*'], set: { TERM: 'dumb', HOME: '/workspace/home' } },
    });
    const env = buildSandboxEnv(policy.env, HOST, { TERM: 'net' });
    expect(env.GITHUB_TOKEN).toBe('ghp_secret');
    expect(env.TERM).toBe('dumb');
    expect(env.HOME).toBe('/workspace/home');
    expect(env.OPENAI_API_KEY).toBeUndefined();
  });

  test('envAllowed matches exact names and PREFIX* only', () => {
    expect(envAllowed('LC_ALL', ['LC_*'])).toBe(true);
    expect(envAllowed('XLC_ALL', ['LC_*'])).toBe(false);
    expect(envAllowed('PATHX', ['PATH'])).toBe(false);
  });
});
