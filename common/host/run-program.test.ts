import { TransientError } from "../errors.ts";
import { runIp, runProgram } from "./run-program.ts";

const opts = { what: "test", hint: "is it installed?" };

describe("runProgram", () => {
  it("gives exit code, stdout and stderr, with the input on stdin", async () => {
    await expect(runProgram("sh", ["-c", "cat; echo oops >&2; exit 3"], { ...opts, input: "a\nb\n" })).resolves.toEqual({ code: 3, out: "a\nb\n", err: "oops\n" });
  });

  it("gives no stdin without input, and code 1 for a program killed by a signal", async () => {
    await expect(runProgram("sh", ["-c", "cat; echo done"], opts)).resolves.toEqual({ code: 0, out: "done\n", err: "" });
    await expect(runProgram("sh", ["-c", "kill -9 $$"], opts)).resolves.toMatchObject({ code: 1 });
  });

  it("resolves when the program exits before reading its input", async () => {
    await expect(runProgram("sh", ["-c", "exit 0"], { ...opts, input: "x".repeat(1 << 20) })).resolves.toMatchObject({ code: 0 });
  });

  it("rejects with a transient error naming the run and the hint when the program cannot start", async () => {
    const run = runProgram("petrel-no-such-program", [], { what: "nft", hint: "is nftables installed?" });
    await expect(run).rejects.toBeInstanceOf(TransientError);
    await expect(run).rejects.toThrow(/^nft: spawn petrel-no-such-program ENOENT \(is nftables installed\?\)$/);
  });
});

describe("runIp", () => {
  it("runs iproute2 in the caller's namespace, or in the named one", async () => {
    await expect(runIp(undefined, ["-V"])).resolves.toMatchObject({ code: 0, out: expect.stringMatching(/^ip utility/) });
    const r = await runIp("petrel-no-such-ns", ["-V"]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/petrel-no-such-ns/);
  });
});
