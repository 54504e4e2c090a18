/**
 * file.credential-file-read: a credential store is read: SSH private keys, ~/.aws/credentials,
 * ~/.netrc, /etc/shadow, .git-credentials, docker/kube configs, gcloud tokens. Failed opens count:
 * the policy hides them, trying is the evidence. ATT&CK T1552.001, T1552.004, T1003.008.
 * Severity high. ssh reading its key, and keys created during the run (a deploy key), are not
 * flagged; nor is grepping for 'BEGIN PRIVATE KEY' in fixtures.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, progName } from '../../lib/command.js';
import { isWriteAccess } from '../../state.js';

const CREDENTIAL =
  /\/\.ssh\/id_(rsa|dsa|ecdsa|ed25519)(_sk)?$|\/\.aws\/(credentials|config)$|\/\.netrc$|^\/etc\/(g?shadow|security\/opasswd)$|\/\.git-credentials$|\/\.docker\/config\.json$|\/\.kube\/config$|\/\.config\/gcloud\/(credentials\.db|access_tokens\.db|application_default_credentials\.json)$|\/\.azure\/(accessTokens\.json|msal_token_cache\.json)$|\/\.pgpass$|\/\.my\.cnf$|\/\.npmrc$|\/\.pypirc$/;
const SSH_TOOLS = new Set([
  'ssh',
  'ssh-add',
  'ssh-keygen',
  'ssh-agent',
  'scp',
  'sftp',
  'git',
  'ssh-keyscan',
]);
/** Tools that touch a key file without reading its secret. */
const META_TOOLS = new Set([
  'chmod',
  'chown',
  'ls',
  'stat',
  'test',
  '[',
  'rm',
  'touch',
  'mkdir',
  'file',
  'ssh-keygen',
  'ssh-add',
]);

function expandHome(path: string): string {
  return path.replace(/^~(?=\/)/, '/home/user');
}

export const credentialFileRead = defineRule({
  id: 'file.credential-file-read',
  category: 'credential-access',
  severity: 'high',
  attack: ['T1552.001', 'T1552.004', 'T1003.008'],
  reason: 'A credential file was read',
  kinds: ['file.access', 'process.exec'],
  check(event, state) {
    if (event.kind === 'process.exec') {
      for (const cmd of commandsOf(event.argv)) {
        if (META_TOOLS.has(cmd.name) || SSH_TOOLS.has(cmd.name)) continue;
        const path = cmd.args.map(expandHome).find((a) => a.includes('/') && CREDENTIAL.test(a));
        if (path && !state.fileCreated(path))
          return execHit(event, `${cmd.name} reads ${path}`, { path });
      }
      return null;
    }
    if (event.op !== 'open' || isWriteAccess(event.op, event.flags) || !CREDENTIAL.test(event.path))
      return null;
    const tool = event.exe ? progName(event.exe) : '';
    if (SSH_TOOLS.has(tool) && /\/\.ssh\//.test(event.path)) return null;
    if (state.fileCreated(event.path)) return null;
    return {
      detail: `read ${event.path}${event.result === 0 ? '' : ' (failed)'}`,
      evidence: { path: event.path, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: event.path,
    };
  },
});
