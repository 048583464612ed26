/**
 * `petrel --version`, for people: the build (common/build-info.ts) and the CNI spec versions the
 * plugin speaks. Runtimes never pass arguments to a plugin; they ask with CNI_COMMAND=VERSION,
 * which stays exactly as the spec says (one JSON document on stdout).
 */
import { versionText } from "../common/build-info.ts";
import { supportedVersions } from "./spec-version.ts";

export const VERSION_ARG = "--version";

/** `runtime`: what the plugin runs on (common/host/runtime.ts; main.ts reads it). */
export function aboutText(runtime: string): string {
  // The last line as the reference plugins print theirs, so the same grep finds both.
  return `${versionText("petrel", runtime)}CNI protocol versions supported: ${supportedVersions.join(", ")}\n`;
}

/** True when a person asked for the version: `petrel --version` with no CNI_COMMAND. */
export function wantsAbout(argv: readonly string[], cniCommand: string | undefined): boolean {
  return (cniCommand === undefined || cniCommand === "") && argv.slice(2).includes(VERSION_ARG);
}
