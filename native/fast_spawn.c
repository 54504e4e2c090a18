/*
 * fast_spawn.node: starts cordon-launch with posix_spawn (vfork semantics) instead of libuv's
 * fork. fork copies the page tables of the whole Node process, and libuv blocks the event loop
 * until the child has exec'd: with a server's heap that cost 15-30 ms per sandbox, most of what
 * creating one through the API cost. posix_spawn shares the parent's memory until exec.
 *
 *   spawn(file, argv[], env[], stdio[]) -> { pid, pidfd, fds[] }
 *     stdio[i] for child fd i: "ignore" (/dev/null), "inherit" (the parent's fd i) or "pipe"
 *     (a unix socketpair, as libuv makes for Node's "pipe"). fds[i] is the parent's end
 *     (close-on-exec, non-blocking) or -1.
 *   watch(pidfd) -> arms the exit watcher for that child
 *   kill(pidfd, signal) -> false when the process is already gone
 *   close(pidfd)
 *   setExitHandler((pid, code, signal) => void), ref(), unref()
 *
 * One native thread waits on every watched pidfd with epoll and reaps through waitid(P_PIDFD),
 * so libuv (which only reaps its own children) and this module never race for a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STDIO 8
#define MAX_ARGS 4096
/* Parent-side descriptors are moved at or above this so no child target fd is ever a source. */
#define FD_FLOOR 16

struct exit_report {
  int pid;
  int code;
  int signal;
};

static napi_threadsafe_function exit_tsfn;
static int epoll_fd = -1;
static pthread_t watcher;
static int watcher_started;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[200];
  char code[32];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  snprintf(code, sizeof code, "E%d", err);
  napi_throw_error(env, code, msg);
  return NULL;
}

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static void *watch_loop(void *unused) {
  (void)unused;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    for (int i = 0; i < n; i++) {
      int pidfd = events[i].data.fd;
      siginfo_t info;
      memset(&info, 0, sizeof info);
      if (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) {
        continue; /* spurious: still running */
      }
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, pidfd, NULL);
      struct exit_report *report = malloc(sizeof *report);
      if (!report) continue;
      report->pid = info.si_pid;
      report->code = info.si_code == CLD_EXITED ? info.si_status : -1;
      report->signal = info.si_code == CLD_EXITED ? 0 : info.si_status;
      if (napi_call_threadsafe_function(exit_tsfn, report, napi_tsfn_blocking) != napi_ok) {
        free(report);
      }
    }
  }
}

static void deliver_exit(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  struct exit_report *report = data;
  if (env && callback) {
    napi_value undefined, args[3];
    napi_get_undefined(env, &undefined);
    napi_create_int32(env, report->pid, &args[0]);
    napi_create_int32(env, report->code, &args[1]);
    napi_create_int32(env, report->signal, &args[2]);
    napi_call_function(env, undefined, callback, 3, args, NULL);
  }
  free(report);
}

static napi_value set_exit_handler(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "setExitHandler(fn) needs a function");
    return NULL;
  }
  if (watcher_started) {
    napi_throw_error(env, NULL, "setExitHandler may be called once");
    return NULL;
  }
  napi_create_string_utf8(env, "fast_spawn exits", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL,
                                      deliver_exit, &exit_tsfn) != napi_ok) {
    napi_throw_error(env, NULL, "napi_create_threadsafe_function failed");
    return NULL;
  }
  napi_unref_threadsafe_function(env, exit_tsfn);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return throw_errno(env, "epoll_create1", errno);
  if (pthread_create(&watcher, NULL, watch_loop, NULL) != 0) {
    return throw_errno(env, "pthread_create", errno);
  }
  pthread_detach(watcher);
  watcher_started = 1;
  return NULL;
}

