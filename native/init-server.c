/* cordon-init server mode: serves exec requests framed on the control socket (see
 * src/sandbox/init-protocol.ts for the wire format), several at once, each in its own process
 * group with piped stdin/stdout/stderr. Control EOF kills every process and exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

#define MAX_FRAME (64u << 20) /* bytes after the length word */
#define MAX_EXECS 1024
#define READ_CHUNK 65536
#define DRAIN_LIMIT (4u << 20) /* per stream, after exit: a lingering writer must not stall us */

enum {
  REQ_EXEC = 1,
  REQ_KILL = 2,
  RES_STARTED = 16,
  RES_STDOUT = 17,
  RES_STDERR = 18,
  RES_EXIT = 19,
  RES_ERROR = 20
};


static struct exec *execs[MAX_EXECS];
static size_t n_execs;
static int ctl = -1;
static uint8_t chunk[READ_CHUNK];

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static _Noreturn void shutdown_all(int code) {
  for (size_t i = 0; i < n_execs; i++) kill(-execs[i]->pid, SIGKILL);
  kill_everything();
  exit(code);
}

static void send_frame(uint8_t type, uint32_t id, const void *payload, size_t len) {
  uint8_t h[9];
  put_u32(h, (uint32_t)(5 + len));
  h[4] = type;
  put_u32(h + 5, id);
  if (writev_all(ctl, h, sizeof h, payload, len) < 0) shutdown_all(0); /* the host went away */
}

static void send_error(uint32_t id, const char *msg) { send_frame(RES_ERROR, id, msg, strlen(msg)); }

/* The events count orders the two pipes: a denial written before this exit is counted in it. */
static void send_exit(uint32_t id, int32_t code, int32_t sig) {
  uint8_t p[12];
  put_u32(p, (uint32_t)code);
  put_u32(p + 4, (uint32_t)sig);
  put_u32(p + 8, g_events_written);
  send_frame(RES_EXIT, id, p, sizeof p);
}

