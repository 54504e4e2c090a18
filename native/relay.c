/*
 * relay.node: N-API addon that relays an allowed flow's bytes in the kernel with splice(2), so they
 * never enter Node. One native thread runs one edge-triggered epoll loop for every flow; each flow
 * owns dup()s of its two socket fds and one pipe per direction (socket -> pipe -> socket).
 *   start(onDone(id, bytesOut, bytesIn, error?)) -> undefined   (once per process: other JS
 *     contexts, e.g. worker threads, are refused and pipe their flows in Node)
 *   relay(clientFd, upstreamFd, toUpstream: Buffer, toClient: Buffer, pipeBytes) -> id
 *     (sends the two buffers at once on the calling thread, then hands the flow to the relay's)
 *   abort(id) -> undefined   (id 0: every flow)
 * EOF on one side becomes shutdown(SHUT_WR) on the other; an error on either side resets both
 * (SO_LINGER 0), so a peer never mistakes a truncated stream for a complete one.
 */
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "napi-errors.h"

/* A flow that keeps making progress yields after this many bytes so others are not starved. */
#define PUMP_BUDGET (4u << 20)
#define MAX_EVENTS 256
#define GROW_AFTER (256.0 * 1024)

struct dir {
  const char *src_name, *dst_name;
  int src, dst;
  int pipe_r, pipe_w;
  size_t in_pipe, pipe_cap, pipe_max;
  int eof, shut;
  double bytes;
};

struct flow {
  uint32_t id;
  int fd[2]; /* client, upstream (our dups) */
  struct dir d[2]; /* 0: client -> upstream (out), 1: upstream -> client (in) */
  int done, again, retired, err;
  char what[32];
  struct flow *prev, *next, *next_again, *next_ended;
};

struct result {
  uint32_t id;
  double bytes_out, bytes_in;
  char error[96];
};

/*
 * Work for the relay thread, in the order relay() and abort() asked for it: take over a new flow
 * (`add`), or end flow `id` (0: every flow) with `err`.
 */
struct cmd {
  struct flow *add;
  uint32_t id;
  int err;
  const char *what;
};

static pthread_mutex_t cmd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cmd *cmds;
static size_t ncmds, cmds_cap;
static int epfd = -1, wakefd = -1;
static napi_threadsafe_function tsfn;
static napi_env owner_env;
static uint32_t next_id, active;
/* Relay thread only: every live flow, those to run again without an event, those to free. */
static struct flow *flows, *again_list, *ended_list;

static void fail(struct flow *f, const char *op, const char *side, int err) {
  if (!f->err) {
    f->err = err;
    snprintf(f->what, sizeof f->what, "%s%s%s", op, side ? " " : "", side ? side : "");
  }
  f->done = 1;
}

/* Frees happen only after a whole epoll batch ran: a later event in it may still point here. */
static void retire(struct flow *f) {
  f->done = 1;
  if (f->retired) return;
  f->retired = 1;
  f->next_ended = ended_list;
  ended_list = f;
}

/*
 * A pipe starts at the kernel's default (64 KiB: an API call's flow never needs more) and grows
 * once to pipe_max when a direction has carried GROW_AFTER bytes: bulk flows then move more per
 * splice, for less CPU, and thousands of small flows do not hold big pipes.
 */
static void grow_pipe(struct dir *d) {
  int cap = fcntl(d->pipe_w, F_SETPIPE_SZ, (int)d->pipe_max);
  if (cap > 0) d->pipe_cap = (size_t)cap;
  d->pipe_max = d->pipe_cap; /* refused (pipe-user-pages-soft, no CAP_SYS_RESOURCE): keep it */
}

