import { formatCidr } from "../common/cidr.ts";
import { CniCode, type CniError } from "./cni-error.ts";
import { decodeNetConfJson, parseNetConf } from "./netconf.ts";
import { cniErrorOf } from "./testing/cni-error-of.ts";

const valid = { cniVersion: "1.0.0", name: "petrel", type: "petrel", ipam: { blocks: ["198.18.0.0/26"] } };

function failure(raw: unknown): CniError {
  return cniErrorOf(() => parseNetConf(raw as Record<string, unknown>));
}

describe("decodeNetConfJson", () => {
  it("rejects text that is not JSON with code 6", () => {
    expect(() => decodeNetConfJson("{not json")).toThrow(/not valid JSON/);
    try {
      decodeNetConfJson("[1]");
    } catch (err) {
      expect((err as CniError).code).toBe(CniCode.decodeFailure);
    }
    expect.assertions(2);
  });
});

describe("parseNetConf", () => {
  it("applies defaults", () => {
    const conf = parseNetConf(valid);
    expect(conf.mtu).toBe(1500);
    expect(conf.stateDir).toBe("/var/lib/petrel");
    expect(conf.logLevel).toBe("warn");
    expect(conf.pinnedBlocks?.map(formatCidr)).toEqual(["198.18.0.0/26"]);
    expect(conf.validAttachments).toBeUndefined();
  });

  it("accepts IPv6 and dual-stack blocks", () => {
    expect(parseNetConf({ ...valid, ipam: { blocks: ["2001:db8::/122"] } }).pinnedBlocks?.map(formatCidr)).toEqual(["2001:db8::/122"]);
    expect(parseNetConf({ ...valid, ipam: { blocks: ["198.18.0.0/26", "2001:db8::/122"] } }).pinnedBlocks?.map((b) => b.family)).toEqual([4, 6]);
  });

  it("leaves blocks to the agent when none are pinned", () => {
    expect(parseNetConf({ ...valid, ipam: undefined }).pinnedBlocks).toBeUndefined();
    expect(parseNetConf({ ...valid, ipam: { type: "petrel" } }).pinnedBlocks).toBeUndefined();
  });

  it("reads GC's valid attachments", () => {
    const conf = parseNetConf({ ...valid, cniVersion: "1.1.0", "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }] });
    expect(conf.validAttachments).toEqual([{ containerId: "c1", ifname: "eth0" }]);
  });

  it("rejects an unknown cniVersion with code 1 and lists the supported ones", () => {
    const err = failure({ ...valid, cniVersion: "9.9.9" });
    expect(err.code).toBe(CniCode.incompatibleVersion);
    expect(err.message).toMatch(/cniVersion "9.9.9" is not supported/);
    expect(err.details).toMatch(/1\.1\.0/);
  });

  it.each([
    [{ cniVersion: 1 }, "cniVersion: is required and must be a string"],
    [{ name: "" }, "name: must be a network name"],
    [{ name: 7 }, "name: must be a network name"],
    [{ mtu: "1500" }, "mtu: must be an integer from 576 to 65535"],
    [{ mtu: 70000 }, "mtu: must be an integer from 576 to 65535, got 70000"],
    [{ stateDir: "var/lib" }, "stateDir: must be an absolute path"],
    [{ stateDir: 5 }, "stateDir: must be a string"],
    [{ ipam: [] }, "ipam: must be an object"],
    [{ ipam: { type: "host-local" } }, 'ipam.type: Petrel allocates addresses itself'],
    [{ ipam: { blocks: [] } }, "ipam.blocks: must be a non-empty list"],
    [{ ipam: { blocks: "198.18.0.0/26" } }, "ipam.blocks: must be a non-empty list"],
    [{ ipam: { blocks: ["198.18.0.0/26", "198.18.0.300/26"] } }, 'ipam.blocks[1]: "198.18.0.300" is not an IPv4 or IPv6 address'],
    [{ ipam: { blocks: ["198.18.0.1/26"] } }, 'ipam.blocks[0]: "198.18.0.1/26" has host bits set; did you mean "198.18.0.0/26"?'],
    [{ ipam: { blocks: ["198.18.0.0/24", "198.18.0.64/26"] } }, "ipam.blocks[1]: overlaps ipam.blocks[0]"],
    [{ ipam: { blocks: ["2001:db8::/122", "2001:db8::40/122", "2001:db8::/120"] } }, "ipam.blocks[2]: overlaps ipam.blocks[0]"],
    [{ logLevel: "loud" }, "logLevel: must be one of error, warn, info, debug"],
    [{ logFile: "cni.log" }, "logFile: must be an absolute path"],
    [{ prevResult: "x" }, "prevResult: must be an object"],
    [{ "cni.dev/valid-attachments": [{ containerID: "c1" }] }, "cni.dev/valid-attachments[0]: must be"],
  ])("rejects %p with code 7 naming the field", (override, message) => {
    const err = failure({ ...valid, ...override });
    expect(err.code).toBe(CniCode.invalidConfig);
    expect(err.message).toContain(`invalid network config: ${message}`);
  });
});

describe("GC's list of attachments to keep", () => {
  const base = { cniVersion: "1.1.0", name: "net", type: "petrel" };
  const a = (id: string) => ({ containerID: id, ifname: "eth0" });
  it("is undefined (an empty list to GC) when missing or null, as libcni sends it", () => {
    expect(parseNetConf(base).validAttachments).toBeUndefined();
    expect(parseNetConf({ ...base, "cni.dev/valid-attachments": null, "cni.dev/attachments": null }).validAttachments).toBeUndefined();
  });
  it("merges the misspelt twin cni.dev/attachments", () => {
    expect(parseNetConf({ ...base, "cni.dev/attachments": [a("x")] }).validAttachments).toEqual([{ containerId: "x", ifname: "eth0" }]);
    expect(parseNetConf({ ...base, "cni.dev/valid-attachments": [a("x")], "cni.dev/attachments": [a("x"), a("y")] }).validAttachments?.map((v) => v.containerId)).toEqual(["x", "y"]);
  });
  it("refuses a list of the wrong shape, naming the key", () => {
    expect(() => parseNetConf({ ...base, "cni.dev/attachments": "x" })).toThrow(/cni.dev\/attachments: must be a list/);
  });
});