static struct exec *find_exec(uint32_t id) {
  for (size_t i = 0; i < n_execs; i++)
    if (execs[i]->id == id) return execs[i];
  return NULL;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Reads what one output pipe has now; returns 0 at EOF or error (fd closed), 1 otherwise. */
static int pump_output(struct exec *e, int *fd, uint8_t type) {
  ssize_t n = read(*fd, chunk, sizeof chunk);
  if (n > 0) {
    send_frame(type, e->id, chunk, (size_t)n);
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
  close_fd(fd);
  return 0;
}

static void pump_stdin(struct exec *e) {
  ssize_t n = write(e->in_fd, e->in_buf + e->in_off, e->in_len - e->in_off);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) e->in_off += (size_t)n;
  if (n < 0 || e->in_off == e->in_len) { /* done, or EPIPE: the program stopped reading */
    close_fd(&e->in_fd);
    free(e->in_buf);
    e->in_buf = NULL;
  }
}

/* After exit its own writes are all in the pipe; bounded so a lingering child cannot hold us.
 * Whatever a lingering child writes later is cut off (EPIPE), as the exec is over. */
static void drain(struct exec *e, int *fd, uint8_t type) {
  for (size_t total = 0; *fd >= 0 && total < DRAIN_LIMIT;) {
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
      send_frame(type, e->id, chunk, (size_t)n);
      total += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close_fd(fd);
}

static void finish_exec(size_t idx, int status) {
  struct exec *e = execs[idx];
  drain(e, &e->out_fd, RES_STDOUT);
  drain(e, &e->err_fd, RES_STDERR);
  close_fd(&e->in_fd);
  free(e->in_buf);
  if (WIFSIGNALED(status)) send_exit(e->id, -1, WTERMSIG(status));
  else send_exit(e->id, WEXITSTATUS(status), 0);
  free(e);
  execs[idx] = execs[--n_execs];
}

/* Bounds-checked reader over one frame's payload. */
struct reader {
  const uint8_t *p;
  size_t left;
  int bad;
};
static uint32_t rd_u32(struct reader *r) {
  if (r->left < 4) return r->bad = 1, 0;
  uint32_t v = get_u32(r->p);
  r->p += 4, r->left -= 4;
  return v;
}
/* Copies a length-prefixed string into *dst (NUL-terminated); rejects embedded NULs. */
static void rd_str(struct reader *r, char **dst) {
  uint32_t n = rd_u32(r);
  if (r->bad || n > r->left || memchr(r->p, '\0', n) != NULL) {
    r->bad = 1;
    return;
  }
  memcpy(*dst, r->p, n);
  (*dst)[n] = '\0';
  *dst += n + 1;
  r->p += n, r->left -= n;
}

static void handle_exec(uint32_t id, const uint8_t *payload, size_t len) {
  if (n_execs >= MAX_EXECS) return send_error(id, "too many concurrent execs");
  if (find_exec(id) != NULL) return send_error(id, "exec id already running");
  struct reader r = {payload, len, 0};
  uint32_t argc = rd_u32(&r);
  if (r.bad || argc == 0 || argc > len / 4) return send_error(id, "malformed exec: argc");
  /* One block: pointer arrays, then every string; sized from the payload, never from counts. */
  size_t slots = (size_t)argc + 1 + len / 4 + 1;
  char **block = malloc(slots * sizeof(char *) + len + slots);
  if (block == NULL) return send_error(id, "out of memory");
  char **argv = block, *strings = (char *)(block + slots);
  for (uint32_t i = 0; i < argc && !r.bad; i++) argv[i] = strings, rd_str(&r, &strings);
  argv[argc] = NULL;
  uint32_t envc = rd_u32(&r);
  char **envp = argv + argc + 1;
  if (!r.bad && envc > r.left / 4) r.bad = 1;
  for (uint32_t i = 0; i < envc && !r.bad; i++) envp[i] = strings, rd_str(&r, &strings);
  if (!r.bad) envp[envc] = NULL;
  char *cwd = strings;
  rd_str(&r, &strings);
  uint32_t stdin_len = rd_u32(&r);
  if (r.bad || stdin_len != r.left) {
    free(block);
    return send_error(id, "malformed exec request");
  }
  struct exec *e = calloc(1, sizeof *e);
  if (e == NULL || (stdin_len > 0 && (e->in_buf = malloc(stdin_len)) == NULL)) {
    free(block), free(e);
    return send_error(id, "out of memory");
  }
  e->id = id;
  if (stdin_len > 0) memcpy(e->in_buf, r.p, stdin_len);
  e->in_len = stdin_len;
  int rc = spawn_exec(e, argv, envp, cwd);
  if (rc != 0) {
    char msg[PATH_MAX + 128];
    int n = snprintf(msg, sizeof msg, "cordon-init: %s: %s\n", argv[0], strerror(rc));
    send_frame(RES_STDERR, id, msg, n < (int)sizeof msg ? (size_t)n : sizeof msg - 1);
    send_exit(id, rc == ENOENT ? 127 : 126, 0);
    free(block), free(e->in_buf), free(e);
    return;
  }
  free(block);
  execs[n_execs++] = e;
  uint8_t p[4];
  put_u32(p, (uint32_t)e->pid);
  /* The pid goes only to the control socket: a line on the events fd as well would cost the
   * host a wake-up per exec, as the exit's events count makes it read every line first. */
  send_frame(RES_STARTED, id, p, sizeof p);
}

static void handle_frame(uint8_t type, uint32_t id, const uint8_t *payload, size_t len) {
  if (type == REQ_EXEC) return handle_exec(id, payload, len);
  if (type != REQ_KILL) return send_error(id, "unknown request type");
  if (len != 4) return send_error(id, "malformed kill request");
  uint32_t sig = get_u32(payload);
  if (sig < 1 || sig > 64) return send_error(id, "bad signal number");
  struct exec *e = find_exec(id);
  if (e == NULL) return send_error(id, "no such exec");
  kill(-e->pid, (int)sig);
}

/* Frame reassembly over the control stream. */
static uint8_t *rbuf;
static size_t rlen, rcap, skip;

static void grow_rbuf(size_t need) {
  if (need <= rcap) return;
  uint8_t *p = realloc(rbuf, need);
  if (p == NULL) shutdown_all(1);
  rbuf = p, rcap = need;
}

static void read_control(void) {
  if (rcap - rlen < READ_CHUNK && rcap < READ_CHUNK * 2) grow_rbuf(READ_CHUNK * 2);
  ssize_t n = read(ctl, rbuf + rlen, rcap - rlen);
  if (n == 0) shutdown_all(0); /* control EOF: the host is done with this sandbox */
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    shutdown_all(1);
  }
  rlen += (size_t)n;
  size_t off = 0;
  for (;;) {
    if (skip > 0) {
      size_t d = skip < rlen - off ? skip : rlen - off;
      off += d, skip -= d;
      if (skip > 0) break;
    }
    if (rlen - off < 9) break;
    uint32_t len = get_u32(rbuf + off), id = get_u32(rbuf + off + 5);
    if (len < 5) {
      send_error(0, "malformed frame");
      shutdown_all(1); /* the stream is out of step: nothing after this can be trusted */
    }
    if (len > MAX_FRAME) {
      send_error(id, "frame too large");
      skip = len - 5, off += 9;
      continue;
    }
    if (rlen - off < 4 + (size_t)len) {
      memmove(rbuf, rbuf + off, rlen - off);
      rlen -= off, off = 0;
      grow_rbuf(4 + (size_t)len);
      return;
    }
    handle_frame(rbuf[off + 4], id, rbuf + off + 9, len - 5);
    off += 4 + (size_t)len;
  }
  memmove(rbuf, rbuf + off, rlen - off);
  rlen -= off;
  if (rcap > (4u << 20) && rlen < READ_CHUNK) { /* give back a big frame's buffer */
    free(rbuf);
    rbuf = malloc(READ_CHUNK * 2);
    if (rbuf == NULL) shutdown_all(1);
    rcap = READ_CHUNK * 2;
  }
}

static void handle_signals(int sigfd) {
  struct signalfd_siginfo si;
  while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo != SIGCHLD) shutdown_all(128 + (int)si.ssi_signo);
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (size_t i = 0; i < n_execs; i++)
        if (execs[i]->pid == pid) {
          finish_exec(i, status);
          break;
        }
    }
  }
}