/* Moves what can move in one direction; stops when both ends would block or the budget is spent. */
static void pump(struct flow *f, struct dir *d, size_t *budget) {
  while (!f->done && *budget > 0) {
    int progress = 0;
    if (d->in_pipe > 0) {
      // No SPLICE_F_MORE: it corks the socket (MSG_MORE) and a lone reply waits 200 ms for more.
      ssize_t n = splice(d->pipe_r, NULL, d->dst, NULL, d->in_pipe,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->in_pipe -= (size_t)n;
        d->bytes += (double)n;
        *budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
        progress = 1;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        fail(f, "write", d->dst_name, errno);
        return;
      }
    }
    if (!d->eof && d->in_pipe < d->pipe_cap) {
      ssize_t n = splice(d->src, NULL, d->pipe_w, NULL, d->pipe_cap - d->in_pipe,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->in_pipe += (size_t)n;
        progress = 1;
        if (d->pipe_cap < d->pipe_max && d->bytes + (double)d->in_pipe > GROW_AFTER) grow_pipe(d);
      } else if (n == 0) {
        d->eof = 1;
        progress = 1;
      } else if (errno != EAGAIN && errno != EINTR) {
        fail(f, "read", d->src_name, errno);
        return;
      }
    }
    if (d->eof && d->in_pipe == 0 && !d->shut) {
      if (shutdown(d->dst, SHUT_WR) != 0 && errno != ENOTCONN) {
        fail(f, "shutdown", d->dst_name, errno);
        return;
      }
      d->shut = 1;
    }
    if (!progress) return;
  }
}

static void close_quietly(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void free_flow(struct flow *f) {
  for (int i = 0; i < 2; i++) {
    close_quietly(&f->fd[i]);
    close_quietly(&f->d[i].pipe_r);
    close_quietly(&f->d[i].pipe_w);
  }
  free(f);
}

static void finish(struct flow *f) {
  if (f->prev) f->prev->next = f->next;
  else flows = f->next;
  if (f->next) f->next->prev = f->prev;
  for (int i = 0; i < 2; i++) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, f->fd[i], NULL);
    if (f->err) {
      struct linger reset = {1, 0};
      setsockopt(f->fd[i], SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
  }
  struct result *r = calloc(1, sizeof *r);
  if (r) {
    r->id = f->id;
    r->bytes_out = f->d[0].bytes;
    r->bytes_in = f->d[1].bytes;
    if (f->err) snprintf(r->error, sizeof r->error, "%s: %s", f->what, strerror(f->err));
  }
  free_flow(f);
  if (r && napi_call_threadsafe_function(tsfn, r, napi_tsfn_blocking) != napi_ok) free(r);
}

/*
 * A reset on a side that nothing is waiting to read or write (the client gone while the upstream
 * thinks) would otherwise go unseen until the next byte: end the flow now, as Node would.
 */
static void check_errors(struct flow *f) {
  static const char *names[2] = {"client", "upstream"};
  for (int k = 0; k < 2 && !f->done; k++) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(f->fd[k], SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
      fail(f, names[k], NULL, err);
  }
}

static void run_flow(struct flow *f) {
  size_t budget = PUMP_BUDGET;
  pump(f, &f->d[0], &budget);
  pump(f, &f->d[1], &budget);
  if (f->d[0].shut && f->d[1].shut) f->done = 1;
  if (f->done) {
    retire(f);
  } else if (budget == 0 && !f->again) {
    // Edge-triggered: a flow that stopped while still ready gets no new event, so it is queued.
    f->again = 1;
    f->next_again = again_list;
    again_list = f;
  }
}

static void take_commands(void) {
  uint64_t n;
  if (read(wakefd, &n, sizeof n) < 0 && errno != EAGAIN) return;
  pthread_mutex_lock(&cmd_lock);
  struct cmd *list = cmds;
  size_t count = ncmds;
  cmds = NULL;
  ncmds = cmds_cap = 0;
  pthread_mutex_unlock(&cmd_lock);
  for (size_t i = 0; i < count; i++) {
    struct cmd *c = &list[i];
    if (c->add) {
      // Both fds are added here, by the thread that runs flows: none runs half-registered.
      // Edge-triggered ADD reports a socket that is ready already at once.
      struct flow *f = c->add;
      f->next = flows;
      if (flows) flows->prev = f;
      flows = f;
      struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = f};
      for (int k = 0; k < 2 && !f->done; k++) {
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, f->fd[k], &ev) != 0) {
          fail(f, "epoll_ctl", NULL, errno);
          retire(f);
        }
      }
      continue;
    }
    for (struct flow *f = flows; f; f = f->next) {
      if (c->id != 0 && f->id != c->id) continue;
      fail(f, c->what, NULL, c->err);
      retire(f);
    }
  }
  free(list);
}

