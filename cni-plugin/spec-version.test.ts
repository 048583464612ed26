import { CniCode } from "./cni-error.ts";
import { assertVerbInVersion, versionResult } from "./spec-version.ts";
import { cniErrorOf } from "./testing/cni-error-of.ts";

describe("spec versions", () => {
  it("lists the supported versions in VERSION's answer", () => {
    expect(versionResult("1.0.0")).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
  });

  it("allows each verb from the version that introduced it", () => {
    expect(() => assertVerbInVersion("CHECK", "0.4.0")).not.toThrow();
    expect(() => assertVerbInVersion("GC", "1.1.0")).not.toThrow();
    expect(() => assertVerbInVersion("STATUS", "1.1.0")).not.toThrow();
  });

  it.each([["CHECK", "0.3.1"], ["GC", "1.0.0"], ["STATUS", "0.4.0"]] as const)("rejects %s with cniVersion %s (code 1)", (verb, version) => {
    const err = cniErrorOf(() => assertVerbInVersion(verb, version));
    expect(err.code).toBe(CniCode.incompatibleVersion);
    expect(err.message).toMatch(new RegExp(`^${verb} needs cniVersion`));
  });
});
