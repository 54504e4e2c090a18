/* cordon-init: the first process inside a cordon sandbox (bubblewrap --as-pid-1).
 * Installs the seccomp filter, supervises its user notifications, reaps every process, and either
 * runs one command (one-shot) or serves exec requests on a control socket (server mode).
 *   cordon-init [--events FD] [--control FD] [--no-seccomp] [-- CMD ARGS...] */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int g_listener_fd = -1;
int g_sigfd = -1;

static void die(const char *what) {
  fprintf(stderr, "cordon-init: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void usage(void) {
  fprintf(stderr,
          "usage: cordon-init [--events FD] [--control FD] [--no-seccomp] [-- CMD ARGS...]\n");
  exit(2);
}

static int parse_fd(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 65535) usage();
  if (fcntl((int)v, F_GETFD) < 0) {
    fprintf(stderr, "cordon-init: fd %ld is not open\n", v);
    exit(2);
  }
  return (int)v;
}

static void noop_handler(int sig) { (void)sig; }

static const int handled_signals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};

/* A handler (not SIG_DFL) plus a block: a pid-namespace init silently drops SIG_DFL signals sent
 * from inside its namespace, and we want every one of these on the signalfd. */
static int setup_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  struct sigaction sa = {.sa_handler = noop_handler};
  for (size_t i = 0; i < sizeof handled_signals / sizeof handled_signals[0]; i++) {
    sigaction(handled_signals[i], &sa, NULL);
    sigaddset(&set, handled_signals[i]);
  }
  signal(SIGPIPE, SIG_IGN);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) die("sigprocmask");
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) die("signalfd");
  return fd;
}

static void restore_signals_in_child(void) {
  sigset_t empty;
  sigemptyset(&empty);
  for (size_t i = 0; i < sizeof handled_signals / sizeof handled_signals[0]; i++)
    signal(handled_signals[i], SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &empty, NULL);
}

/* Processes alive in our pid namespace other than us (and bwrap's reaper when we are not pid 1). */
int count_lingering(void) {
  DIR *d = opendir("/proc");
  if (d == NULL) return -1;
  int n = 0;
  pid_t self = getpid();
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self || (self != 1 && pid == 1)) continue;
    n++;
  }
  closedir(d);
  return n;
}

void kill_everything(void) {
  /* kill(-1) only reaches our own pid namespace when we are its init; anywhere else (run by hand
   * on a host) it would reach every process we may signal, so never do it there. */
  if (getpid() == 1) kill(-1, SIGKILL);
}

static void make_exit_event(pid_t pid, int status) {
  static struct jbuf b;
  char sig[32];
  jb_reset(&b);
  jb_lit(&b, "{\"type\":\"exit\"");
  jb_key(&b, "pid");
  jb_i64(&b, pid);
  jb_key(&b, "code");
  if (WIFEXITED(status)) jb_i64(&b, WEXITSTATUS(status));
  else jb_lit(&b, "null");
  jb_key(&b, "signal");
  if (WIFSIGNALED(status)) {
    signal_name(WTERMSIG(status), sig, sizeof sig);
    jb_cstr(&b, sig);
  } else {
    jb_lit(&b, "null");
  }
  jb_key(&b, "lingering");
  jb_i64(&b, count_lingering());
  emit_event(&b);
}

static int run_oneshot(char **cmd) {
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    if (g_events_fd >= 0) close(g_events_fd);
    if (g_listener_fd >= 0) close(g_listener_fd);
    close(g_sigfd);
    restore_signals_in_child();
    execvp(cmd[0], cmd);
    int err = errno;
    fprintf(stderr, "cordon-init: %s: %s\n", cmd[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  struct pollfd fds[2] = {{.fd = g_sigfd, .events = POLLIN}, {.fd = g_listener_fd, .events = POLLIN}};
  for (;;) {
    int r = poll(fds, g_listener_fd >= 0 ? 2 : 1, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (g_listener_fd >= 0 && (fds[1].revents & POLLIN)) handle_notification(g_listener_fd);
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    while (read(g_sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
      if (si.ssi_signo != SIGCHLD) {
        kill(child, (int)si.ssi_signo);
        continue;
      }
      int status, child_status = 0, done = 0;
      pid_t pid;
      /* Reap every zombie first, so `lingering` counts only live processes. */
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (pid == child) done = 1, child_status = status;
      if (done) {
        make_exit_event(child, child_status);
        return WIFEXITED(child_status) ? WEXITSTATUS(child_status)
                                       : 128 + WTERMSIG(child_status);
      }
    }
  }
}

static void ensure_std_fds(void) {
  /* A closed 0/1/2 would be handed out to our pipes and confuse the dup2 plumbing. */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0) die("open /dev/null");
}

int main(int argc, char **argv) {
  int control_fd = -1, no_seccomp = 0;
  char **cmd = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) g_events_fd = parse_fd(argv[++i]);
    else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc) control_fd = parse_fd(argv[++i]);
    else if (strcmp(argv[i], "--no-seccomp") == 0) no_seccomp = 1;
    else if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
      cmd = argv + i + 1;
      break;
    } else usage();
  }
  if ((cmd == NULL) == (control_fd < 0)) usage(); /* exactly one of -- CMD and --control */
  ensure_std_fds();
  /* Nothing we hold beyond stdio may leak into sandboxed programs. */
  syscall(__NR_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  if (g_events_fd >= 0) fcntl(g_events_fd, F_SETFD, FD_CLOEXEC);
  if (control_fd >= 0) fcntl(control_fd, F_SETFD, FD_CLOEXEC);

  if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans must come to us, not bwrap */
  /* Non-dumpable: sandboxed programs (same uid) cannot open /proc/1/fd/<listener> or attach. */
  prctl(PR_SET_DUMPABLE, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("PR_SET_NO_NEW_PRIVS");
  g_sigfd = setup_signals();

  enum seccomp_mode mode = SECCOMP_MODE_OFF_;
  char reason[160] = "";
  if (!no_seccomp) {
    g_listener_fd = install_seccomp(&mode, reason, sizeof reason);
    if (mode == SECCOMP_MODE_OFF_) {
      fprintf(stderr, "cordon-init: %s\n", reason); /* fail closed */
      return 125;
    }
  }
  static struct jbuf b;
  jb_reset(&b);
  jb_lit(&b, "{\"type\":\"ready\"");
  jb_key(&b, "seccomp");
  jb_lit(&b, mode == SECCOMP_MODE_NOTIFY_ ? "\"notify\""
             : mode == SECCOMP_MODE_ERRNO_ ? "\"errno\""
                                           : "\"off\"");
  if (reason[0] != '\0') {
    jb_key(&b, "reason");
    jb_cstr(&b, reason);
  }
  emit_event(&b);

  if (cmd != NULL) return run_oneshot(cmd);
  return run_server(control_fd, g_listener_fd, g_sigfd);
}
