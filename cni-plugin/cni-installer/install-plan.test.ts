import { planInstall, planUninstall, type InstallItem } from "./install-plan.ts";

const petrel: InstallItem = { dest: "/host/bin/petrel", source: "/opt/petrel/cni/petrel", sha256: "p2", policy: "replace" };
const portmap: InstallItem = { dest: "/host/bin/portmap", source: "/opt/petrel/cni/portmap", sha256: "m2", policy: "if-absent" };
const conf: InstallItem = { dest: "/host/net.d/10-petrel.conflist", source: "/etc/petrel/10-petrel.conflist", sha256: "c2", policy: "replace" };
const none = { files: [] };
const present = (entries: [string, string | undefined][]) => new Map(entries);

describe("planInstall", () => {
  test("a fresh host gets every file, and the record lists them", () => {
    const d = planInstall([petrel, portmap, conf], present([]), none);
    expect(d.write.map((i) => i.dest)).toEqual([petrel.dest, portmap.dest, conf.dest]);
    expect(d.record.files).toEqual([
      { path: "/host/bin/petrel", sha256: "p2" },
      { path: "/host/bin/portmap", sha256: "m2" },
      { path: "/host/net.d/10-petrel.conflist", sha256: "c2" },
    ]);
  });

  test("an older petrel is replaced; an identical file is left alone", () => {
    const d = planInstall([petrel, conf], present([[petrel.dest, "p1"], [conf.dest, "c2"]]), { files: [{ path: petrel.dest, sha256: "p1" }, { path: conf.dest, sha256: "c2" }] });
    expect(d.write).toEqual([petrel]);
    expect(d.keep.map((k) => k.item)).toEqual([conf]);
    expect(d.record.files).toContainEqual({ path: petrel.dest, sha256: "p2" });
  });

  test("the host's own portmap is neither replaced nor recorded", () => {
    const d = planInstall([portmap], present([[portmap.dest, "distro"]]), none);
    expect(d.write).toEqual([]);
    expect(d.keep[0]?.reason).toMatch(/own copy/);
    expect(d.record.files).toEqual([]);
  });

  test("a portmap we wrote earlier is upgraded", () => {
    const d = planInstall([portmap], present([[portmap.dest, "m1"]]), { files: [{ path: portmap.dest, sha256: "m1" }] });
    expect(d.write).toEqual([portmap]);
  });

  test("an up-to-date file that someone else wrote is not claimed", () => {
    const d = planInstall([portmap], present([[portmap.dest, "m2"]]), none);
    expect(d.write).toEqual([]);
    expect(d.record.files).toEqual([]);
  });

  test("a conflist deleted behind our back is written again", () => {
    const d = planInstall([conf], present([[conf.dest, undefined]]), { files: [{ path: conf.dest, sha256: "c2" }] });
    expect(d.write).toEqual([conf]);
  });

  test("a file recorded earlier but no longer shipped stays recorded for uninstall", () => {
    const d = planInstall([petrel], present([]), { files: [{ path: "/host/net.d/old.conflist", sha256: "o" }] });
    expect(d.record.files).toContainEqual({ path: "/host/net.d/old.conflist", sha256: "o" });
  });
});

describe("planUninstall", () => {
  test("removes only recorded files that still hold what we wrote", () => {
    const record = { files: [{ path: "/a", sha256: "1" }, { path: "/b", sha256: "2" }, { path: "/c", sha256: "3" }] };
    expect(planUninstall(record, present([["/a", "1"], ["/b", "changed"], ["/c", undefined]]))).toEqual(["/a"]);
  });
});
