/** Durations in flags, the way Kubernetes programs write them: 500ms, 15s, 5m, 1h, 1m30s. */
import { InvalidInputError } from "./errors.ts";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `text`; throws naming `field` when it is not a duration. */
export function parseDuration(text: string, field: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new InvalidInputError(field, `"${text}" is not a duration; write it like 500ms, 15s, 5m or 1m30s`);
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (units[unit ?? ""] ?? NaN), 0);
}