static napi_value set_ref(napi_env env, napi_callback_info info, int ref) {
  (void)info;
  if (watcher_started) {
    if (ref) napi_ref_threadsafe_function(env, exit_tsfn);
    else napi_unref_threadsafe_function(env, exit_tsfn);
  }
  return NULL;
}
static napi_value do_ref(napi_env env, napi_callback_info info) { return set_ref(env, info, 1); }
static napi_value do_unref(napi_env env, napi_callback_info info) { return set_ref(env, info, 0); }

/* A string array argument as a NULL-terminated vector; the strings live in one buffer. */
static char **string_vector(napi_env env, napi_value array, char **storage) {
  uint32_t len = 0;
  if (napi_get_array_length(env, array, &len) != napi_ok || len > MAX_ARGS) return NULL;
  size_t total = 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value item;
    size_t n = 0;
    napi_get_element(env, array, i, &item);
    if (napi_get_value_string_utf8(env, item, NULL, 0, &n) != napi_ok) return NULL;
    total += n + 1;
  }
  char **vec = calloc(len + 1, sizeof *vec);
  char *buf = malloc(total + 1);
  if (!vec || !buf) {
    free(vec);
    free(buf);
    return NULL;
  }
  char *at = buf;
  for (uint32_t i = 0; i < len; i++) {
    napi_value item;
    size_t n = 0;
    napi_get_element(env, array, i, &item);
    napi_get_value_string_utf8(env, item, at, (size_t)(buf + total + 1 - at), &n);
    vec[i] = at;
    at += n + 1;
  }
  *storage = buf;
  return vec;
}

/* Moves fd to at least FD_FLOOR, close-on-exec. */
static int lift(int fd) {
  if (fd < 0 || fd >= FD_FLOOR) return fd;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, FD_FLOOR);
  close(fd);
  return high;
}

static napi_value do_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env, stdio)");
    return NULL;
  }
  char file[4096];
  size_t file_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], file, sizeof file, &file_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "file must be a string");
    return NULL;
  }
  uint32_t nstdio = 0;
  napi_get_array_length(env, argv[3], &nstdio);
  if (nstdio > MAX_STDIO) {
    napi_throw_range_error(env, NULL, "too many stdio entries");
    return NULL;
  }

  int parent_fd[MAX_STDIO], child_fd[MAX_STDIO];
  for (int i = 0; i < MAX_STDIO; i++) parent_fd[i] = child_fd[i] = -1;
  char *arg_buf = NULL, *env_buf = NULL;
  char **args = NULL, **envs = NULL;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  int actions_ready = 0, attr_ready = 0;
  napi_value result = NULL;
  int err = 0;
  const char *failed = NULL;

  for (uint32_t i = 0; i < nstdio; i++) {
    napi_value item;
    char kind[16];
    size_t n = 0;
    napi_get_element(env, argv[3], i, &item);
    if (napi_get_value_string_utf8(env, item, kind, sizeof kind, &n) != napi_ok) kind[0] = 0;
    int pair[2] = {-1, -1};
    if (strcmp(kind, "ignore") == 0) {
      child_fd[i] = lift(open("/dev/null", O_RDWR | O_CLOEXEC));
      if (child_fd[i] < 0) failed = "open /dev/null";
    } else if (strcmp(kind, "inherit") == 0) {
      child_fd[i] = lift(fcntl((int)i, F_DUPFD_CLOEXEC, FD_FLOOR));
      if (child_fd[i] < 0) failed = "dup";
    } else if (strcmp(kind, "pipe") == 0) {
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        failed = "socketpair";
      } else {
        child_fd[i] = lift(pair[0]);
        parent_fd[i] = lift(pair[1]);
      }
    } else {
      napi_throw_type_error(env, NULL, "stdio entries: ignore, inherit, pipe");
      goto done;
    }
    if (failed) {
      err = errno;
      goto done;
    }
    if (parent_fd[i] >= 0) fcntl(parent_fd[i], F_SETFL, fcntl(parent_fd[i], F_GETFL) | O_NONBLOCK);
  }

  args = string_vector(env, argv[1], &arg_buf);
  envs = string_vector(env, argv[2], &env_buf);
  if (!args || !envs) {
    napi_throw_type_error(env, NULL, "argv and env must be arrays of strings");
    goto done;
  }

  posix_spawn_file_actions_init(&actions);
  actions_ready = 1;
  for (uint32_t i = 0; i < nstdio; i++) {
    posix_spawn_file_actions_adddup2(&actions, child_fd[i], (int)i);
  }
  /* Only the stdio asked for: a descriptor Node holds without close-on-exec stays behind. */
  posix_spawn_file_actions_addclosefrom_np(&actions, (int)nstdio);
  posix_spawnattr_init(&attr);
  attr_ready = 1;
  /* Node ignores SIGPIPE and blocks nothing on the main thread, but reset both for the child. */
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  err = posix_spawn(&pid, file, &actions, &attr, args, envs);
  if (err != 0) {
    failed = "posix_spawn";
    goto done;
  }
  int pidfd = pidfd_open_(pid);
  if (pidfd < 0) {
    /* Cannot happen for a child we just made that nobody reaped; refuse rather than lose it. */
    err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    failed = "pidfd_open";
    goto done;
  }
  pidfd = lift(pidfd);

  napi_value pid_v, pidfd_v, fds_v;
  napi_create_object(env, &result);
  napi_create_int32(env, pid, &pid_v);
  napi_create_int32(env, pidfd, &pidfd_v);
  napi_create_array_with_length(env, nstdio, &fds_v);
  for (uint32_t i = 0; i < nstdio; i++) {
    napi_value fd_v;
    napi_create_int32(env, parent_fd[i], &fd_v);
    napi_set_element(env, fds_v, i, fd_v);
    parent_fd[i] = -1; /* now owned by the caller */
  }
  napi_set_named_property(env, result, "pid", pid_v);
  napi_set_named_property(env, result, "pidfd", pidfd_v);
  napi_set_named_property(env, result, "fds", fds_v);