static void *loop(void *arg) {
  (void)arg;
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, again_list ? 0 : -1);
    if (n < 0) {
      if (errno != EINTR) abort();
      n = 0;
    }
    struct flow *batch = again_list;
    again_list = NULL;
    for (struct flow *f = batch; f; f = f->next_again) f->again = 0;
    for (struct flow *f = batch, *next; f; f = next) {
      next = f->next_again;
      if (!f->done) run_flow(f);
    }
    for (int i = 0; i < n; i++) {
      struct flow *f = events[i].data.ptr;
      if (!f) {
        take_commands();
      } else if (!f->done) {
        run_flow(f);
        if (!f->done && (events[i].events & (EPOLLERR | EPOLLHUP))) {
          check_errors(f);
          if (f->done) retire(f);
        }
      }
    }
    if (!ended_list) continue;
    struct flow **link = &again_list;
    while (*link) {
      if ((*link)->done) *link = (*link)->next_again;
      else link = &(*link)->next_again;
    }
    struct flow *ended = ended_list;
    ended_list = NULL;
    for (struct flow *f = ended, *next; f; f = next) {
      next = f->next_ended;
      finish(f);
    }
  }
  return NULL;
}

static void push_cmd(struct cmd c) {
  pthread_mutex_lock(&cmd_lock);
  if (ncmds == cmds_cap) {
    size_t cap = cmds_cap ? cmds_cap * 2 : 16;
    struct cmd *grown = realloc(cmds, cap * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&cmd_lock);
      abort();
    }
    cmds = grown;
    cmds_cap = cap;
  }
  cmds[ncmds++] = c;
  pthread_mutex_unlock(&cmd_lock);
  uint64_t one = 1;
  if (write(wakefd, &one, sizeof one) < 0) abort();
}

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  (void)context;
  struct result *r = data;
  if (env && cb) {
    napi_value argv[4], undefined;
    napi_get_undefined(env, &undefined);
    napi_create_uint32(env, r->id, &argv[0]);
    napi_create_double(env, r->bytes_out, &argv[1]);
    napi_create_double(env, r->bytes_in, &argv[2]);
    if (r->error[0]) napi_create_string_utf8(env, r->error, NAPI_AUTO_LENGTH, &argv[3]);
    else argv[3] = undefined;
    if (active > 0 && --active == 0) napi_unref_threadsafe_function(env, tsfn);
    napi_call_function(env, undefined, cb, 4, argv, NULL);
  }
  free(r);
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (owner_env) {
    if (owner_env != env) napi_throw_error(env, NULL, "relay already started in another context");
    return NULL;
  }
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return throw_errno(env, "epoll_create1", errno);
  wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd < 0) return throw_errno(env, "eventfd", errno);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) != 0) return throw_errno(env, "epoll_ctl", errno);
  napi_create_string_utf8(env, "cordon-relay", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js,
                                      &tsfn) != napi_ok)
    return NULL;
  napi_unref_threadsafe_function(env, tsfn);
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&thread, &attr, loop, NULL);
  pthread_attr_destroy(&attr);
  if (err != 0) return throw_errno(env, "pthread_create", err);
  owner_env = env;
  return NULL;
}

/* Makes a direction's pipe, big enough for `pre_len` bytes queued before the first splice. */
static int make_dir(struct dir *d, const char *names[2], int src, int dst, size_t pre_len,
                    size_t pipe_bytes) {
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
  d->pipe_r = p[0];
  d->pipe_w = p[1];
  d->src = src;
  d->dst = dst;
  d->src_name = names[0];
  d->dst_name = names[1];
  int cap = fcntl(p[1], F_GETPIPE_SZ);
  if (cap > 0 && (size_t)cap < pre_len) cap = fcntl(p[1], F_SETPIPE_SZ, (int)pre_len);
  if (cap < 0) return -1;
  d->pipe_cap = (size_t)cap;
  d->pipe_max = pipe_bytes > d->pipe_cap ? pipe_bytes : d->pipe_cap;
  return 0;
}

