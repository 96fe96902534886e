/* A disk that fills up, or fails, under a process: LD_PRELOAD this library and set
 *   LONGALIGN_FAIL_WRITES=PATTERN:BYTES:ERROR[:fsync]
 * and every write to a file whose path contains PATTERN fails with ERROR (ENOSPC or EIO) once
 * BYTES bytes have been written to such files by this process; with ":fsync", writes go
 * through and fsync/fdatasync of such files fail instead. It wraps what longalign's writers
 * reach through the dynamic linker: write, pwrite, pwrite64, writev and fwrite (stdio calls
 * the kernel from inside libc, past any wrapper), fsync and fdatasync. And
 *   LONGALIGN_FAIL_CREATES=PATTERN:ERROR
 * makes open() with O_CREAT of such a path fail with ERROR (ENOSPC, EROFS, EACCES,
 * ENAMETOOLONG), as a full disk, a read-only mount or a foreign directory would. A test tool,
 * like SQLite's test VFS, not part of longalign. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static char pattern[512];
static long long budget = -1; /* bytes still allowed; -1: not configured */
static int error_code;
static int on_fsync;

/* Read once, whichever thread writes first. */
static void parse_spec(void) {
  const char* spec = getenv("LONGALIGN_FAIL_WRITES");
  if (!spec || !*spec) return;
  char copy[600];
  snprintf(copy, sizeof copy, "%s", spec);
  char* bytes = strchr(copy, ':');
  if (!bytes) return;
  *bytes++ = '\0';
  char* err = strchr(bytes, ':');
  if (!err) return;
  *err++ = '\0';
  char* mode = strchr(err, ':');
  if (mode) *mode++ = '\0';
  snprintf(pattern, sizeof pattern, "%s", copy);
  budget = atoll(bytes);
  error_code = strcmp(err, "EIO") == 0 ? EIO : ENOSPC;
  on_fsync = mode && strcmp(mode, "fsync") == 0;
}

static void configure(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, parse_spec);
}

static int matches(int fd) {
  configure();
  if (budget < 0 || fd < 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return strstr(path, pattern) != NULL;
}

/* 1 when this write of n bytes to fd must fail; the budget is shared by the process's threads. */
static int refuse_write(int fd, size_t n) {
  if (on_fsync || !matches(fd)) return 0;
  long long left = __atomic_load_n(&budget, __ATOMIC_SEQ_CST);
  while ((long long)n <= left)
    if (__atomic_compare_exchange_n(&budget, &left, left - (long long)n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return 0;
  __atomic_store_n(&budget, 0, __ATOMIC_SEQ_CST);
  errno = error_code;
  return 1;
}

/* The next definition of fn: libc's. */
#define REAL(fn)                   \
  static __typeof__(&fn) real;     \
  if (!real) real = (__typeof__(&fn))dlsym(RTLD_NEXT, #fn)

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  return refuse_write(fd, n) ? -1 : real(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite);
  return refuse_write(fd, n) ? -1 : real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite64);
  return refuse_write(fd, n) ? -1 : real(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  REAL(writev);
  size_t n = 0;
  for (int i = 0; i < count; ++i) n += iov[i].iov_len;
  return refuse_write(fd, n) ? -1 : real(fd, iov, count);
}

size_t fwrite(const void* buf, size_t size, size_t count, FILE* f) {
  REAL(fwrite);
  return refuse_write(fileno(f), size * count) ? 0 : real(buf, size, count, f);
}

static int refuse_sync(int fd) {
  if (!on_fsync || !matches(fd)) return 0;
  errno = error_code;
  return 1;
}

int fsync(int fd) {
  REAL(fsync);
  return refuse_sync(fd) ? -1 : real(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  return refuse_sync(fd) ? -1 : real(fd);
}

/* LONGALIGN_FAIL_CREATES: the errno an O_CREAT open of a matching path gets, or 0. */
static int create_error(const char* path, int flags) {
  const char* spec = getenv("LONGALIGN_FAIL_CREATES");
  if (!spec || !(flags & O_CREAT)) return 0;
  const char* colon = strrchr(spec, ':');
  if (!colon) return 0;
  char want[512];
  snprintf(want, sizeof want, "%.*s", (int)(colon - spec), spec);
  if (!strstr(path, want)) return 0;
  const char* name = colon + 1;
  if (strcmp(name, "EROFS") == 0) return EROFS;
  if (strcmp(name, "EACCES") == 0) return EACCES;
  if (strcmp(name, "ENAMETOOLONG") == 0) return ENAMETOOLONG;
  return ENOSPC;
}

/* open() and open64(): refused as LONGALIGN_FAIL_CREATES says, else passed on to libc's. */
static int open_with(int (*real)(const char*, int, ...), const char* path, int flags, mode_t mode) {
  const int err = create_error(path, flags);
  if (err) {
    errno = err;
    return -1;
  }
  return real(path, flags, mode);
}

#define OPEN_ARGS_MODE(flags, mode)             \
  mode_t mode = 0;                              \
  if ((flags) & O_CREAT) {                      \
    va_list ap;                                 \
    va_start(ap, flags);                        \
    mode = va_arg(ap, mode_t);                  \
    va_end(ap);                                 \
  }

int open(const char* path, int flags, ...) {
  REAL(open);
  OPEN_ARGS_MODE(flags, mode);
  return open_with(real, path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  REAL(open64);
  OPEN_ARGS_MODE(flags, mode);
  return open_with(real, path, flags, mode);
}
