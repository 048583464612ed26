import { CniCode, CniError } from "./cni-error.ts";

/** Spec versions Petrel speaks. 0.4.0 is what older runtimes send; 1.1.0 adds GC and STATUS. */
export const supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type SpecVersion = (typeof supportedVersions)[number];

export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION" | "GC" | "STATUS";

export function isSupportedVersion(v: unknown): v is SpecVersion {
  return typeof v === "string" && (supportedVersions as readonly string[]).includes(v);
}

function compare(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The first spec version that defines each verb. */
const introducedIn: Record<CniCommand, string> = {
  ADD: "0.1.0", DEL: "0.1.0", VERSION: "0.1.0", CHECK: "0.4.0", GC: "1.1.0", STATUS: "1.1.0",
};

/** Rejects a verb the configured spec version does not have (e.g. GC with cniVersion 0.4.0). */
export function assertVerbInVersion(command: CniCommand, version: SpecVersion): void {
  const first = introducedIn[command];
  if (compare(version, first) < 0) {
    throw new CniError(
      CniCode.incompatibleVersion,
      `${command} needs cniVersion ${first} or later, but the network config says "${version}"`,
      { details: `set "cniVersion" to one of ${supportedVersions.filter((v) => compare(v, first) >= 0).join(", ")}` },
    );
  }
}

export function versionResult(cniVersion: string): { cniVersion: string; supportedVersions: string[] } {
  return { cniVersion, supportedVersions: [...supportedVersions] };
}

export function isPre1(version: SpecVersion): boolean {
  return compare(version, "1.0.0") < 0;
}

/** Interface `mtu` in results exists from spec 1.1.0 on. */
export function hasInterfaceMtu(version: SpecVersion): boolean {
  return compare(version, "1.1.0") >= 0;
}
