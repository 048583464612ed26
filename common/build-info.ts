/**
 * What build of Petrel a program is: the one home of the version contract between the build
 * (test/scripts/build.ts), the programs' `--version`, and the images' OCI labels
 * (helm/images/build.sh reads dist/build-info.json, which build.ts writes from the same values).
 *
 * build.ts bakes the values in with Bun's `--define` of the three identifiers below; run from
 * source (jest, `node x.ts`) they are undefined and the program says so ("dev", "unknown").
 */

declare const PETREL_BUILD_VERSION: string | undefined;
declare const PETREL_BUILD_COMMIT: string | undefined;
declare const PETREL_BUILD_DATE: string | undefined;

export interface BuildInfo {
  /** package.json's version, e.g. 0.1.0; "dev" when not built by build.ts. */
  readonly version: string;
  /** The git commit built, with "-dirty" when tracked files had changes; "unknown" outside a checkout. */
  readonly commit: string;
  /** RFC 3339 UTC: SOURCE_DATE_EPOCH, else the commit's time for a clean tree, else the build's time. */
  readonly date: string;
}

/** The identifiers build.ts defines, and the file beside the executables that repeats them. */
export const BUILD_DEFINES = {
  version: "PETREL_BUILD_VERSION",
  commit: "PETREL_BUILD_COMMIT",
  date: "PETREL_BUILD_DATE",
} as const satisfies Record<keyof BuildInfo, string>;
export const BUILD_INFO_FILE = "build-info.json";

/** Bun `--define` arguments that bake `info` into a bundle. */
export function bunDefineArgs(info: BuildInfo): string[] {
  return (Object.keys(BUILD_DEFINES) as (keyof BuildInfo)[]).flatMap((k) => ["--define", `${BUILD_DEFINES[k]}=${JSON.stringify(info[k])}`]);
}

export function buildInfo(): BuildInfo {
  // `typeof` of an undeclared identifier is safe at run time; Bun replaces each one when defined.
  return {
    version: typeof PETREL_BUILD_VERSION === "string" ? PETREL_BUILD_VERSION : "dev",
    commit: typeof PETREL_BUILD_COMMIT === "string" ? PETREL_BUILD_COMMIT : "unknown",
    date: typeof PETREL_BUILD_DATE === "string" ? PETREL_BUILD_DATE : "unknown",
  };
}

/**
 * The text of `<program> --version`: the first line is "<program> <version>" (what scripts grep
 * for, like `kubectl version --client`'s), then one "key: value" line per fact. `runtime` is what
 * the program runs on ("node v24.21.0"): its main.ts reads it with common/host/runtime.ts.
 */
export function versionText(program: string, runtime: string, info: BuildInfo = buildInfo(), extra: readonly (readonly [string, string])[] = []): string {
  const rows: [string, string][] = [["commit", info.commit], ["built", info.date], ["runtime", runtime], ...extra.map(([k, v]): [string, string] => [k, v])];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return `${program} ${info.version}\n${rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join("\n")}\n`;
}

/** The flag and its help text, the same in every program (commander's `.version(text, flag, help)`). */
export const VERSION_FLAG = "--version";
export const VERSION_HELP = "print the version, git commit and build date, then exit";

/** versionText for commander's `.version()`, which adds the final newline itself. */
export function commanderVersion(program: string, runtime: string): string {
  return versionText(program, runtime).trimEnd();
}
