import { forwardingCondition, forwardingFamilies } from "./forwarding.ts";
import { ipamBlock } from "./testing/fixtures.ts";

describe("forwardingFamilies", () => {
  it("is the set of families of the node's blocks", () => {
    expect(forwardingFamilies([])).toEqual([]);
    expect(forwardingFamilies([ipamBlock("198.18.0.0/26", "a", "p"), ipamBlock("198.18.0.64/26", "a", "p")])).toEqual([4]);
    expect(forwardingFamilies([ipamBlock("2001:db8:1::40/122", "a", "v6"), ipamBlock("198.18.0.0/26", "a", "p")])).toEqual([4, 6]);
  });
});

describe("forwardingCondition", () => {
  it("is True when every family forwards, including one the agent just turned on", () => {
    expect(forwardingCondition([{ family: 4, enabled: true, turnedOn: true }])).toEqual({
      type: "IPForwarding", status: "True", reason: "Enabled", message: "net.ipv4.ip_forward on",
    });
    expect(forwardingCondition([]).status).toBe("True");
  });

  it("is False naming the sysctl, why the agent could not set it, and the fix", () => {
    const c = forwardingCondition([
      { family: 4, enabled: false, turnedOn: false, error: "EROFS: read-only file system" },
      { family: 6, enabled: true, turnedOn: false },
    ]);
    expect(c.status).toBe("False");
    expect(c.reason).toBe("ForwardingDisabled");
    expect(c.message).toMatch(/^net\.ipv4\.ip_forward is 0 and the agent cannot set it \(EROFS: read-only file system\): /);
    expect(c.message).toContain("sysctl -w net.ipv4.ip_forward=1");
    expect(c.message).not.toContain("ipv6");
  });
});
