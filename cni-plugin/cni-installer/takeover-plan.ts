/**
 * `--exclusive` (the chart's `cni.exclusive`): Petrel takes the CNI config directory over, as
 * Cilium's `cni.exclusive` does. Other CNIs' configs are renamed `<name>.petrel-aside` in place,
 * which runtimes skip (libcni loads only *.conf, *.conflist and *.json), and renamed back on
 * uninstall when their name is still free. The suffix is the whole record: nothing else is kept.
 * Pure: decisions over directory listings.
 */

export const ASIDE_SUFFIX = ".petrel-aside";
const CONFIG_FILE = /\.(conf|conflist|json)$/;

/** Entries of the config directory to move aside: every other CNI config (not ours, not hidden). */
export function planTakeover(entries: readonly string[], ours: string): string[] {
  return entries.filter((e) => e !== ours && !e.startsWith(".") && CONFIG_FILE.test(e)).sort();
}

/** On uninstall: each moved-aside config whose original name is free goes back. */
export function planRestore(entries: readonly string[]): { from: string; to: string }[] {
  const present = new Set(entries);
  return entries
    .filter((e) => e.endsWith(ASIDE_SUFFIX) && !e.startsWith("."))
    .map((from) => ({ from, to: from.slice(0, -ASIDE_SUFFIX.length) }))
    .filter(({ to }) => CONFIG_FILE.test(to) && !present.has(to))
    .sort((a, b) => a.to.localeCompare(b.to));
}
