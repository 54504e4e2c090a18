/**
 * The small glob dialect of task files (`protected:`): `**` spans directories, `*` and `?` stay
 * within one path part; a pattern naming a directory also covers everything under it.
 */

function escape(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** @example globToRegExp('tests/**').test('tests/a/b.sh') // true */
export function globToRegExp(pattern: string): RegExp {
  // `dir/**` also covers `dir` itself (a test directory swapped for a symlink is still caught).
  const glob = pattern.endsWith('/**') ? pattern.slice(0, -3) : pattern;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += escape(ch);
  }
  return new RegExp(`^${out}(?:/.*)?$`);
}

/** A matcher over workspace-relative paths for a list of globs (none: matches nothing). */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  const res = globs.map(globToRegExp);
  return (path) => res.some((re) => re.test(path));
}
