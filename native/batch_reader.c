/* N-API addon: reads bpftrace's output on a native thread and wakes JS only when it should.
 *
 * bpftrace writes one line per event. Read by the JS thread, a busy stream cost a wake-up every
 * read batch, and on this kind of VM a wake-up of a Node process costs 0.1 to 0.3 ms of CPU before
 * any line is handled (a C thread's: about 15 us). Here a thread reads the pipe as JS did (at once
 * after a quiet spell, then every `batchMs` while lines keep coming) into one buffer, and calls
 * into JS only when a line whose printf tag is in `urgentTags` arrived, when any other output of
 * bpftrace arrived (lost events, errors), at end of stream, or when the oldest unread byte is
 * `maxWaitMs` old. JS takes the buffer with `take`, which first reads what the pipe holds, so a
 * caller that must see everything up to now (a step boundary) calls `take` itself. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "napi-errors.h"

/* Past this much unread output JS is called at once, whatever the lines are. */
#define HIGH_WATER (4u << 20)
#define READ_CHUNK 65536
static const char PRINTF_PREFIX[] = "{\"type\": \"printf\", \"data\": \"";

struct reader {
  int fd;     /* a dup of the caller's descriptor: closing theirs cannot hand ours to a stranger */
  int stopfd; /* eventfd: stop the thread */
  pthread_t thread;
  pthread_mutex_t lock;
  char *buf;
  size_t len, cap;
  size_t scanned; /* bytes of buf looked at for urgent lines (whole lines only) */
  int eof;
  int read_error; /* errno of a failed read, 0 if none */
  int notified;   /* a call into JS is queued and not yet answered by take() */
  uint64_t oldest_ns; /* when the oldest byte of buf was read */
  char urgent[32];
  int batch_ms, max_wait_ms;
  napi_threadsafe_function tsfn;
  int stopped; /* stop() ran: the thread is gone and take() has nothing more */
};

static void finalize(napi_env env, void *data, void *hint);

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* A whole line is urgent when it is not a printf (bpftrace's own messages) or its tag is listed. */
static int line_is_urgent(const struct reader *r, const char *line, size_t n) {
  size_t p = sizeof PRINTF_PREFIX - 1;
  if (n <= p || memcmp(line, PRINTF_PREFIX, p) != 0) return 1;
  return strchr(r->urgent, line[p]) != NULL;
}

/* Looks at the whole lines read since the last look; 1 if one of them is urgent. Holds lock. */
static int scan(struct reader *r) {
  int urgent = 0;
  while (r->scanned < r->len) {
    char *start = r->buf + r->scanned;
    char *nl = memchr(start, '\n', r->len - r->scanned);
    if (!nl) break;
    if (!urgent && line_is_urgent(r, start, (size_t)(nl - start))) urgent = 1;
    r->scanned = (size_t)(nl - r->buf) + 1;
  }
  return urgent;
}

/* Reads what the stream holds into buf. Returns the bytes read. Holds lock. */
static size_t read_available(struct reader *r) {
  size_t total = 0;
  while (!r->eof && !r->read_error) {
    if (r->cap - r->len < READ_CHUNK) {
      size_t cap = r->cap ? r->cap * 2 : 4 * READ_CHUNK;
      char *grown = realloc(r->buf, cap);
      if (!grown) {
        r->read_error = ENOMEM;
        break;
      }
      r->buf = grown;
      r->cap = cap;
    }
    ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
    if (n > 0) {
      if (r->len == 0) r->oldest_ns = now_ns();
      r->len += (size_t)n;
      total += (size_t)n;
      continue;
    }
    if (n == 0) r->eof = 1;
    else if (errno == EINTR) continue;
    else if (errno != EAGAIN && errno != EWOULDBLOCK) r->read_error = errno;
    break;
  }
  return total;
}

/* Queues one call into JS unless one is pending. Holds lock. */
static void notify(struct reader *r) {
  if (r->notified) return;
  r->notified = 1;
  napi_call_threadsafe_function(r->tsfn, NULL, napi_tsfn_nonblocking);
}

/* Milliseconds until the oldest unread byte is due in JS; -1 when nothing waits. Holds lock. */
static int due_in_ms(const struct reader *r) {
  if (r->len == 0 || r->notified) return -1;
  uint64_t age_ms = (now_ns() - r->oldest_ns) / 1000000u;
  return age_ms >= (uint64_t)r->max_wait_ms ? 0 : r->max_wait_ms - (int)age_ms;
}

static void *loop(void *arg) {
  struct reader *r = arg;
  for (;;) {
    pthread_mutex_lock(&r->lock);
    int timeout = due_in_ms(r);
    int done = r->eof || r->read_error;
    pthread_mutex_unlock(&r->lock);
    if (done) return NULL;
    struct pollfd fds[2] = {{.fd = r->fd, .events = POLLIN}, {.fd = r->stopfd, .events = POLLIN}};
    int ready = poll(fds, 2, timeout);
    if (ready < 0 && errno != EINTR) {
      /* Say so: JS then reads the stream itself (see line-reader.ts). */
      pthread_mutex_lock(&r->lock);
      r->read_error = errno;
      notify(r);
      pthread_mutex_unlock(&r->lock);
      return NULL;
    }
    if (fds[1].revents) return NULL;
    pthread_mutex_lock(&r->lock);
    size_t got = fds[0].revents ? read_available(r) : 0;
    if (fds[0].revents & POLLNVAL) r->read_error = EBADF;
    int urgent = scan(r);
    if (urgent || r->eof || r->read_error || r->len >= HIGH_WATER || due_in_ms(r) == 0) notify(r);
    pthread_mutex_unlock(&r->lock);
    /* Lines came: let the rest of the burst arrive before reading again (stop still wakes us). */
    if (got > 0) {
      struct pollfd stop = {.fd = r->stopfd, .events = POLLIN};
      if (poll(&stop, 1, r->batch_ms) > 0) return NULL;
    }
  }
}

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  (void)context;
  (void)data;
  if (!env || !cb) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, cb, 0, NULL, NULL);
}

