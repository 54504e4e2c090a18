/*
 * fast_spawn.node: starts cordon-launch with posix_spawn (vfork semantics) instead of libuv's
 * fork. fork copies the page tables of the whole Node process, and libuv blocks the event loop
 * until the child has exec'd: with a server's heap that cost 15-30 ms per sandbox, most of what
 * creating one through the API cost. posix_spawn shares the parent's memory until exec.
 *
 *   spawn(file, argv[], env[], stdio[]) -> Promise<{ pid, pidfd, fds[] }>  (on a libuv pool thread)
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
 * The spawn itself runs on a libuv pool thread: under load the child can take milliseconds to be
 * scheduled and exec, and the JS thread should not wait for it. Pool threads live as long as the
 * process, so cordon-launch's PR_SET_PDEATHSIG (tied to its parent thread) still means "cordon died".
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

#include "napi-errors.h"

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

/* One spawn request: parsed on the JS thread, run on a libuv pool thread, answered on the JS thread. */
struct spawn_job {
  napi_async_work work;
  napi_deferred deferred;
  char file[4096];
  char **args, **envs;
  char *arg_buf, *env_buf;
  uint32_t nstdio;
  char kinds[MAX_STDIO]; /* 'i'gnore, 'h'erit, 'p'ipe */
  /* results */
  pid_t pid;
  int pidfd;
  int parent_fd[MAX_STDIO];
  int err;
  const char *failed;
};

static void free_job(struct spawn_job *job) {
  free(job->args);
  free(job->envs);
  free(job->arg_buf);
  free(job->env_buf);
  free(job);
}

/* On a pool thread: no N-API calls here. The JS thread never waits for the child's exec. */
static void run_job(napi_env env, void *data) {
  (void)env;
  struct spawn_job *job = data;
  int child_fd[MAX_STDIO];
  for (int i = 0; i < MAX_STDIO; i++) child_fd[i] = job->parent_fd[i] = -1;
  job->pidfd = -1;
  for (uint32_t i = 0; i < job->nstdio && !job->failed; i++) {
    int pair[2] = {-1, -1};
    if (job->kinds[i] == 'i') {
      child_fd[i] = lift(open("/dev/null", O_RDWR | O_CLOEXEC));
      if (child_fd[i] < 0) job->failed = "open /dev/null";
    } else if (job->kinds[i] == 'h') {
      child_fd[i] = lift(fcntl((int)i, F_DUPFD_CLOEXEC, FD_FLOOR));
      if (child_fd[i] < 0) job->failed = "dup";
    } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      job->failed = "socketpair";
    } else {
      child_fd[i] = lift(pair[0]);
      job->parent_fd[i] = lift(pair[1]);
      fcntl(job->parent_fd[i], F_SETFL, fcntl(job->parent_fd[i], F_GETFL) | O_NONBLOCK);
    }
    if (job->failed) job->err = errno;
  }
  if (!job->failed) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    for (uint32_t i = 0; i < job->nstdio; i++) {
      posix_spawn_file_actions_adddup2(&actions, child_fd[i], (int)i);
    }
    /* Only the stdio asked for: a descriptor Node holds without close-on-exec stays behind. */
    posix_spawn_file_actions_addclosefrom_np(&actions, (int)job->nstdio);
    posix_spawnattr_init(&attr);
    /* Node ignores SIGPIPE, and a pool thread blocks signals: reset both for the child. */
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    job->err = posix_spawn(&job->pid, job->file, &actions, &attr, job->args, job->envs);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (job->err != 0) {
      job->failed = "posix_spawn";
    } else {
      job->pidfd = lift(pidfd_open_(job->pid));
      if (job->pidfd < 0) {
        /* Cannot happen for a child we just made that nobody reaped; refuse rather than lose it. */
        job->err = errno;
        kill(job->pid, SIGKILL);
        waitpid(job->pid, NULL, 0);
        job->failed = "pidfd_open";
      }
    }
  }
  for (int i = 0; i < MAX_STDIO; i++) {
    if (child_fd[i] >= 0) close(child_fd[i]);
    if (job->failed && job->parent_fd[i] >= 0) close(job->parent_fd[i]);
  }
}

static void answer_job(napi_env env, napi_status status, void *data) {
  struct spawn_job *job = data;
  if (status != napi_ok && !job->failed) {
    job->failed = "spawn cancelled";
    job->err = ECANCELED;
  }
  if (job->failed) {
    napi_reject_deferred(env, job->deferred, errno_error(env, job->failed, job->err));
  } else {
    napi_value result, pid_v, pidfd_v, fds_v;
    napi_create_object(env, &result);
    napi_create_int32(env, job->pid, &pid_v);
    napi_create_int32(env, job->pidfd, &pidfd_v);
    napi_create_array_with_length(env, job->nstdio, &fds_v);
    for (uint32_t i = 0; i < job->nstdio; i++) {
      napi_value fd_v;
      napi_create_int32(env, job->parent_fd[i], &fd_v);
      napi_set_element(env, fds_v, i, fd_v);
    }
    napi_set_named_property(env, result, "pid", pid_v);
    napi_set_named_property(env, result, "pidfd", pidfd_v);
    napi_set_named_property(env, result, "fds", fds_v);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static napi_value do_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env, stdio)");
    return NULL;
  }
  struct spawn_job *job = calloc(1, sizeof *job);
  if (!job) return throw_errno(env, "calloc", ENOMEM);
  size_t file_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], job->file, sizeof job->file, &file_len) != napi_ok) {
    free_job(job);
    napi_throw_type_error(env, NULL, "file must be a string");
    return NULL;
  }
  napi_get_array_length(env, argv[3], &job->nstdio);
  if (job->nstdio > MAX_STDIO) {
    free_job(job);
    napi_throw_range_error(env, NULL, "too many stdio entries");
    return NULL;
  }
  for (uint32_t i = 0; i < job->nstdio; i++) {
    napi_value item;
    char kind[16];
    size_t n = 0;
    napi_get_element(env, argv[3], i, &item);
    if (napi_get_value_string_utf8(env, item, kind, sizeof kind, &n) != napi_ok) kind[0] = 0;
    if (strcmp(kind, "ignore") == 0) job->kinds[i] = 'i';
    else if (strcmp(kind, "inherit") == 0) job->kinds[i] = 'h';
    else if (strcmp(kind, "pipe") == 0) job->kinds[i] = 'p';
    else {
      free_job(job);
      napi_throw_type_error(env, NULL, "stdio entries: ignore, inherit, pipe");
      return NULL;
    }
  }
  job->args = string_vector(env, argv[1], &job->arg_buf);
  job->envs = string_vector(env, argv[2], &job->env_buf);
  if (!job->args || !job->envs) {
    free_job(job);
    napi_throw_type_error(env, NULL, "argv and env must be arrays of strings");
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "fast_spawn", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, run_job, answer_job, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
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
