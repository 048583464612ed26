import { appendFileSync, renameSync, statSync } from "node:fs";
import type { LogFields, LogLevel } from "../../common/log-types.ts";
import type { Logger } from "../ports.ts";

/**
 * One JSON object per line, in the same shape as the agent's and controller's winston logs
 * (`level`, `message`, `timestamp`, fields). The plugin does not load winston: it adds about
 * 40 ms to every run (measured), longer than a whole reference ADD. Lines go to the configured
 * log file, else to stderr (never stdout, which carries the CNI result).
 *
 * The file is bounded: once it holds LOG_FILE_MAX_BYTES it becomes `<file>.1` (replacing the
 * previous one) and a new file starts, so a node keeps at most twice that. Two plugin runs that
 * rotate at once lose at most a few lines of the older file; a stat per line costs microseconds.
 */
export const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

function rotateIfFull(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // no file yet
  }
  if (size >= LOG_FILE_MAX_BYTES) renameSync(file, `${file}.1`);
}

export function jsonLogger(level: LogLevel, file: string | undefined, base: LogFields): Logger {
  const write = (lvl: LogLevel, message: string, fields?: LogFields): void => {
    if (rank[lvl] > rank[level]) return;
    try {
      const line = `${JSON.stringify({ level: lvl, message, timestamp: new Date().toISOString(), ...base, ...fields })}\n`;
      if (file !== undefined) {
        rotateIfFull(file);
        appendFileSync(file, line);
      } else {
        process.stderr.write(line);
      }
    } catch {
      /* logging must never fail a CNI operation */
    }
  };
  return {
    error: (m, f) => write("error", m, f),
    warn: (m, f) => write("warn", m, f),
    info: (m, f) => write("info", m, f),
    debug: (m, f) => write("debug", m, f),
  };
}
