/** The runtime this program runs on, for `--version` and bug reports (common/build-info.ts's versionText). */

/** "bun 1.4.5" or "node v24.21.0". */
export function runtimeText(): string {
  const bun = (process.versions as Record<string, string | undefined>).bun;
  return bun === undefined ? `node ${process.version}` : `bun ${bun}`;
}
