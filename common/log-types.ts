/**
 * The logging contract every Petrel program writes to: levels, fields and the interface the code
 * depends on. No implementation here, so that the CNI plugin can share it without loading
 * winston (common/logger.ts, for the long-running programs) or the plugin its own JSON writer
 * (cni-plugin/host/json-log.ts); both write the same line shape.
 */
export type LogLevel = "error" | "warn" | "info" | "debug";
export const logLevels: readonly LogLevel[] = ["error", "warn", "info", "debug"];

export type LogFields = Readonly<Record<string, unknown>>;

/** The logging interface the programs' code depends on (tests pass a recording fake). */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `log.child({ node: "node-a" })`. */
  child(fields: LogFields): Logger;
}
