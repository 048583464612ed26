/**
 * The logging contract for the programs' code, and a logger that drops everything. The winston
 * logger that writes the lines is host code: common/host/logger.ts (main.ts creates it).
 */
import { logLevels, type LogFields, type Logger, type LogLevel } from "./log-types.ts";

// The types are common/log-types.ts's; re-exported for the programs that import them from here.
export { logLevels, type LogFields, type Logger, type LogLevel };

/** A logger that drops everything (unit tests that don't look at logs). */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
