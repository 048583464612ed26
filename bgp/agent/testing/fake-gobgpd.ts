// Test doubles for GobgpSync: a stateful stand-in for gobgpd behind the scripted FakeTransport,
// and a logger that records lines.
import type { LogFields, Logger } from "../../../common/logger.ts";
import { familyFromApi } from "../../gobgp/family.ts";
import { grpcStatus } from "../../gobgp/grpc-error.ts";
import { field, list, num, str } from "../../gobgp/narrow.ts";
import { decodePath } from "../../gobgp/path-codec.ts";
import { encodeListPath, FakeTransport, jsonDecoder, statusError } from "../../gobgp/testing/fake-transport.ts";
import { GobgpClient } from "../../gobgp/client.ts";
import type { RouteUpdate } from "../../gobgp/types.ts";

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
  /** Statement definitions (global in gobgpd). */
  readonly statements = new Set<string>();
  readonly assignments = new Map<string, Msg>();
  /** Routes learned from peers, as ListPath lists them beside the local paths. */
  received: RouteUpdate[] = [];
  /** A peer's counters as ListPeer reports them (IPv4 unicast), by neighbour address. */
  readonly peerCounters = new Map<string, { received: number; accepted: number; updates: number }>();

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
      for (const m of [this.sets, this.policies, this.assignments]) m.clear();
      this.statements.clear();
      return {};
    });
    t.answer("StopBgp", () => {
      this.global = undefined;
      this.peers.clear();
      this.paths.clear();
      return {};
    });
    // StartBgp resets gobgpd's routing policy.
    t.answer("AddPeer", (r: Msg) => {
      const address = str(field(field(r, "peer"), "conf"), "neighborAddress");
      if (this.peers.has(address)) return statusError(grpcStatus.UNKNOWN, `can't overwrite the existing peer: ${address}`);
      this.peers.set(address, field(r, "peer") ?? {});
      return {};
    });
    t.answer("DeletePeer", (r: Msg) => (this.peers.delete(str(r, "address")) ? {} : notFound("peer")));
    t.answer("ResetPeer", {});
    t.answer("ListPeer", () => [...this.peers.entries()].map(([address, peer]) => {
      const c = this.peerCounters.get(address);
      const state = { sessionState: this.sessionState, messages: { received: { update: c?.updates ?? 0 } } };
      const afiSafis = c === undefined ? [] : [{ state: { family: { afi: "AFI_IP", safi: "SAFI_UNICAST" }, received: c.received, accepted: c.accepted } }];
      return { peer: { ...peer, state, afiSafis } };
    }));
    t.answer("AddPath", (r: Msg) => {
      this.paths.set(prefixOf(r["path"]), field(r, "path") ?? {});
      return { uuid: new Uint8Array(16) };
    });
    t.answer("DeletePath", (r: Msg) => (this.paths.delete(prefixOf(r["path"])) ? {} : notFound("path")));
    t.answer("ListPath", (r: Msg) => {
      const family = familyFromApi(r["family"]);
      const only = new Set(list(r, "prefixes").map((x) => str(x, "prefix")));
      return [...this.paths].filter(([prefix, p]) => familyFromApi(p["family"]) === family && (only.size === 0 || only.has(prefix))).map(([prefix, p]) => ({ destination: { prefix, paths: [p] } }));
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
    // gobgpd 3.10: AddPolicy of an existing policy appends the statements; statement names are
    // global and may not be defined twice; DeletePolicy with all=false takes statements out.
    t.answer("AddPolicy", (r: Msg) => {
      const policy = field(r, "policy") ?? {};
      const name = str(policy, "name");
      const statements = list(policy, "statements") as Msg[];
      for (const st of statements) {
        if (this.statements.has(str(st, "name"))) return statusError(grpcStatus.UNKNOWN, `statement ${str(st, "name")} already defined`);
      }
      for (const st of statements) this.statements.add(str(st, "name"));
      const had = this.policies.get(name);
      this.policies.set(name, had === undefined ? policy : { ...had, statements: [...(list(had, "statements") as Msg[]), ...statements] });
      return {};
    });
    t.answer("DeletePolicy", (r: Msg) => {
      const policy = field(r, "policy") ?? {};
      const name = str(policy, "name");
      const had = this.policies.get(name);
      if (had === undefined) return notFound("policy");
      if (r["all"] === true) {
        if ([...this.assignments.values()].some((a) => list(a, "policies").some((p) => str(p, "name") === name))) return statusError(grpcStatus.UNKNOWN, `can't delete. policy ${name} is in use`);
        this.policies.delete(name);
        if (r["preserveStatements"] !== true) for (const st of list(had, "statements")) this.statements.delete(str(st, "name"));
        return {};
      }
      const gone = new Set(list(policy, "statements").map((st) => str(st, "name")));
      this.policies.set(name, { ...had, statements: list(had, "statements").filter((st) => !gone.has(str(st, "name"))) });
      return {};
    });
    t.answer("DeleteStatement", (r: Msg) => (this.statements.delete(str(field(r, "statement"), "name")) ? {} : notFound("statement")));
    t.answer("ListPolicy", () => [...this.policies.values()].map((policy) => ({ policy })));
    t.answer("ListPolicyAssignment", () => [...this.assignments.values()].map((assignment) => ({ assignment })));
    t.answer("raw:ListPath", (r: Msg) => {
      const family = familyFromApi(r["family"]);
      if (r["tableType"] === "ADJ_IN") return this.received.filter((x) => x.family === family && x.peer === r["name"]).map((x) => encodeListPath([x]));
      return [...this.paths].filter(([, p]) => familyFromApi(p["family"]) === family).map(([prefix, p]) => {
        const path = decodePath(p);
        const route: RouteUpdate = { family: family ?? "ipv4-unicast", prefix, nextHop: path?.nextHop ?? "", peer: undefined, withdrawal: false, stale: false, best: true };
        return encodeListPath([route, ...this.received.filter((x) => x.prefix === prefix)]);
      }).concat(this.received.filter((x) => !this.paths.has(x.prefix) && x.family === family).map((x) => encodeListPath([x])));
    });
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
    this.statements.clear();
    this.received = [];
    this.peerCounters.clear();
  }

  /** A client on this fake, with the lean decoder's JSON stand-in. */
  client(): GobgpClient {
    return new GobgpClient(this.transport, jsonDecoder);
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
