import { spawnSync } from "node:child_process";
import { archiveBase, nodeScript, safeSegment, shellQuote, splitNodeOutput } from "./diags-plan.ts";

test("the node script runs every section and its output splits back into files", () => {
  const sections = [
    { file: "a.txt", command: "echo one; echo two" },
    { file: "state/b.json", command: "cat \"$S/missing\"" },
    { file: "c.txt", command: "printf 'no newline'" },
  ];
  const script = nodeScript("/tmp/it's here", "n0nce", sections);
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8" });
  expect(r.status).toBe(0);
  const out = splitNodeOutput(r.stdout, "n0nce");
  expect(out.map((s) => [s.file, s.exitStatus])).toEqual([["a.txt", 0], ["state/b.json", 1], ["c.txt", 0]]);
  expect(out[0]?.text).toBe("one\ntwo\n");
  expect(out[1]?.text).toContain("/tmp/it's here/missing");
  expect(out[2]?.text).toBe("no newline\n");
});

test("output cut off mid-section keeps what came; other nonces are content", () => {
  const out = splitNodeOutput("@@petrel-diags-x a.txt\n@@petrel-diags-y b.txt\nline\n", "x");
  expect(out).toEqual([{ file: "a.txt", text: "@@petrel-diags-y b.txt\nline\n", exitStatus: undefined }]);
});

test("names", () => {
  expect(shellQuote("a'b")).toBe("'a'\\''b'");
  expect(safeSegment("kube-system/petrel node")).toBe("kube-system_petrel_node");
  expect(archiveBase(new Date("2026-12-01T21:30:05.123Z"))).toBe("petrel-diags-20261201T213005Z");
});