/*
 * Sends `pre` to dst at once (it is first on the critical path of a request: no thread hop) and
 * queues in the pipe what the socket did not take.
 */
static int send_first(struct dir *d, const char *pre, size_t pre_len) {
  while (pre_len > 0) {
    ssize_t n = send(d->dst, pre, pre_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return -1;
    if (n <= 0) break;
    d->bytes += (double)n;
    pre += n;
    pre_len -= (size_t)n;
  }
  if (pre_len == 0) return 0;
  ssize_t n = write(d->pipe_w, pre, pre_len);
  if (n < 0) return -1;
  if ((size_t)n != pre_len) {
    errno = ENOBUFS;
    return -1;
  }
  d->in_pipe = pre_len;
  return 0;
}

static int buffer_arg(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (!is_buffer) return -1;
  return napi_get_buffer_info(env, v, data, len) == napi_ok ? 0 : -1;
}

static napi_value relay(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t cfd = -1, ufd = -1;
  uint32_t pipe_bytes = 0;
  void *to_up, *to_client;
  size_t to_up_len, to_client_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      napi_get_value_int32(env, argv[0], &cfd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &ufd) != napi_ok || cfd < 0 || ufd < 0 ||
      buffer_arg(env, argv[2], &to_up, &to_up_len) != 0 ||
      buffer_arg(env, argv[3], &to_client, &to_client_len) != 0 ||
      napi_get_value_uint32(env, argv[4], &pipe_bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "relay(clientFd, upstreamFd, Buffer, Buffer, pipeBytes)");
    return NULL;
  }
  if (!owner_env) {
    napi_throw_error(env, NULL, "relay not started");
    return NULL;
  }
  struct flow *f = calloc(1, sizeof *f);
  if (!f) return throw_errno(env, "calloc", ENOMEM);
  f->fd[0] = f->fd[1] = -1;
  for (int i = 0; i < 2; i++) f->d[i].pipe_r = f->d[i].pipe_w = -1;
  const char *what = "dup";
  f->fd[0] = fcntl(cfd, F_DUPFD_CLOEXEC, 3);
  if (f->fd[0] < 0) goto fail;
  f->fd[1] = fcntl(ufd, F_DUPFD_CLOEXEC, 3);
  if (f->fd[1] < 0) goto fail;
  what = "fcntl";
  for (int i = 0; i < 2; i++) {
    int fl = fcntl(f->fd[i], F_GETFL);
    if (fl < 0 || fcntl(f->fd[i], F_SETFL, fl | O_NONBLOCK) != 0) goto fail;
  }
  what = "pipe";
  static const char *out[2] = {"client", "upstream"}, *in[2] = {"upstream", "client"};
  if (make_dir(&f->d[0], out, f->fd[0], f->fd[1], to_up_len, pipe_bytes) != 0) goto fail;
  if (make_dir(&f->d[1], in, f->fd[1], f->fd[0], to_client_len, pipe_bytes) != 0)
    goto fail;
  // A hard send error means a broken connection: the caller's fallback then fails the same way.
  what = "send";
  if (send_first(&f->d[0], to_up, to_up_len) != 0) goto fail;
  if (send_first(&f->d[1], to_client, to_client_len) != 0) goto fail;
  f->id = ++next_id ? next_id : ++next_id;
  if (active++ == 0) napi_ref_threadsafe_function(env, tsfn);
  // From here the relay thread owns f. Bytes went out already: a failure now fails the flow
  // rather than falling back to Node.
  uint32_t flow_id = f->id;
  push_cmd((struct cmd){.add = f});
  napi_value id;
  napi_create_uint32(env, flow_id, &id);
  return id;
fail:;
  int err = errno;
  free_flow(f);
  return throw_errno(env, what, err);
}

static napi_value abort_flow(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, argv[0], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "abort(id)");
    return NULL;
  }
  if (owner_env)
    push_cmd((struct cmd){.id = id, .err = ECONNABORTED, .what = "aborted"});
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"relay", NULL, relay, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, abort_flow, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
