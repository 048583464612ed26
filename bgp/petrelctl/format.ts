/** Plain-text output helpers for petrelctl: ages the way kubectl prints them, and aligned tables. */

/**
 * A duration the way kubectl prints ages (k8s.io/apimachinery's HumanDuration): exact seconds
 * below 2 minutes, minutes and seconds below 10 minutes (5m3s), then coarser units. A time up to
 * 2 s in the future counts as now (clock skew between machines); further than that is "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** Milliseconds from an RFC 3339 time to `now`; undefined when the time is absent or unreadable. */
export function ageMs(time: string | undefined, now: Date): number | undefined {
  if (time === undefined || time === "") return undefined;
  const t = Date.parse(time);
  return Number.isNaN(t) ? undefined : now.getTime() - t;
}

/** Whole seconds, for JSON output (negative when the time lies in the future). */
export function wholeSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.trunc(ms / 1000);
}

/**
 * Columns separated by three spaces and padded to the widest cell, like `kubectl get`; no
 * trailing spaces. Cells must not contain newlines.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((r) => header.map((_, i) => (i === header.length - 1 ? (r[i] ?? "") : (r[i] ?? "").padEnd(widths[i] ?? 0))).join("   ").trimEnd())
    .map((line) => `${line}\n`)
    .join("");
}

