/* cordon-init: the seccomp filter (classic BPF) and the user-notification supervisor that answers
 * each denied syscall with EPERM and reports it as a JSON line on the events fd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "cordon-init supports x86_64 and aarch64"
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#define CLONE_NS_FLAGS                                                                             \
  (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |       \
   CLONE_NEWCGROUP | CLONE_NEWTIME)
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

struct sysname {
  int nr;
  const char *name;
};

/* Syscalls always sent to the supervisor. #ifdef each: not every arch has every one. */
static const struct sysname notified[] = {
#ifdef __NR_mount
    {__NR_mount, "mount"},
#endif
#ifdef __NR_umount2
    {__NR_umount2, "umount2"},
#endif
#ifdef __NR_pivot_root
    {__NR_pivot_root, "pivot_root"},
#endif
#ifdef __NR_unshare
    {__NR_unshare, "unshare"},
#endif
#ifdef __NR_setns
    {__NR_setns, "setns"},
#endif
#ifdef __NR_ptrace
    {__NR_ptrace, "ptrace"},
#endif
#ifdef __NR_process_vm_readv
    {__NR_process_vm_readv, "process_vm_readv"},
#endif
#ifdef __NR_process_vm_writev
    {__NR_process_vm_writev, "process_vm_writev"},
#endif
#ifdef __NR_bpf
    {__NR_bpf, "bpf"},
#endif
#ifdef __NR_perf_event_open
    {__NR_perf_event_open, "perf_event_open"},
#endif
#ifdef __NR_kexec_load
    {__NR_kexec_load, "kexec_load"},
#endif
#ifdef __NR_kexec_file_load
    {__NR_kexec_file_load, "kexec_file_load"},
#endif
#ifdef __NR_init_module
    {__NR_init_module, "init_module"},
#endif
#ifdef __NR_finit_module
    {__NR_finit_module, "finit_module"},
#endif
#ifdef __NR_delete_module
    {__NR_delete_module, "delete_module"},
#endif
#ifdef __NR_keyctl
    {__NR_keyctl, "keyctl"},
#endif
#ifdef __NR_add_key
    {__NR_add_key, "add_key"},
#endif
#ifdef __NR_request_key
    {__NR_request_key, "request_key"},
#endif
#ifdef __NR_io_uring_setup
    {__NR_io_uring_setup, "io_uring_setup"},
#endif
#ifdef __NR_io_uring_enter
    {__NR_io_uring_enter, "io_uring_enter"},
#endif
#ifdef __NR_io_uring_register
    {__NR_io_uring_register, "io_uring_register"},
#endif
#ifdef __NR_userfaultfd
    {__NR_userfaultfd, "userfaultfd"},
#endif
#ifdef __NR_open_by_handle_at
    {__NR_open_by_handle_at, "open_by_handle_at"},
#endif
#ifdef __NR_name_to_handle_at
    {__NR_name_to_handle_at, "name_to_handle_at"},
#endif
#ifdef __NR_reboot
    {__NR_reboot, "reboot"},
#endif
#ifdef __NR_swapon
    {__NR_swapon, "swapon"},
#endif
#ifdef __NR_swapoff
    {__NR_swapoff, "swapoff"},
#endif
#ifdef __NR_fsopen
    {__NR_fsopen, "fsopen"},
#endif
#ifdef __NR_fsconfig
    {__NR_fsconfig, "fsconfig"},
#endif
#ifdef __NR_fsmount
    {__NR_fsmount, "fsmount"},
#endif
#ifdef __NR_fspick
    {__NR_fspick, "fspick"},
#endif
#ifdef __NR_move_mount
    {__NR_move_mount, "move_mount"},
#endif
#ifdef __NR_open_tree
    {__NR_open_tree, "open_tree"},
#endif
#ifdef __NR_mount_setattr
    {__NR_mount_setattr, "mount_setattr"},
#endif
#ifdef __NR_chroot
    {__NR_chroot, "chroot"},
#endif
#ifdef __NR_acct
    {__NR_acct, "acct"},
#endif
#ifdef __NR_settimeofday
    {__NR_settimeofday, "settimeofday"},
#endif
#ifdef __NR_clock_settime
    {__NR_clock_settime, "clock_settime"},
#endif
#ifdef __NR_iopl
    {__NR_iopl, "iopl"},
#endif
#ifdef __NR_ioperm
    {__NR_ioperm, "ioperm"},
#endif
    /* The supervisor holds the listener fd: a sandboxed process that copied it could answer its
     * own notifications. PR_SET_DUMPABLE=0 already blocks this; deny it anyway. */
#ifdef __NR_pidfd_getfd
    {__NR_pidfd_getfd, "pidfd_getfd"},
#endif
};
#define N_NOTIFIED (sizeof notified / sizeof notified[0])

