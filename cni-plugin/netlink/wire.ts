/**
 * Netlink framing (linux/netlink.h): message headers and type-length-value attributes, encoded
 * and decoded as plain bytes. Pure: the socket that carries them is in `host/netlink-socket.ts`.
 * Every number is in host byte order (little-endian on the machines Petrel ships for), as the
 * kernel expects; only addresses inside attributes are in network order.
 */
export const nlmsgHeaderLength = 16;
const attrHeaderLength = 4;

export const NlmsgType = { noop: 1, error: 2, done: 3 } as const;
export const NlmFlag = {
  request: 0x1,
  multi: 0x2,
  ack: 0x4,
  echo: 0x8,
  dump: 0x300,
  replace: 0x100,
  excl: 0x200,
  create: 0x400,
  /** In an error/ack: the request was not echoed back (NETLINK_CAP_ACK). */
  capped: 0x100,
  /** In an error/ack: extended-ack attributes follow. */
  ackTlvs: 0x200,
} as const;

/** Mask that drops NLA_F_NESTED and NLA_F_NET_BYTEORDER from an attribute type. */
const attrTypeMask = 0x3fff;

export const align4 = (n: number): number => (n + 3) & ~3;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One attribute: header, payload, zero padding to 4 bytes. */
export function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(attrHeaderLength + payload.length));
  const view = new DataView(out.buffer);
  view.setUint16(0, attrHeaderLength + payload.length, true);
  view.setUint16(2, type, true);
  out.set(payload, attrHeaderLength);
  return out;
}

export function attrU32(type: number, value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return attr(type, b);
}

export function attrU8(type: number, value: number): Uint8Array {
  return attr(type, Uint8Array.of(value));
}

/** A NUL-terminated string, as the kernel's NLA_STRING/NLA_NUL_STRING policies accept. */
export function attrString(type: number, value: string): Uint8Array {
  const text = new TextEncoder().encode(value);
  const b = new Uint8Array(text.length + 1);
  b.set(text);
  return attr(type, b);
}

export function attrNested(type: number, ...children: Uint8Array[]): Uint8Array {
  return attr(type, concat(children));
}

/** A whole request: nlmsghdr (pid 0: the kernel assigns the port), fixed header, attributes. */
export function message(type: number, flags: number, seq: number, fixed: Uint8Array, ...attrs: Uint8Array[]): Uint8Array {
  const out = concat([new Uint8Array(nlmsgHeaderLength), fixed, ...attrs]);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length, true);
  view.setUint16(4, type, true);
  view.setUint16(6, flags, true);
  view.setUint32(8, seq >>> 0, true);
  view.setUint32(12, 0, true);
  return out;
}

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  /** The bytes after the nlmsghdr. */
  payload: Uint8Array;
}

/** Splits one datagram from the kernel into its messages. */
export function splitMessages(buf: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at + nlmsgHeaderLength <= buf.length) {
    const length = view.getUint32(at, true);
    if (length < nlmsgHeaderLength || at + length > buf.length) {
      throw new Error(`malformed netlink message: length ${length} at offset ${at} of ${buf.length}`);
    }
    out.push({
      type: view.getUint16(at + 4, true),
      flags: view.getUint16(at + 6, true),
      seq: view.getUint32(at + 8, true),
      payload: buf.subarray(at + nlmsgHeaderLength, at + length),
    });
    at += align4(length);
  }
  return out;
}

/** The attributes in `buf` from `offset` on, by type (the last one wins, as in the kernel). */
export function parseAttrs(buf: Uint8Array, offset = 0): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = offset;
  while (at + attrHeaderLength <= buf.length) {
    const length = view.getUint16(at, true);
    if (length < attrHeaderLength || at + length > buf.length) break;
    out.set(view.getUint16(at + 2, true) & attrTypeMask, buf.subarray(at + attrHeaderLength, at + length));
    at += align4(length);
  }
  return out;
}

export function readU32(b: Uint8Array | undefined): number | undefined {
  if (b === undefined || b.length < 4) return undefined;
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

export function readI32(b: Uint8Array | undefined): number | undefined {
  if (b === undefined || b.length < 4) return undefined;
  return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
}

export function readString(b: Uint8Array | undefined): string | undefined {
  if (b === undefined) return undefined;
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

export interface NetlinkAck {
  /** 0 for a positive ack, else the (positive) errno the kernel returned. */
  errno: number;
  /** The kernel's extended-ack message (NETLINK_EXT_ACK), e.g. "Nexthop device is not up". */
  detail: string | undefined;
  /** Sequence number of the request this answers (the kernel copies it into the answer's header). */
  seq: number;
}

/** Decodes an NLMSG_ERROR message (an error, or the ack of a request that asked for one). */
export function decodeAck(m: NlMessage): NetlinkAck {
  const view = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const error = view.getInt32(0, true);
  let detail: string | undefined;
  if ((m.flags & NlmFlag.ackTlvs) !== 0) {
    // struct nlmsgerr: error, then the request's header, then (unless capped) its payload.
    const echoed = (m.flags & NlmFlag.capped) !== 0 ? nlmsgHeaderLength : view.getUint32(4, true);
    detail = readString(parseAttrs(m.payload, 4 + align4(echoed)).get(1 /* NLMSGERR_ATTR_MSG */));
  }
  return { errno: error === 0 ? 0 : -error, detail: detail === "" ? undefined : detail, seq: m.seq };
}
