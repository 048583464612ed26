import { CniCode } from "./cni-error.ts";
import { parseCniArgs, parseCniEnv } from "./env.ts";
import { cniErrorOf } from "./testing/cni-error-of.ts";

const base = { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/var/run/netns/x", CNI_IFNAME: "eth0", CNI_PATH: "/opt/cni/bin" };

const codeOf = (fn: () => unknown): number => cniErrorOf(fn).code;

describe("parseCniEnv", () => {
  it("reads a complete ADD environment", () => {
    const env = parseCniEnv({ ...base, CNI_ARGS: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;IgnoreUnknown=1" });
    expect(env).toMatchObject({ command: "ADD", containerId: "c1", netns: "/var/run/netns/x", ifname: "eth0" });
    expect(env.args).toEqual({ K8S_POD_NAMESPACE: "default", K8S_POD_NAME: "web-0", IgnoreUnknown: "1" });
  });

  it("lets DEL run without a netns (it may already be gone)", () => {
    expect(parseCniEnv({ ...base, CNI_COMMAND: "DEL", CNI_NETNS: "" }).netns).toBe("");
  });

  it("needs nothing but the command for VERSION, GC and STATUS", () => {
    for (const cmd of ["VERSION", "GC", "STATUS"]) expect(parseCniEnv({ CNI_COMMAND: cmd }).command).toBe(cmd);
  });

  it("ignores the placeholders libcni sends when it probes VERSION", () => {
    const probe = { CNI_COMMAND: "VERSION", CNI_NETNS: "dummy", CNI_IFNAME: "dummy", CNI_PATH: "dummy", CNI_CONTAINERID: "" };
    expect(parseCniEnv(probe).command).toBe("VERSION");
  });

  it.each([
    [{ CNI_COMMAND: undefined }, /CNI_COMMAND: is not set/],
    [{ CNI_COMMAND: "ATTACH" }, /CNI_COMMAND: "ATTACH" is not a CNI command/],
    [{ CNI_CONTAINERID: undefined }, /CNI_CONTAINERID: is required for ADD/],
    [{ CNI_CONTAINERID: "-bad id" }, /CNI_CONTAINERID: "-bad id" is not a valid container ID/],
    [{ CNI_IFNAME: undefined }, /CNI_IFNAME: is required for ADD/],
    [{ CNI_IFNAME: "averyveryverylongname" }, /CNI_IFNAME: "averyveryverylongname" is 21 characters long; Linux interface names have at most 15/],
    [{ CNI_IFNAME: "eth/0" }, /not a valid interface name/],
    [{ CNI_NETNS: undefined }, /CNI_NETNS: is required for ADD/],
    [{ CNI_NETNS: "relative/ns" }, /CNI_NETNS: "relative\/ns" is not an absolute path/],
    [{ CNI_ARGS: "novalue" }, /CNI_ARGS: "novalue" is not KEY=VALUE/],
  ])("rejects %p with code 4 and a message naming the variable", (override, message) => {
    const env: Record<string, string | undefined> = { ...base, ...override };
    expect(codeOf(() => parseCniEnv(env))).toBe(CniCode.invalidEnvironment);
    expect(() => parseCniEnv(env)).toThrow(message);
  });

  it("parses empty CNI_ARGS", () => {
    expect(parseCniArgs(undefined)).toEqual({});
    expect(parseCniArgs("")).toEqual({});
  });
});
