/**
 * A WatchEvent stream of best-path changes that survives gobgpd restarts.
 *
 * gobgpd only sends a stream's response headers with its first event, and sends nothing while
 * BGP is not started, so an open stream alone does not prove the server is there. After a
 * break the watcher therefore opens the new stream, then proves the server answers with a cheap
 * unary call (`probe`), and only then reports "reconnected". The stream asks for the current
 * table first (`init`), so a restarted gobgpd that already has routes sends them at once.
 */
import { decodePath } from "./path-codec.ts";
import { fromGrpcError } from "./grpc-error.ts";
import { field, list } from "./narrow.ts";
import type { GobgpTransport, StreamCall } from "./transport.ts";
import type { AddressFamily, BestPathEvent, BgpPath, WatchHandle } from "./types.ts";

export interface BackoffOptions {
  /** First retry delay after a break; doubles per failed attempt. Default 250 ms. */
  initialBackoffMs?: number;
  /** Ceiling of the retry delay. Default 5 s. */
  maxBackoffMs?: number;
}

/** Decodes the paths of one WatchEvent answer, keeping those of `family`. */
export function bestPathsOf(message: unknown, family: AddressFamily): BgpPath[] {
  const out: BgpPath[] = [];
  for (const raw of list(field(message, "table"), "paths")) {
    const path = decodePath(raw, "", true);
    if (path !== undefined && path.family === family) out.push(path);
  }
  return out;
}

type Phase = "starting" | "up" | "down";

export function watchBestPaths(
  transport: GobgpTransport,
  probe: () => Promise<unknown>,
  family: AddressFamily,
  onEvent: (event: BestPathEvent) => void,
  options: BackoffOptions = {},
): WatchHandle {
  const initialMs = options.initialBackoffMs ?? 250;
  const maxMs = options.maxBackoffMs ?? 5000;
  let stopped = false;
  let phase: Phase = "starting";
  let delayMs = initialMs;
  let call: StreamCall | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Each attempt gets a number so that late callbacks of an abandoned stream are ignored.
  let attempt = 0;

  const emit = (event: BestPathEvent): void => {
    if (!stopped) onEvent(event);
  };

  const up = (): void => {
    delayMs = initialMs;
    if (phase === "down") {
      phase = "up";
      emit({ type: "reconnected" });
    } else {
      phase = "up";
    }
  };

  const retry = (err: unknown, id: number): void => {
    if (stopped || id !== attempt) return;
    attempt++;
    call?.cancel();
    call = undefined;
    if (phase !== "down") {
      phase = "down";
      emit({ type: "disconnected", error: fromGrpcError(err, "WatchEvent", transport.target) });
    }
    // ±20 % jitter, so that many agents do not hammer a restarted gobgpd in step.
    const wait = Math.round(delayMs * (0.8 + Math.random() * 0.4));
    delayMs = Math.min(delayMs * 2, maxMs);
    timer = setTimeout(open, wait);
  };

  function open(): void {
    timer = undefined;
    if (stopped) return;
    const id = ++attempt;
    call = transport.watch("WatchEvent", { table: { filters: [{ type: "BEST", init: true }] } }, {
      onData: (message) => {
        if (stopped || id !== attempt) return;
        // An event proves the server is there just as well as the probe does.
        up();
        const paths = bestPathsOf(message, family);
        if (paths.length > 0) emit({ type: "paths", paths });
      },
      onError: (err) => retry(err, id),
      onEnd: () => retry(new Error("gobgpd closed the WatchEvent stream"), id),
    });
    if (phase === "down") {
      probe().then(
        () => {
          if (!stopped && id === attempt) up();
        },
        (err: unknown) => retry(err, id),
      );
    }
  }

  open();
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      call?.cancel();
      call = undefined;
    },
  };
}
