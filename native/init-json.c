/* cordon-init: bounded JSON line builder, the events fd, and small write helpers. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

int g_events_fd = -1;
uint32_t g_events_written = 0;

void jb_reset(struct jbuf *b) {
  b->len = 0;
  b->overflow = 0;
  b->data[0] = '\0';
}

static void jb_put(struct jbuf *b, const char *s, size_t n) {
  /* Keep 2 bytes for the closing "}\n". */
  if (b->overflow || n > JB_CAP - 2 - b->len) {
    b->overflow = 1;
    return;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

void jb_lit(struct jbuf *b, const char *s) { jb_put(b, s, strlen(s)); }

void jb_key(struct jbuf *b, const char *key) {
  if (b->len > 0 && b->data[b->len - 1] != '{') jb_put(b, ",", 1);
  jb_put(b, "\"", 1);
  jb_lit(b, key);
  jb_put(b, "\":", 2);
}

void jb_i64(struct jbuf *b, long long v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", v);
  jb_put(b, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned int cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
  else return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

void jb_str(struct jbuf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  jb_put(b, "\"", 1);
  size_t i = 0;
  while (i < n && !b->overflow) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      jb_put(b, esc, 2);
      i++;
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      jb_put(b, esc, 6);
      i++;
    } else {
      size_t len = utf8_len(s + i, n - i);
      if (len == 0) {
        jb_put(b, "\\ufffd", 6); /* keep the line valid JSON whatever bytes a program holds */
        i++;
      } else {
        jb_put(b, (const char *)s + i, len);
        i += len;
      }
    }
  }
  jb_put(b, "\"", 1);
}

void jb_cstr(struct jbuf *b, const char *s) {
  if (s == NULL) jb_lit(b, "null");
  else jb_str(b, s, strlen(s));
}

long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_writable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  for (;;) {
    int r = poll(&p, 1, -1);
    if (r >= 0 || errno != EINTR) return r;
  }
}

int writev_all(int fd, const void *a, size_t alen, const void *b, size_t blen) {
  struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};
  struct iovec *v = iov;
  int cnt = blen > 0 ? 2 : 1;
  while (cnt > 0) {
    ssize_t n = writev(fd, v, cnt);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && wait_writable(fd) >= 0) continue;
      return -1;
    }
    while (cnt > 0 && (size_t)n >= v->iov_len) {
      n -= (ssize_t)v->iov_len;
      v++;
      cnt--;
    }
    if (cnt > 0) {
      v->iov_base = (char *)v->iov_base + n;
      v->iov_len -= (size_t)n;
    }
  }
  return 0;
}

int write_all(int fd, const void *buf, size_t len) { return writev_all(fd, buf, len, NULL, 0); }

void emit_event(struct jbuf *b) {
  if (g_events_fd < 0) return;
  b->data[b->len++] = '}';
  b->data[b->len++] = '\n';
  if (b->overflow) return;
  /* A reader that went away must not stop the supervisor: stop reporting instead. */
  if (write_all(g_events_fd, b->data, b->len) < 0) g_events_fd = -1;
  else g_events_written++;
}

void signal_name(int sig, char *out, size_t outlen) {
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev != NULL) snprintf(out, outlen, "SIG%s", abbrev);
  else snprintf(out, outlen, "SIG%d", sig);
}