done:
  if (failed) throw_errno(env, failed, err);
  for (int i = 0; i < MAX_STDIO; i++) {
    if (child_fd[i] >= 0) close(child_fd[i]);
    if (parent_fd[i] >= 0) close(parent_fd[i]);
  }
  if (actions_ready) posix_spawn_file_actions_destroy(&actions);
  if (attr_ready) posix_spawnattr_destroy(&attr);
  free(args);
  free(envs);
  free(arg_buf);
  free(env_buf);
  return result;
}

static int int_arg(napi_env env, napi_callback_info info, size_t index, int32_t *out) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc <= index || napi_get_value_int32(env, argv[index], out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected an integer argument");
    return 0;
  }
  return 1;
}

static napi_value do_watch(napi_env env, napi_callback_info info) {
  int32_t pidfd;
  if (!int_arg(env, info, 0, &pidfd)) return NULL;
  if (!watcher_started) {
    napi_throw_error(env, NULL, "setExitHandler must be called first");
    return NULL;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = pidfd};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pidfd, &ev) != 0) return throw_errno(env, "epoll_ctl", errno);
  return NULL;
}

static napi_value do_kill(napi_env env, napi_callback_info info) {
  int32_t pidfd, sig;
  if (!int_arg(env, info, 0, &pidfd) || !int_arg(env, info, 1, &sig)) return NULL;
  napi_value ok;
  int sent = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0;
  if (!sent && errno != ESRCH) return throw_errno(env, "pidfd_send_signal", errno);
  napi_get_boolean(env, sent, &ok);
  return ok;
}

static napi_value do_close(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, 0, &fd)) return NULL;
  close(fd);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"spawn", do_spawn},   {"watch", do_watch}, {"kill", do_kill},
             {"close", do_close},   {"ref", do_ref},     {"unref", do_unref},
             {"setExitHandler", set_exit_handler}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, fns[i].name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