/* Names for the syscalls filtered by argument, so events can name them too. */
static const char *syscall_name(int nr) {
  for (size_t i = 0; i < N_NOTIFIED; i++)
    if (notified[i].nr == nr) return notified[i].name;
  if (nr == __NR_clone) return "clone";
  if (nr == __NR_ioctl) return "ioctl";
  return "unknown";
}

/* ---- BPF program assembly with symbolic jump targets ---- */
enum label { L_ALLOW, L_NOTIFY, L_KILL, L_EPERM, L_ENOSYS, N_LABELS };
#define TO(l) (-1 - (int)(l)) /* a jump operand naming a label rather than a skip count */
#define MAX_INS 160

struct prog {
  struct sock_filter f[MAX_INS];
  int jt[MAX_INS], jf[MAX_INS];
  int n;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, int jt, int jf) {
  p->f[p->n] = (struct sock_filter){code, 0, 0, k};
  p->jt[p->n] = jt;
  p->jf[p->n] = jf;
  p->n++;
}

#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i))) /* little-endian */

/* Builds the filter; `deny` is the action for the reported syscalls (USER_NOTIF or ERRNO). */
static int build_filter(struct prog *p, uint32_t deny) {
  p->n = 0;
  emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, TO(L_KILL));
  emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
#ifdef __x86_64__
  /* x32 syscalls share the x86_64 audit arch: their numbers carry this bit instead. */
  emit(p, BPF_JMP | BPF_JSET | BPF_K, 0x40000000, TO(L_EPERM), 0);
#endif
#ifdef __NR_clone3
  /* clone3 passes its flags in a struct in memory, which a seccomp filter cannot read, so its
   * namespace flags cannot be checked. ENOSYS makes glibc (fork, posix_spawn, pthread_create)
   * fall back to clone, whose flags arrive in a register and are checked below. */
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, TO(L_ENOSYS), 0);
#endif
  for (size_t i = 0; i < N_NOTIFIED; i++)
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)notified[i].nr, TO(L_NOTIFY), 0);
  /* clone: only when it asks for a new namespace (flags are arg 0 on x86_64 and aarch64). */
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 2);
  emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
  emit(p, BPF_JMP | BPF_JSET | BPF_K, CLONE_NS_FLAGS, TO(L_NOTIFY), TO(L_ALLOW));
  /* ioctl: terminal injection. The kernel reads cmd as 32 bits, so the low word is the whole. */
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, TO(L_ALLOW));
  emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(1), 0, 0);
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, TO(L_NOTIFY), 0);
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, TO(L_NOTIFY), TO(L_ALLOW));

  int at[N_LABELS];
  static const uint32_t ret_of[N_LABELS] = {
      SECCOMP_RET_ALLOW, 0, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO | EPERM,
      SECCOMP_RET_ERRNO | ENOSYS};
  for (int l = 0; l < N_LABELS; l++) {
    at[l] = p->n;
    emit(p, BPF_RET | BPF_K, l == L_NOTIFY ? deny : ret_of[l], 0, 0);
  }
  for (int i = 0; i < p->n; i++) {
    int t = p->jt[i] < 0 ? at[-1 - p->jt[i]] - (i + 1) : p->jt[i];
    int f = p->jf[i] < 0 ? at[-1 - p->jf[i]] - (i + 1) : p->jf[i];
    if (t < 0 || t > 255 || f < 0 || f > 255) return -1;
    p->f[i].jt = (uint8_t)t;
    p->f[i].jf = (uint8_t)f;
  }
  return 0;
}

static int seccomp_call(unsigned op, unsigned flags, void *arg) {
  return (int)syscall(__NR_seccomp, op, flags, arg);
}

