// Port selection for the rig's servers. The programs take their ports as flags, so we must pick
// them up front rather than let each program bind port 0 and report back.
import { createServer } from "node:net";

/**
 * A program lost the race for a port chosen by freePort(): the caller should retry with fresh
 * ports instead of failing the test.
 */
export class PortInUse extends Error {}

/**
 * A free TCP port on `host` (default 127.0.0.1; the kernel picks; a race with other processes is
 * retried by start). `host` must be a local address: the rig's apiserver may listen on another one.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === "object") resolve(addr.port);
        else reject(new Error("no port"));
      });
    });
  });
}
