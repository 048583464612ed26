import { parseRoutesView } from "./bgp-routes.ts";
import { sampleView } from "./testing/bgp-routes-sample.ts";

const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(sampleView)) as Record<string, unknown>;

describe("parseRoutesView", () => {
  test("a view as the agent serves it reads back field for field", () => {
    expect(parseRoutesView(JSON.parse(JSON.stringify(sampleView)))).toEqual(sampleView);
  });

  test("unknown extra fields are dropped, not passed on", () => {
    const raw = clone();
    raw.extra = "x";
    (raw.peers as Record<string, unknown>[])[0] = { ...(raw.peers as Record<string, unknown>[])[0], password: "secret" };
    const v = parseRoutesView(raw);
    expect(v).not.toHaveProperty("extra");
    expect(v.peers[0]).not.toHaveProperty("password");
  });

  test.each<[string, (r: Record<string, unknown>) => void, RegExp]>([
    ["not an object", () => {}, /routes view: expected an object, got \[\]/],
    ["another version", (r) => (r.version = 2), /routes view\.version: this petrelctl reads version 1, got 2; is the agent older or newer than this petrelctl\?/],
    ["a peer address that is no address", (r) => ((r.peers as Record<string, unknown>[])[0] = { ...sampleView.peers[0], address: "node-b" }), /routes view\.peers\[0\]\.address: "node-b" is not an IP address/],
    ["a session state gobgpd does not have", (r) => ((r.peers as Record<string, unknown>[])[1] = { ...sampleView.peers[1], state: "Up" }), /peers\[1\]\.state: expected one of Idle, Connect, Active, OpenSent, OpenConfirm, Established, got "Up"/],
    ["a negative count", (r) => ((r.peers as Record<string, unknown>[])[0] = { ...sampleView.peers[0], received: -1 }), /peers\[0\]\.received: expected a whole number ≥ 0, got -1/],
    ["a prefix that is no CIDR", (r) => ((r.learned as Record<string, unknown>[])[0] = { ...sampleView.learned[0], prefix: "198.18.0.64" }), /learned\[0\]\.prefix: "198\.18\.0\.64" is not a CIDR/],
    ["a refused learned route without its reason", (r) => ((r.learned as Record<string, unknown>[])[1] = { ...sampleView.learned[1], reason: undefined }), /learned\[1\]\.reason: a refused route needs its reason/],
    ["an advertised kind it does not know", (r) => ((r.advertised as Record<string, unknown>[])[0] = { ...sampleView.advertised[0], kind: "aggregate" }), /advertised\[0\]\.kind: expected one of block, service/],
    ["a time that is no time", (r) => ((r.refused as Record<string, unknown>[])[0] = { ...sampleView.refused[0], lastSeen: "yesterday" }), /refused\[0\]\.lastSeen: "yesterday" is not an RFC 3339 time/],
    ["a list that is not a list", (r) => (r.learned = {}), /routes view\.learned: expected a list, got \{\}/],
    ["a total that is not a count", (r) => (r.refusedTotals = { default_route: "2" }), /refusedTotals\.default_route: expected a whole number/],
    ["an endless detail", (r) => ((r.refused as Record<string, unknown>[])[0] = { ...sampleView.refused[0], detail: "x".repeat(5000) }), /refused\[0\]\.detail: expected a string \(at most 4096 characters\)/],
  ])("refuses %s, naming the field", (_what, spoil, message) => {
    const raw = clone();
    spoil(raw);
    expect(() => parseRoutesView(_what === "not an object" ? [] : raw)).toThrow(message);
  });
});
