// Runs a command under the seccomp filters systemd installs for two unit settings, so their
// effect on the real processes can be tested without systemd:
//   RestrictAddressFamilies=  socket() with a family not listed fails with EAFNOSUPPORT;
//   MemoryDenyWriteExecute=   mmap() asking for writable and executable memory, and mprotect()
//                             or pkey_mprotect() adding PROT_EXEC, fail with EPERM.
//   seccomp_run [--family N]... [--mdwe] -- COMMAND [ARG]...
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp_run: unknown architecture"
#endif

#define MAX_FILTER 64
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i))  // little-endian: low 32 bits

static struct sock_filter prog[MAX_FILTER];
static unsigned short len;

static void emit(struct sock_filter f) {
  if (len == MAX_FILTER) {
    fputs("seccomp_run: too many families\n", stderr);
    exit(125);
  }
  prog[len++] = f;
}

int main(int argc, char** argv) {
  int families[16], n_families = 0, mdwe = 0, i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; ++i) {
    if (!strcmp(argv[i], "--family") && i + 1 < argc && n_families < 16) families[n_families++] = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--mdwe")) mdwe = 1;
    else {
      fprintf(stderr, "seccomp_run: unknown argument %s\n", argv[i]);
      return 125;
    }
  }
  if (i + 1 >= argc) {
    fputs("usage: seccomp_run [--family N]... [--mdwe] -- COMMAND [ARG]...\n", stderr);
    return 125;
  }
  const struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));  // as SystemCallArchitectures=native
  // socket(family, ...): allowed families pass, any other fails.
  emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, (unsigned char)(n_families + 3)));
  emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(0)));
  for (int f = 0; f < n_families; ++f)
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)families[f],
                                      (unsigned char)(n_families - f), 0));
  emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT));
  emit(allow);
  if (mdwe) {
    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 3));
    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)));
    emit((struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 5, 6));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 1, 0));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 0, 4));
    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)));
    emit((struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_EXEC));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_EXEC, 0, 1));
    emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
  }
  emit(allow);
  const struct sock_fprog fprog = {len, prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) {
    perror("seccomp_run: seccomp");
    return 125;
  }
  execvp(argv[i + 1], argv + i + 1);
  perror("seccomp_run: exec");
  return 127;
}
