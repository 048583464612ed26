/**
 * Structured logs for the long-running programs (controller, agent, CNI installer): one JSON
 * object per line on stderr, with a level, a timestamp, the program, and whatever context the
 * caller binds (node, pool, prefix). Host code: winston writes to the process's stderr; pure code
 * takes a `Logger` (common/log-types.ts) and main.ts passes this one in. The CNI plugin does not
 * use it: winston costs it about 40 ms per run (cni-plugin/host/json-log.ts writes the same lines).
 */
import winston from "winston";
import { logLevels, type LogFields, type Logger, type LogLevel } from "../log-types.ts";

class WinstonLogger implements Logger {
  readonly #w: winston.Logger;
  constructor(w: winston.Logger) {
    this.#w = w;
  }
  error(message: string, fields?: LogFields): void {
    this.#w.error(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#w.warn(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#w.info(message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.#w.debug(message, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.#w.child({ ...fields }));
  }
}

/** A JSON-lines logger on stderr (stdout stays free for command output). */
export function createLogger(program: string, level: LogLevel = "info"): Logger {
  const w = winston.createLogger({
    level,
    defaultMeta: { program },
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: [...logLevels] })],
  });
  return new WinstonLogger(w);
}
