import { containerMac, hostVethName, retiredPairsDue, retiredVethName, retiredVethReapAfterMs } from "./pod-veth.ts";

describe("hostVethName", () => {
  it("is deterministic, 15 characters, and differs per attachment", () => {
    const a = hostVethName("petrel", "c1", "eth0");
    expect(a).toMatch(/^ptl[0-9a-f]{12}$/);
    expect(hostVethName("petrel", "c1", "eth0")).toBe(a);
    expect(hostVethName("petrel", "c1", "eth1")).not.toBe(a);
    expect(hostVethName("other", "c1", "eth0")).not.toBe(a);
    expect(hostVethName("petrel", "c2", "eth0")).not.toBe(a);
  });

  it("gives 10,000 containers distinct names", () => {
    const names = new Set(Array.from({ length: 10_000 }, (_, i) => hostVethName("petrel", `container-${i}`, "eth0")));
    expect(names.size).toBe(10_000);
  });
});

describe("containerMac", () => {
  it("is a locally administered unicast MAC", () => {
    const mac = containerMac("petrel", "c1", "eth0");
    expect(mac).toMatch(/^0e(:[0-9a-f]{2}){5}$/);
    expect(containerMac("petrel", "c1", "eth0")).toBe(mac);
  });
});

describe("retiredVethName", () => {
  it("keeps the attachment's 12 digits behind ptx, so it never takes an attachment's name", () => {
    const a = hostVethName("petrel", "c1", "eth0");
    expect(retiredVethName(a)).toBe(`ptx${a.slice(3)}`);
    expect(retiredVethName(a)).toHaveLength(15);
  });
});

describe("retiredPairsDue", () => {
  it("is due once the oldest retired pair has waited retiredVethReapAfterMs, or when the clock stepped back", () => {
    const now = 1_000_000;
    expect(retiredPairsDue(now, now)).toBe(false);
    expect(retiredPairsDue(now - retiredVethReapAfterMs + 1, now)).toBe(false);
    expect(retiredPairsDue(now - retiredVethReapAfterMs, now)).toBe(true);
    expect(retiredPairsDue(now + 60_000, now)).toBe(true);
  });
});
