/* cordon-init: declarations shared by its modules (JSON lines, seccomp supervisor, exec server). */
#ifndef CORDON_INIT_H
#define CORDON_INIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- init-json.c: bounded JSON line builder and the events fd ---- */
#define JB_CAP 65536
struct jbuf {
  char data[JB_CAP];
  size_t len;
  int overflow;
};
void jb_reset(struct jbuf *b);
void jb_lit(struct jbuf *b, const char *s);
void jb_str(struct jbuf *b, const char *s, size_t n); /* quoted, escaped, invalid UTF-8 -> U+FFFD */
void jb_cstr(struct jbuf *b, const char *s);          /* jb_str, or null when s is NULL */
void jb_i64(struct jbuf *b, long long v);
void jb_key(struct jbuf *b, const char *key); /* ,"key": (no comma right after '{') */
long long now_ms(void);

extern int g_events_fd; /* -1 when absent or when its reader went away */
/* Lines written to the events fd so far: EXIT frames carry it so the host can wait for them. */
extern uint32_t g_events_written;
void emit_event(struct jbuf *b); /* appends '}' '\n' and writes the line; drops it on overflow */

int write_all(int fd, const void *buf, size_t len);
int writev_all(int fd, const void *a, size_t alen, const void *b, size_t blen);
void signal_name(int sig, char *out, size_t outlen);

/* ---- init-seccomp.c ---- */
enum seccomp_mode { SECCOMP_MODE_OFF_, SECCOMP_MODE_ERRNO_, SECCOMP_MODE_NOTIFY_ };
/* Installs the filter on the calling process; returns the listener fd or -1. *mode says what
 * was installed (OFF: nothing, and reason says why). */
int install_seccomp(enum seccomp_mode *mode, char *reason, size_t reasonlen);
/* Answers one pending notification with EPERM and reports it. */
void handle_notification(int listener);

/* ---- init-spawn.c: one exec's process, in its own process group with piped stdio ---- */
struct exec {
  uint32_t id;
  pid_t pid; /* also its process group id */
  int out_fd, err_fd, in_fd;
  uint8_t *in_buf;
  size_t in_len, in_off;
};
/* Fills pid and the fds (in_fd -1 without stdin); returns 0 or an errno (ENOENT, EACCES...). */
int spawn_exec(struct exec *e, char **argv, char **envp, const char *cwd);

/* ---- init-server.c ---- */
int run_server(int control_fd, int listener, int sigfd); /* returns the exit code */

/* ---- cordon-init.c ---- */
extern int g_listener_fd;
extern int g_sigfd;
int count_lingering(void);
void kill_everything(void);

#endif
