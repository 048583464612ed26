/**
 * One CNI_PATH directory with the reference plugins and Petrel side by side, as a node would have
 * in /opt/cni/bin. Symlinks, so the binaries under test are the installed and built ones.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { referencePluginDir } from "../rig/binaries.ts";
import { petrelBinary } from "./cni.ts";

/** The plugins the chain tests need from the reference set (Debian: containernetworking-plugins). */
const requiredReferencePlugins = ["tuning", "bandwidth", "portmap"];

export function makePluginDir(label: string): { dir: string; cleanup: () => void } {
  for (const p of requiredReferencePlugins) {
    if (!existsSync(join(referencePluginDir, p))) {
      throw new Error(`${join(referencePluginDir, p)} is missing: install it with \`apt-get install -y containernetworking-plugins\``);
    }
  }
  if (!existsSync(petrelBinary)) throw new Error(`${petrelBinary} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(`/tmp/petrel-${label}-cnibin-`);
  for (const name of readdirSync(referencePluginDir)) symlinkSync(join(referencePluginDir, name), join(dir, name));
  symlinkSync(petrelBinary, join(dir, "petrel"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
