/**
 * Linux errno values the plugin can meet (asm-generic/errno*.h) with glibc's strerror(3) text,
 * so an error reads as iproute2's would: `veth ptl…: File exists`. The names are for code that
 * must react to one (EEXIST on create, ENODEV on delete).
 */
const table: Record<number, [name: string, text: string]> = {
  1: ["EPERM", "Operation not permitted"],
  2: ["ENOENT", "No such file or directory"],
  3: ["ESRCH", "No such process"],
  4: ["EINTR", "Interrupted system call"],
  5: ["EIO", "Input/output error"],
  6: ["ENXIO", "No such device or address"],
  7: ["E2BIG", "Argument list too long"],
  9: ["EBADF", "Bad file descriptor"],
  11: ["EAGAIN", "Resource temporarily unavailable"],
  12: ["ENOMEM", "Cannot allocate memory"],
  13: ["EACCES", "Permission denied"],
  14: ["EFAULT", "Bad address"],
  16: ["EBUSY", "Device or resource busy"],
  17: ["EEXIST", "File exists"],
  18: ["EXDEV", "Invalid cross-device link"],
  19: ["ENODEV", "No such device"],
  20: ["ENOTDIR", "Not a directory"],
  21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"],
  23: ["ENFILE", "Too many open files in system"],
  24: ["EMFILE", "Too many open files"],
  28: ["ENOSPC", "No space left on device"],
  30: ["EROFS", "Read-only file system"],
  34: ["ERANGE", "Numerical result out of range"],
  36: ["ENAMETOOLONG", "File name too long"],
  37: ["ENOLCK", "No locks available"],
  38: ["ENOSYS", "Function not implemented"],
  61: ["ENODATA", "No data available"],
  75: ["EOVERFLOW", "Value too large for defined data type"],
  90: ["EMSGSIZE", "Message too long"],
  93: ["EPROTONOSUPPORT", "Protocol not supported"],
  95: ["EOPNOTSUPP", "Operation not supported"],
  97: ["EAFNOSUPPORT", "Address family not supported by protocol"],
  98: ["EADDRINUSE", "Address already in use"],
  99: ["EADDRNOTAVAIL", "Cannot assign requested address"],
  100: ["ENETDOWN", "Network is down"],
  101: ["ENETUNREACH", "Network is unreachable"],
  105: ["ENOBUFS", "No buffer space available"],
  110: ["ETIMEDOUT", "Connection timed out"],
  113: ["EHOSTUNREACH", "No route to host"],
};

export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EAGAIN: 11, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ENOBUFS: 105,
} as const;

/** strerror(3) text, or "errno N" for a value outside the table. */
export function errnoText(errno: number): string {
  return table[errno]?.[1] ?? `errno ${errno}`;
}

export function errnoName(errno: number): string {
  return table[errno]?.[0] ?? `E${errno}`;
}