int install_seccomp(enum seccomp_mode *mode, char *reason, size_t reasonlen) {
  static struct prog p;
  reason[0] = '\0';
  *mode = SECCOMP_MODE_OFF_;
  if (build_filter(&p, SECCOMP_RET_USER_NOTIF) < 0) {
    snprintf(reason, reasonlen, "seccomp: filter too large for BPF jumps");
    return -1;
  }
  struct sock_fprog fp = {.len = (unsigned short)p.n, .filter = p.f};
  int fd = seccomp_call(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
  if (fd >= 0) {
    *mode = SECCOMP_MODE_NOTIFY_;
    return fd;
  }
  snprintf(reason, reasonlen, "user notification unavailable: %s", strerror(errno));
  build_filter(&p, SECCOMP_RET_ERRNO | EPERM); /* same layout: cannot fail if the first did not */
  if (seccomp_call(SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) {
    snprintf(reason, reasonlen, "seccomp: %s", strerror(errno));
    return -1;
  }
  *mode = SECCOMP_MODE_ERRNO_;
  return -1;
}

/* ---- supervisor ---- */
#define ARGV_MAX_ENTRIES 32
#define ARGV_MAX_BYTES 4096

static void report(const struct seccomp_notif *req, int alive) {
  static struct jbuf b;
  char path[64], exe[PATH_MAX];
  char cmdline[ARGV_MAX_BYTES];
  ssize_t exelen = -1, cmdlen = 0;
  if (alive) {
    snprintf(path, sizeof path, "/proc/%u/exe", req->pid);
    exelen = readlink(path, exe, sizeof exe - 1);
    snprintf(path, sizeof path, "/proc/%u/cmdline", req->pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      cmdlen = read(fd, cmdline, sizeof cmdline);
      if (cmdlen < 0) cmdlen = 0;
      close(fd);
    }
  }
  jb_reset(&b);
  jb_lit(&b, "{");
  jb_key(&b, "type");
  jb_lit(&b, "\"syscall_denied\"");
  jb_key(&b, "syscall");
  jb_cstr(&b, syscall_name(req->data.nr));
  jb_key(&b, "nr");
  jb_i64(&b, req->data.nr);
  jb_key(&b, "pid");
  jb_i64(&b, req->pid);
  jb_key(&b, "exe");
  if (exelen >= 0) jb_str(&b, exe, (size_t)exelen);
  else jb_lit(&b, "null");
  jb_key(&b, "argv");
  jb_lit(&b, "[");
  int count = 0;
  for (ssize_t i = 0; i < cmdlen && count < ARGV_MAX_ENTRIES; count++) {
    const char *arg = cmdline + i;
    const char *end = memchr(arg, '\0', (size_t)(cmdlen - i));
    size_t len = end ? (size_t)(end - arg) : (size_t)(cmdlen - i);
    if (count > 0) jb_lit(&b, ",");
    jb_str(&b, arg, len);
    i += (ssize_t)len + 1;
  }
  jb_lit(&b, "]");
  jb_key(&b, "ts");
  jb_i64(&b, now_ms());
  emit_event(&b);
}

void handle_notification(int listener) {
  static struct seccomp_notif *req;
  static struct seccomp_notif_resp *resp;
  static size_t req_size, resp_size;
  if (req == NULL) {
    /* The kernel's structs may be larger than our headers' (newer kernels): ask. */
    struct seccomp_notif_sizes sizes = {0};
    seccomp_call(SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
    req_size = sizes.seccomp_notif > sizeof *req ? sizes.seccomp_notif : sizeof *req;
    resp_size = sizes.seccomp_notif_resp > sizeof *resp ? sizes.seccomp_notif_resp : sizeof *resp;
    req = calloc(1, req_size);
    resp = calloc(1, resp_size);
    if (req == NULL || resp == NULL) abort();
  }
  memset(req, 0, req_size);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) return; /* EINTR, or target died */
  if (g_events_fd >= 0) {
    /* Only read /proc/<pid> while the id is valid: else the pid may already be someone else. */
    int alive = ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) == 0;
    report(req, alive);
  }
  memset(resp, 0, resp_size);
  resp->id = req->id;
  resp->error = -EPERM;
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp); /* ENOENT: the caller died meanwhile */
}