int run_server(int control_fd, int listener, int sigfd) {
  static struct pollfd pfd[3 + 3 * MAX_EXECS];
  ctl = control_fd;
  for (;;) {
    pfd[0] = (struct pollfd){.fd = sigfd, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = listener, .events = POLLIN}; /* poll skips a negative fd */
    pfd[2] = (struct pollfd){.fd = ctl, .events = POLLIN};
    size_t n = n_execs;
    for (size_t i = 0; i < n; i++) {
      pfd[3 + 3 * i] = (struct pollfd){.fd = execs[i]->out_fd, .events = POLLIN};
      pfd[4 + 3 * i] = (struct pollfd){.fd = execs[i]->err_fd, .events = POLLIN};
      pfd[5 + 3 * i] = (struct pollfd){.fd = execs[i]->in_fd, .events = POLLOUT};
    }
    if (poll(pfd, 3 + 3 * n, -1) < 0) {
      if (errno == EINTR) continue;
      shutdown_all(1);
    }
    /* Pipes first: only handle_signals removes execs, so indices hold until then. */
    for (size_t i = 0; i < n; i++) {
      struct exec *e = execs[i];
      if (pfd[3 + 3 * i].revents) pump_output(e, &e->out_fd, RES_STDOUT);
      if (pfd[4 + 3 * i].revents) pump_output(e, &e->err_fd, RES_STDERR);
      if (pfd[5 + 3 * i].revents) pump_stdin(e);
    }
    if (pfd[1].revents & POLLIN) handle_notification(listener);
    if (pfd[2].revents) read_control();
    if (pfd[0].revents & POLLIN) handle_signals(sigfd);
  }
}