static struct reader *reader_of(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, NULL, "not a batch reader");
    return NULL;
  }
  return p;
}

/* start(fd, urgentTags, batchMs, maxWaitMs, onReady) -> reader */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], name, external;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, batch_ms, max_wait_ms;
  size_t tags_len;
  struct reader *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, "calloc", ENOMEM);
  if (argc < 5 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], r->urgent, sizeof r->urgent, &tags_len) !=
          napi_ok ||
      napi_get_value_int32(env, argv[2], &batch_ms) != napi_ok ||
      napi_get_value_int32(env, argv[3], &max_wait_ms) != napi_ok || fd < 0 || batch_ms < 0 ||
      max_wait_ms < 0) {
    free(r);
    napi_throw_type_error(env, NULL,
                          "start(fd, urgentTags, batchMs, maxWaitMs, onReady) needs a descriptor, "
                          "a string, two non-negative integers and a function");
    return NULL;
  }
  r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r->fd < 0) {
    int err = errno;
    free(r);
    return throw_errno(env, "dup", err);
  }
  r->batch_ms = batch_ms;
  r->max_wait_ms = max_wait_ms;
  r->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->stopfd < 0) {
    int err = errno;
    close(r->fd);
    free(r);
    return throw_errno(env, "eventfd", err);
  }
  napi_create_string_utf8(env, "cordon-batch-reader", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[4], NULL, name, 0, 1, NULL, NULL, NULL, call_js,
                                      &r->tsfn) != napi_ok) {
    close(r->stopfd);
    close(r->fd);
    free(r);
    return NULL; /* napi has thrown: argv[4] is not a function */
  }
  napi_unref_threadsafe_function(env, r->tsfn);
  pthread_mutex_init(&r->lock, NULL);
  int err = pthread_create(&r->thread, NULL, loop, r);
  if (err != 0) {
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
    close(r->stopfd);
    close(r->fd);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return throw_errno(env, "pthread_create", err);
  }
  napi_create_external(env, r, finalize, NULL, &external);
  return external;
}

/* take(reader) -> [Buffer, ended]: what was read, with what the stream holds now; `ended` once
 * the stream has ended (or failed) and nothing is left. */
static napi_value take(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, data, ended;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct reader *r = argc == 1 ? reader_of(env, argv[0]) : NULL;
  if (!r) return NULL;
  if (r->stopped) {
    napi_create_buffer(env, 0, NULL, &data);
    napi_get_boolean(env, 1, &ended);
    napi_create_array_with_length(env, 2, &result);
    napi_set_element(env, result, 0, data);
    napi_set_element(env, result, 1, ended);
    return result;
  }
  pthread_mutex_lock(&r->lock);
  read_available(r);
  napi_status status = napi_create_buffer_copy(env, r->len, r->buf, NULL, &data);
  if (status == napi_ok) {
    r->len = 0;
    r->scanned = 0;
    r->notified = 0;
  }
  int over = (r->eof || r->read_error) && r->len == 0;
  pthread_mutex_unlock(&r->lock);
  if (status != napi_ok) return NULL;
  napi_get_boolean(env, over, &ended);
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, data);
  napi_set_element(env, result, 1, ended);
  return result;
}

/* Ends the thread, closes its descriptor and frees what it read. */
static void stop_reader(struct reader *r) {
  if (r->stopped) return;
  r->stopped = 1;
  uint64_t one = 1;
  if (write(r->stopfd, &one, sizeof one) < 0) abort();
  pthread_join(r->thread, NULL);
  napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
  close(r->stopfd);
  close(r->fd);
  pthread_mutex_destroy(&r->lock);
  free(r->buf);
  r->buf = NULL;
}

/* The reader's JS handle was collected: stop it if the caller did not, and free it. */
static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  stop_reader(data);
  free(data);
}

/* stop(reader): ends the thread and closes its descriptor; take() then says the stream ended. */
static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct reader *r = argc == 1 ? reader_of(env, argv[0]) : NULL;
  if (r) stop_reader(r);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"take", NULL, take, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, stop, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
