/**
 * Narrowing of the plain objects that @grpc/proto-loader decodes. gobgpd's answers arrive as
 * `unknown`; these helpers read one field at a time and fall back to the proto3 default, so a
 * field that an older or newer gobgpd leaves out reads as "unset" instead of crashing the agent.
 */
export type ProtoObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown): ProtoObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as ProtoObject) : undefined;
}

export function field(value: unknown, name: string): ProtoObject | undefined {
  return asObject(asObject(value)?.[name]);
}

export function str(value: unknown, name: string): string {
  const v = asObject(value)?.[name];
  return typeof v === "string" ? v : "";
}

/** Numbers arrive as numbers (loader option `longs: Number`); a decimal string is accepted too. */
export function num(value: unknown, name: string): number {
  const v = asObject(value)?.[name];
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return 0;
}

export function bool(value: unknown, name: string): boolean {
  return asObject(value)?.[name] === true;
}

export function list(value: unknown, name: string): readonly unknown[] {
  const v = asObject(value)?.[name];
  return Array.isArray(v) ? v : [];
}

export function bytes(value: unknown, name: string): Uint8Array {
  const v = asObject(value)?.[name];
  return v instanceof Uint8Array ? v : new Uint8Array(0);
}

/** google.protobuf.Timestamp → Date; unset (null) or the zero time → undefined. */
export function timestamp(value: unknown, name: string): Date | undefined {
  const ts = field(value, name);
  if (ts === undefined) return undefined;
  const ms = num(ts, "seconds") * 1000 + Math.floor(num(ts, "nanos") / 1e6);
  return ms > 0 ? new Date(ms) : undefined;
}
