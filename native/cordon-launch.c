/* cordon-launch: the host-side starter Node spawns in front of bwrap. Joins the sandbox's cgroups
 * (so bwrap and everything below is born in them), optionally its network namespace, ties its
 * life to the parent's with PR_SET_PDEATHSIG, then execs the program. With --user it drops to an
 * unprivileged host uid first: a sandbox whose uid maps to host root could read every root-only
 * file the mount policy does not hide, so the sandbox's uid must map to nobody in particular.
 * Paths that uid cannot reach (a workspace under a 0700 directory) are staged first: in a mount
 * namespace private to this sandbox, a tmpfs on STAGE_ROOT gets a bind of each SRC at STAGE_ROOT/N.
 *   cordon-launch [--cgroup-procs FILE]... [--netns PATH] [--stage-root DIR --stage SRC]...
 *                 [--user UID:GID[:G1,G2...]] [--] PROGRAM ARGS...
 * Any setup failure: a message prefixed "cordon-launch:" on stderr and exit 125. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SETUP_FAILED 125
#define MAX_CGROUPS 16
#define MAX_GROUPS 16
#define MAX_STAGES 64

static _Noreturn void fail(const char *what, const char *arg) {
  fprintf(stderr, "cordon-launch: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
          strerror(errno));
  exit(SETUP_FAILED);
}

static _Noreturn void usage(const char *why) {
  fprintf(stderr,
          "cordon-launch: %s\nusage: cordon-launch [--cgroup-procs FILE]... [--netns PATH] "
          "[--user UID:GID[:G1,G2...]] [--] PROGRAM ARGS...\n",
          why);
  exit(SETUP_FAILED);
}

static void join_cgroup(const char *procs) {
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("open", procs);
  if (write(fd, pid, (size_t)n) != n) fail("write", procs);
  if (close(fd) < 0) fail("close", procs);
}

/* Parses "UID:GID[:G1,G2...]"; returns 0 on success. */
static int parse_user(const char *spec, uid_t *uid, gid_t *gid, gid_t *groups, int *n_groups) {
  char *end;
  unsigned long u = strtoul(spec, &end, 10);
  if (end == spec || *end != ':') return -1;
  const char *p = end + 1;
  unsigned long g = strtoul(p, &end, 10);
  if (end == p || (*end != '\0' && *end != ':')) return -1;
  *uid = (uid_t)u;
  *gid = (gid_t)g;
  *n_groups = 0;
  while (*end == ':' || *end == ',') {
    p = end + 1;
    if (*p == '\0') break;
    unsigned long x = strtoul(p, &end, 10);
    if (end == p || *n_groups == MAX_GROUPS) return -1;
    groups[(*n_groups)++] = (gid_t)x;
  }
  if (*end != '\0') return -1;
  /* Dropping to root would defeat the point. */
  return (*uid == 0 || *gid == 0) ? -1 : 0;
}

/* Binds each source at stage_root/<index> inside a new, private mount namespace. */
static void stage_paths(const char *stage_root, const char **sources, int n) {
  if (unshare(CLONE_NEWNS) < 0) fail("unshare(CLONE_NEWNS)", NULL);
  /* Nothing done here may propagate back to the host's mounts. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail("make mounts private", NULL);
  if (mount("cordon-stage", stage_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
    fail("mount tmpfs", stage_root);
  for (int k = 0; k < n; k++) {
    char dest[4096];
    struct stat st;
    if (stat(sources[k], &st) < 0) fail("stat", sources[k]);
    snprintf(dest, sizeof dest, "%s/%d", stage_root, k);
    if (S_ISDIR(st.st_mode)) {
      if (mkdir(dest, 0755) < 0) fail("mkdir", dest);
    } else {
      int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) fail("create", dest);
      close(fd);
    }
    if (mount(sources[k], dest, NULL, MS_BIND | MS_REC, NULL) < 0) fail("bind", sources[k]);
  }
}

static void drop_to_user(uid_t uid, gid_t gid, const gid_t *groups, int n_groups) {
  if (setgroups((size_t)n_groups, groups) < 0) fail("setgroups", NULL);
  if (setresgid(gid, gid, gid) < 0) fail("setresgid", NULL);
  if (setresuid(uid, uid, uid) < 0) fail("setresuid", NULL);
  if (getuid() != uid || geteuid() != uid || getgid() != gid) {
    errno = EPERM;
    fail("drop privileges", NULL);
  }

}

int main(int argc, char **argv) {
  pid_t parent = getppid();
  const char *cgroups[MAX_CGROUPS];
  int n_cgroups = 0;
  const char *netns = NULL;
  const char *user = NULL;
  uid_t uid = 0;
  gid_t gid = 0;
  gid_t groups[MAX_GROUPS];
  int n_groups = 0;
  const char *stage_root = NULL;
  const char *stages[MAX_STAGES];
  int n_stages = 0;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--cgroup-procs") == 0 && i + 1 < argc) {
      if (n_cgroups == MAX_CGROUPS) usage("too many --cgroup-procs");
      cgroups[n_cgroups++] = argv[++i];
    } else if (strcmp(argv[i], "--netns") == 0 && i + 1 < argc) {
      netns = argv[++i];
    } else if (strcmp(argv[i], "--stage-root") == 0 && i + 1 < argc) {
      stage_root = argv[++i];
    } else if (strcmp(argv[i], "--stage") == 0 && i + 1 < argc) {
      if (n_stages == MAX_STAGES) usage("too many --stage");
      stages[n_stages++] = argv[++i];
    } else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
      user = argv[++i];
      if (parse_user(user, &uid, &gid, groups, &n_groups) < 0) usage("bad --user (UID:GID[:G1,G2...], not root)");
    } else if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      usage("unknown option");
    } else {
      break;
    }
  }
  if (i >= argc) usage("no program given");

  for (int c = 0; c < n_cgroups; c++) join_cgroup(cgroups[c]);
  if (netns != NULL) {
    int fd = open(netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("open netns", netns);
    if (setns(fd, CLONE_NEWNET) < 0) fail("setns", netns);
    close(fd);
  }
  if (n_stages > 0) {
    if (stage_root == NULL) usage("--stage needs --stage-root");
    stage_paths(stage_root, stages, n_stages);
  }
  /* After the cgroup and netns joins (they need root), before PDEATHSIG (a credential change clears it). */
  if (user != NULL) drop_to_user(uid, gid, groups, n_groups);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail("prctl(PR_SET_PDEATHSIG)", NULL);
  /* The parent may have died before PDEATHSIG was armed: then nobody would ever kill us. */
  if (getppid() != parent) {
    fprintf(stderr, "cordon-launch: parent exited during setup\n");
    return SETUP_FAILED;
  }
  execvp(argv[i], argv + i);
  fail("exec", argv[i]);
}
