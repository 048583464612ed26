/**
 * BGP communities in their text forms: standard `asn:value` (RFC 1997, with the well-known
 * names) and large `global:local1:local2` (RFC 8092). gobgpd's API carries standard ones as
 * one uint32 each and large ones as three.
 */
import { InvalidInputError } from "../../common/errors.ts";

const wellKnown: ReadonlyMap<string, number> = new Map([
  ["graceful-shutdown", 0xffff0000],
  ["no-export", 0xffffff01],
  ["no-advertise", 0xffffff02],
  ["no-export-subconfed", 0xffffff03],
  ["no-peer", 0xffffff04],
]);
const wellKnownNames: ReadonlyMap<number, string> = new Map([...wellKnown].map(([k, v]) => [v, k]));

function part(text: string, max: number, field: string, whole: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidInputError(field, `"${whole}" is not a community: "${text}" is not a number`);
  const n = Number(text);
  if (n > max) throw new InvalidInputError(field, `"${whole}" is not a community: ${n} is larger than ${max}`);
  return n;
}

export function parseCommunity(text: string, field = "community"): number {
  const known = wellKnown.get(text.toLowerCase());
  if (known !== undefined) return known;
  const parts = text.split(":");
  if (parts.length !== 2) {
    throw new InvalidInputError(field, `"${text}" is not a community: write it as "asn:value" such as "64512:100" or a well-known name`);
  }
  const [high, low] = parts as [string, string];
  return part(high, 0xffff, field, text) * 0x10000 + part(low, 0xffff, field, text);
}

export function formatCommunity(value: number): string {
  return wellKnownNames.get(value) ?? `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

export interface LargeCommunity {
  globalAdmin: number;
  localData1: number;
  localData2: number;
}

export function parseLargeCommunity(text: string, field = "largeCommunity"): LargeCommunity {
  const parts = text.split(":");
  if (parts.length !== 3) {
    throw new InvalidInputError(field, `"${text}" is not a large community: write it as "global:local1:local2" such as "64512:1:2"`);
  }
  const [g, l1, l2] = parts.map((p) => part(p, 0xffffffff, field, text)) as [number, number, number];
  return { globalAdmin: g, localData1: l1, localData2: l2 };
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.globalAdmin}:${c.localData1}:${c.localData2}`;
}
