/**
 * A NETLINK_ROUTE socket: one request at a time, answered synchronously (the kernel handles a
 * request inside send(2) and has queued its answer by the time send returns). A socket belongs
 * to the namespace it was created in for the rest of its life, whatever thread uses it later.
 */
import { Errno } from "../netlink/errno.ts";
import { NetlinkError } from "../netlink/netlink-error.ts";
import { NlmsgType, decodeAck, splitMessages, type NlMessage } from "../netlink/wire.ts";
import {
  AF_NETLINK, MSG_TRUNC, NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_ROUTE, SOCK_CLOEXEC, SOCK_RAW, SOL_NETLINK, SyscallError,
  close, recv, send, setsockoptInt, socket,
} from "./libc.ts";

/** Large enough for any dump datagram the kernel sends (it sizes them to at most 32 KiB). */
const receiveBuffer = new Uint8Array(64 * 1024);

export class RtnlSocket {
  private seq = 1;
  private fd: number;

  /** Opens a socket in the calling thread's current network namespace. */
  constructor() {
    this.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    try {
      // Errors carry the kernel's explanation, and do not echo our request back.
      setsockoptInt(this.fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
      setsockoptInt(this.fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
  }

  private exchange(build: (seq: number) => Uint8Array, what: string): NlMessage[] {
    if (this.fd < 0) throw new Error(`netlink socket used after close (${what})`);
    const seq = this.seq++;
    try {
      send(this.fd, build(seq));
    } catch (err) {
      throw err instanceof SyscallError ? new NetlinkError(what, err.errno, "send failed") : err;
    }
    const out: NlMessage[] = [];
    for (;;) {
      let n: number;
      try {
        n = recv(this.fd, receiveBuffer, MSG_TRUNC);
      } catch (err) {
        throw err instanceof SyscallError ? new NetlinkError(what, err.errno, "receive failed") : err;
      }
      if (n > receiveBuffer.length) throw new SyscallError("recv", Errno.ENOBUFS);
      let last = false;
      for (const m of splitMessages(receiveBuffer.subarray(0, n))) {
        if (m.seq !== seq) continue; // nothing else is in flight; ignore strays
        if (m.type === NlmsgType.error) {
          const ack = decodeAck(m);
          if (ack.errno !== 0) throw new NetlinkError(what, ack.errno, ack.detail);
          return out;
        }
        if (m.type === NlmsgType.done) return out;
        // A copy: the receive buffer is reused by the next recv.
        out.push({ ...m, payload: m.payload.slice() });
        if ((m.flags & 0x2 /* NLM_F_MULTI */) === 0) last = true;
      }
      if (last) return out;
    }
  }

  /** A request with NLM_F_ACK: returns when the kernel acknowledges it, throws NetlinkError if it refuses. */
  ack(build: (seq: number) => Uint8Array, what: string): void {
    this.exchange(build, what);
  }

  /**
   * A lookup answered by one message; undefined when the kernel answers one of `missing` (links:
   * ENODEV; IPv6 addresses: EADDRNOTAVAIL; routes: ENETUNREACH when nothing matches at all).
   */
  get(build: (seq: number) => Uint8Array, what: string, missing: readonly number[] = [Errno.ENODEV]): NlMessage | undefined {
    try {
      return this.exchange(build, what)[0];
    } catch (err) {
      if (err instanceof NetlinkError && missing.includes(err.errno)) return undefined;
      throw err;
    }
  }

  /** A dump: every message until NLMSG_DONE. */
  dump(build: (seq: number) => Uint8Array, what: string): NlMessage[] {
    return this.exchange(build, what);
  }
}
