// Test doubles for GobgpSync: a stateful stand-in for gobgpd behind the scripted FakeTransport,
// and a logger that records lines.
import type { LogFields, Logger } from "../../../common/logger.ts";
import { familyFromApi } from "../../gobgp/family.ts";
import { grpcStatus } from "../../gobgp/grpc-error.ts";
import { field, list, num, str } from "../../gobgp/narrow.ts";
import { decodePath } from "../../gobgp/path-codec.ts";
import { FakeTransport, statusError } from "../../gobgp/testing/fake-transport.ts";

export type Msg = Record<string, unknown>;

/**
 * A stateful stand-in for gobgpd behind the scripted FakeTransport: it keeps the global config,
 * peers, local paths, prefix sets, policies and assignments that requests create, and answers
 * GetBgp/ListPeer/ListPath/ListDefinedSet from them, so that GobgpSync's diffing can be checked
 * over several applies.
 */
export class FakeGobgpd {
  readonly transport = new FakeTransport();
  global: Msg | undefined;
  /** The `Peer` messages of AddPeer, by neighbour address. */
  readonly peers = new Map<string, Msg>();
  /** What ListPeer reports as every session's state. */
  sessionState = "ESTABLISHED";
  /** The `Path` messages of AddPath, by canonical prefix. */
  readonly paths = new Map<string, Msg>();
  readonly sets = new Map<string, { ipPrefix: string; maskLengthMin: number; maskLengthMax: number }[]>();
  readonly policies = new Map<string, Msg>();
  readonly assignments = new Map<string, Msg>();

  constructor() {
    const t = this.transport;
    const notFound = (what: string) => statusError(grpcStatus.NOT_FOUND, `${what} not found`);
    const prefixOf = (path: unknown): string => {
      const p = decodePath(path);
      if (p === undefined) throw new Error("undecodable path");
      return p.prefix;
    };
    const entries = (set: unknown) => list(set, "prefixes").map((e) => ({
      ipPrefix: str(e, "ipPrefix"), maskLengthMin: num(e, "maskLengthMin"), maskLengthMax: num(e, "maskLengthMax"),
    }));
    const entryKey = (e: { ipPrefix: string; maskLengthMin: number; maskLengthMax: number }) => `${e.ipPrefix} ${e.maskLengthMin}..${e.maskLengthMax}`;

    t.answer("GetBgp", () => ({ global: this.global ?? { asn: 0, routerId: "", listenPort: 0, listenAddresses: [] } }));
    t.answer("StartBgp", (r: Msg) => {
      this.global = field(r, "global");
      return {};
    });
    t.answer("StopBgp", () => {
      this.global = undefined;
      this.peers.clear();
      this.paths.clear();
      return {};
    });
    t.answer("AddPeer", (r: Msg) => {
      const address = str(field(field(r, "peer"), "conf"), "neighborAddress");
      if (this.peers.has(address)) return statusError(grpcStatus.UNKNOWN, `can't overwrite the existing peer: ${address}`);
      this.peers.set(address, field(r, "peer") ?? {});
      return {};
    });
    t.answer("DeletePeer", (r: Msg) => (this.peers.delete(str(r, "address")) ? {} : notFound("peer")));
    t.answer("ResetPeer", {});
    t.answer("ListPeer", () => [...this.peers.values()].map((peer) => ({ peer: { ...peer, state: { sessionState: this.sessionState } } })));
    t.answer("AddPath", (r: Msg) => {
      this.paths.set(prefixOf(r["path"]), field(r, "path") ?? {});
      return { uuid: new Uint8Array(16) };
    });
    t.answer("DeletePath", (r: Msg) => (this.paths.delete(prefixOf(r["path"])) ? {} : notFound("path")));
    t.answer("ListPath", (r: Msg) => {
      const family = familyFromApi(r["family"]);
      return [...this.paths].filter(([, p]) => familyFromApi(p["family"]) === family).map(([prefix, p]) => ({ destination: { prefix, paths: [p] } }));
    });
    t.answer("ListDefinedSet", () => [...this.sets].map(([name, prefixes]) => ({ definedSet: { definedType: "PREFIX", name, prefixes, list: [] } })));
    t.answer("AddDefinedSet", (r: Msg) => {
      const set = field(r, "definedSet");
      const have = this.sets.get(str(set, "name")) ?? [];
      const keys = new Set(have.map(entryKey));
      this.sets.set(str(set, "name"), [...have, ...entries(set).filter((e) => !keys.has(entryKey(e)))]);
      return {};
    });
    t.answer("DeleteDefinedSet", (r: Msg) => {
      const set = field(r, "definedSet");
      const name = str(set, "name");
      const have = this.sets.get(name);
      if (have === undefined) return notFound("defined set");
      if (r["all"] === true) {
        this.sets.delete(name);
      } else {
        const stale = new Set(entries(set).map(entryKey));
        this.sets.set(name, have.filter((e) => !stale.has(entryKey(e))));
      }
      return {};
    });
    t.answer("AddPolicy", (r: Msg) => {
      this.policies.set(str(field(r, "policy"), "name"), field(r, "policy") ?? {});
      return {};
    });
    t.answer("DeletePolicy", (r: Msg) => (this.policies.delete(str(field(r, "policy"), "name")) ? {} : notFound("policy")));
    t.answer("SetPolicyAssignment", (r: Msg) => {
      const a = field(r, "assignment");
      this.assignments.set(str(a, "direction"), a ?? {});
      return {};
    });
    t.answer("DeletePolicyAssignment", (r: Msg) => (this.assignments.delete(str(field(r, "assignment"), "direction")) ? {} : notFound("assignment")));
  }

  /** gobgpd restarted: it has forgotten everything. */
  restart(): void {
    this.global = undefined;
    for (const m of [this.peers, this.paths, this.sets, this.policies, this.assignments]) m.clear();
  }

  /** Method names called since `mark` (a `transport.calls.length`). */
  methodsSince(mark: number): string[] {
    return this.transport.calls.slice(mark).map((c) => c.method);
  }

  requestsSince(mark: number, method: string): Msg[] {
    return this.transport.calls.slice(mark).filter((c) => c.method === method).map((c) => c.request);
  }
}

export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: "error", message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: "warn", message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: "info", message, fields });
  }
  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: "debug", message, fields });
  }
  child(): Logger {
    return this;
  }
}
