import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocLockName, allocationsDir } from "../allocation-record.ts";
import { readAllocationEntries, removeAllocationRecord } from "./allocation-records.ts";

let stateDir = "";
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "petrel-records-"));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

describe("readAllocationEntries", () => {
  it("reads no entries before the plugin made the directory", () => {
    expect(readAllocationEntries(stateDir)).toEqual([]);
  });

  it("returns each record's name, target and mtime, a stray file without them, and skips the dot files", () => {
    const dir = allocationsDir(stateDir);
    mkdirSync(dir);
    symlinkSync("net/c1/eth0", join(dir, "198.18.0.1"));
    writeFileSync(join(dir, "198.18.0.2"), "not a symlink");
    writeFileSync(join(dir, allocLockName), "");
    const entries = readAllocationEntries(stateDir).sort((a, b) => a.name.localeCompare(b.name));
    expect(entries).toEqual([
      { name: "198.18.0.1", target: "net/c1/eth0", mtimeMs: lstatSync(join(dir, "198.18.0.1")).mtimeMs },
      { name: "198.18.0.2", target: undefined, mtimeMs: undefined },
    ]);
  });

  it("throws when the directory exists but cannot be listed", () => {
    writeFileSync(allocationsDir(stateDir), "a file where the directory should be");
    expect(() => readAllocationEntries(stateDir)).toThrow(/ENOTDIR/);
  });
});

describe("removeAllocationRecord", () => {
  it("removes a record and says whether it was there", () => {
    const dir = allocationsDir(stateDir);
    mkdirSync(dir);
    symlinkSync("net/c1/eth0", join(dir, "198.18.0.1"));
    expect(removeAllocationRecord(stateDir, "198.18.0.1")).toBe(true);
    expect(existsSync(join(dir, "198.18.0.1"))).toBe(false);
    expect(removeAllocationRecord(stateDir, "198.18.0.1")).toBe(false);
  });

  it("throws on anything but a missing record", () => {
    writeFileSync(allocationsDir(stateDir), "a file where the directory should be");
    expect(() => removeAllocationRecord(stateDir, "198.18.0.1")).toThrow(/ENOTDIR/);
  });
});
