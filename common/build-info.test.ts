import { bunDefineArgs, buildInfo, versionText } from "./build-info.ts";
import { runtimeText } from "./host/runtime.ts";

test("from source (not built by build.ts) the build says so", () => {
  expect(buildInfo()).toEqual({ version: "dev", commit: "unknown", date: "unknown" });
});

test("the version text: program and version first, then aligned facts", () => {
  const text = versionText("petrel-agent", runtimeText(), { version: "1.2.3", commit: "abc", date: "2026-01-02T03:04:05Z" }, [["extra fact", "x"]]);
  const lines = text.trimEnd().split("\n");
  expect(lines[0]).toBe("petrel-agent 1.2.3");
  expect(lines[1]).toBe("commit:     abc");
  expect(lines[2]).toBe("built:      2026-01-02T03:04:05Z");
  expect(lines[3]).toMatch(/^runtime: {4}node v\d+/);
  expect(lines[4]).toBe("extra fact: x");
});

test("Bun defines quote the values as JavaScript strings", () => {
  expect(bunDefineArgs({ version: "0.1.0", commit: "c\"1", date: "d" })).toEqual([
    "--define", 'PETREL_BUILD_VERSION="0.1.0"', "--define", 'PETREL_BUILD_COMMIT="c\\"1"', "--define", 'PETREL_BUILD_DATE="d"',
  ]);
});
