/* Test probe: makes one syscall named on the command line and prints the errno it got
 * ("ok" on success), so tests can prove what the seccomp filter does to it. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *work(void *arg) {
  *(long *)arg *= 2;
  return NULL;
}

static long threads(void) {
  pthread_t t[8];
  long v[8], sum = 0;
  for (int i = 0; i < 8; i++) {
    v[i] = i;
    if (pthread_create(&t[i], NULL, work, &v[i]) != 0) return -1;
  }
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL), sum += v[i];
  return sum;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *what = argv[1];
  long r = -1;
  errno = 0;
  if (!strcmp(what, "unshare")) r = unshare(CLONE_NEWUSER);
  else if (!strcmp(what, "mount")) r = mount("x", "/mnt", "tmpfs", 0, NULL);
  else if (!strcmp(what, "ptrace")) r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
  else if (!strcmp(what, "setns")) r = setns(0, 0);
  else if (!strcmp(what, "bpf")) r = syscall(SYS_bpf, 0, NULL, 0);
  else if (!strcmp(what, "keyctl")) r = syscall(SYS_keyctl, 0, 0, 0, 0, 0);
  else if (!strcmp(what, "io_uring_setup")) r = syscall(SYS_io_uring_setup, 1, NULL);
  else if (!strcmp(what, "pidfd_getfd")) r = syscall(SYS_pidfd_getfd, 0, 0, 0);
  else if (!strcmp(what, "ioctl_tiocsti")) {
    char c = 'x';
    r = ioctl(0, TIOCSTI, &c);
  } else if (!strcmp(what, "clone_newnet")) {
    r = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    if (r > 0) waitpid((pid_t)r, NULL, 0);
  } else if (!strcmp(what, "clone_plain")) {
    r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    if (r > 0) waitpid((pid_t)r, NULL, 0);
  } else if (!strcmp(what, "clone3")) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    r = syscall(SYS_clone3, &args, sizeof args);
    if (r == 0) _exit(0);
  } else if (!strcmp(what, "threads")) {
    printf("threads %ld\n", threads());
    return 0;
  } else {
    return 2;
  }
  printf("%s\n", r >= 0 ? "ok" : strerrorname_np(errno));
  return 0;
}
