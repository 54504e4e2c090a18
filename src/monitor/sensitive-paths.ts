/**
 * Which file paths are worth a `file.access` event. The kernel side reports every open of a watched
 * sandbox; this list keeps the bus to the ones a rule may care about (devices, other processes'
 * memory and secrets, persistence points, escape points, logs and history).
 */

export interface SensitiveMatch {
  /** A short tag naming why the path is sensitive (e.g. `gpu`, `ssh`, `persistence`). */
  tag: string;
}

const PATTERNS: readonly [RegExp, string][] = [
  [/^\/dev\/(nvidia|dri(\/|$)|kfd$|accel\/)/, 'gpu'],
  [/^\/dev\/cpu\/\d+\/msr$/, 'msr'],
  [/(^|\/)nr_(overcommit_)?hugepages$/, 'hugepages'],
  [/^\/proc\/(\d+|self|thread-self)\/(task\/\d+\/)?(environ|mem)$/, 'proc-secrets'],
  [/^\/proc\/\d+\/root(\/|$)/, 'proc-root'],
  [/^\/proc\/(sys\/kernel\/core_pattern|sysrq-trigger|kcore)$/, 'escape'],
  [/(^|\/)release_agent$/, 'escape'],
  [/(^|\/)notify_on_release$/, 'escape'],
  [/(^|\/)(docker|containerd|podman|crio)(\.sock|\/)/, 'container-socket'],
  [/^\/run\/containerd(\/|$)/, 'container-socket'],
  [/(^|\/)\.ssh(\/|$)/, 'ssh'],
  [/(^|\/)authorized_keys2?$/, 'ssh'],
  [/^\/etc\/(crontab|cron\.[a-z]+|anacrontab)(\/|$)/, 'persistence'],
  [/^\/var\/spool\/(cron|at)(\/|$)/, 'persistence'],
  [/^\/(etc|lib|usr\/lib|run)\/systemd\/(system|user)(\/|$)/, 'persistence'],
  [/(^|\/)\.config\/systemd(\/|$)/, 'persistence'],
  [
    /(^|\/)\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin)$/,
    'shell-rc',
  ],
  [/^\/etc\/(profile|bash\.bashrc|environment|zsh\/zshrc)$/, 'shell-rc'],
  [/^\/etc\/profile\.d(\/|$)/, 'shell-rc'],
  [/^\/etc\/ld\.so\.preload$/, 'preload'],
  [/^\/etc\/(shadow|gshadow|sudoers)(-|$)/, 'credentials'],
  [/^\/etc\/sudoers\.d(\/|$)/, 'credentials'],
  [/(^|\/)\.aws\/(credentials|config)$/, 'credentials'],
  [
    /(^|\/)\.(docker\/config\.json|kube\/config|netrc|git-credentials|npmrc|pypirc|pgpass)$/,
    'credentials',
  ],
  [/(^|\/)\.config\/gcloud(\/|$)/, 'credentials'],
  [/(^|\/)\.(bash|zsh|sh|python|mysql|psql|node_repl)_history$/, 'history'],
  [/(^|\/)\.(history|lesshst)$/, 'history'],
  [/^\/var\/log(\/|$)/, 'log'],
  [/^\/etc\/(resolv\.conf|hosts|nftables\.conf)$/, 'network-config'],
];

/** Any of PATTERNS, in one pass: nearly every path matches none, and is rejected by this alone. */
const ANY_PATTERN = new RegExp(PATTERNS.map(([re]) => `(?:${re.source})`).join('|'));

/** Tags reported only for writes, unlinks, renames and chmods: every resolver reads resolv.conf. */
const WRITES_ONLY = new Set(['log', 'network-config']);

/**
 * True for paths in the host's software trees (`/usr/`, `/lib*`, and the loader's cache) with
 * no dot component, so no dotfile and no `..` out of them. Reads of these are never sensitive:
 * the trees are the host's, bound read-only, and a compiler opens thousands of them, so the eBPF
 * program drops such reads in the kernel (`bpftrace-program.ts` makes the same test).
 */
export function isSoftwareTreePath(path: string): boolean {
  return (
    path === '/etc/ld.so.cache' ||
    ((path.startsWith('/usr/') || path.startsWith('/lib')) && !path.includes('/.'))
  );
}

/**
 * Extensions of the files a C or C++ build reads and writes by the hundred: sources, headers,
 * assembly, objects, archives, dependency files. No sensitive file is named so: keys,
 * credentials, units, rc files, logs and devices have fixed names or other suffixes, and the
 * places that run files by name (cron.d, profile.d, systemd, sudoers.d) ignore these. A directory
 * tag (`.ssh/`, `/var/log/`) would still match such a file there, which says nothing more.
 */
// prettier-ignore
export const BUILD_ARTEFACT_EXTENSIONS = [
  'c', 'h', 'i', 's', 'S', 'o', 'a', 'd', 'cc', 'hh', 'ii', 'cpp', 'hpp', 'cxx',
] as const;

const BUILD_ARTEFACT = new RegExp(`^.+\\.(${BUILD_ARTEFACT_EXTENSIONS.join('|')})$`, 's');

/**
 * True for a file name (one path component) with a build artefact's extension and something
 * before the dot. The eBPF program drops successful opens of regular files so named, by the
 * name of the file the new fd refers to (`bpftrace-program.ts` makes the same test).
 */
export function isBuildArtefactName(name: string): boolean {
  return BUILD_ARTEFACT.test(name);
}

/**
 * Returns why `path` is sensitive, or null. `path` should be absolute when the cwd is known;
 * `write` says whether the access modifies (write/create/truncate open, unlink, rename, chmod).
 */
export function matchSensitive(path: string, write = true): SensitiveMatch | null {
  if (!write && isSoftwareTreePath(path)) return null;
  if (!ANY_PATTERN.test(path)) return null;
  for (const [re, tag] of PATTERNS) {
    if (re.test(path)) return !write && WRITES_ONLY.has(tag) ? null : { tag };
  }
  return null;
}

/**
 * Joins a relative path onto the process's cwd and folds `.`/`..`, without touching the
 * filesystem (the path may not exist, and may live in another mount namespace).
 */
export function absolutize(path: string, cwd: string | undefined): string {
  const joined = path.startsWith('/') || !cwd ? path : `${cwd}/${path}`;
  if (!joined.startsWith('/')) return joined;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
