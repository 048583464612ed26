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
import type { GobgpTransport, RouteDecoder, StreamCall } from "./transport.ts";
import type { AddressFamily, BestPathEvent, BgpPath, RouteWatchEvent, WatchHandle } from "./types.ts";

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

/** The lifecycle events every resilient watch reports, besides its own data. */
export type WatchLifecycle = { type: "disconnected"; error: Error } | { type: "reconnected" };

/**
 * The reconnect logic shared by the watches: `open` starts one stream and feeds its data to the
 * caller; a break emits "disconnected" once, retries with backoff and jitter, and emits
 * "reconnected" once the server answers again (data, or the probe).
 */
export function resilientWatch(
  transport: GobgpTransport,
  probe: () => Promise<unknown>,
  open: (handlers: { onData: () => boolean; onError: (err: unknown) => void; onEnd: () => void }) => StreamCall,
  onLifecycle: (event: WatchLifecycle) => void,
  options: BackoffOptions = {},
): WatchHandle & { readonly stopped: boolean } {
  const initialMs = options.initialBackoffMs ?? 250;
  const maxMs = options.maxBackoffMs ?? 5000;
  let stopped = false;
  let phase: Phase = "starting";
  let delayMs = initialMs;
  let call: StreamCall | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Each attempt gets a number so that late callbacks of an abandoned stream are ignored.
  let attempt = 0;

  const up = (): void => {
    delayMs = initialMs;
    if (phase === "down") {
      phase = "up";
      if (!stopped) onLifecycle({ type: "reconnected" });
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
      onLifecycle({ type: "disconnected", error: fromGrpcError(err, "WatchEvent", transport.target) });
    }
    // ±20 % jitter, so that many agents do not hammer a restarted gobgpd in step.
    const wait = Math.round(delayMs * (0.8 + Math.random() * 0.4));
    delayMs = Math.min(delayMs * 2, maxMs);
    timer = setTimeout(start, wait);
  };

  function start(): void {
    timer = undefined;
    if (stopped) return;
    const id = ++attempt;
    call = open({
      // An answer proves the server is there just as well as the probe does; false: drop it.
      onData: () => {
        if (stopped || id !== attempt) return false;
        up();
        return true;
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

  start();
  return {
    get stopped() {
      return stopped;
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      call?.cancel();
      call = undefined;
    },
  };
}

export function watchBestPaths(
  transport: GobgpTransport,
  probe: () => Promise<unknown>,
  family: AddressFamily,
  onEvent: (event: BestPathEvent) => void,
  options: BackoffOptions = {},
): WatchHandle {
  const handle = resilientWatch(transport, probe, (h) =>
    transport.watch("WatchEvent", { table: { filters: [{ type: "BEST", init: true }] } }, {
      onData: (message) => {
        if (!h.onData()) return;
        const paths = bestPathsOf(message, family);
        if (paths.length > 0 && !handle.stopped) onEvent({ type: "paths", paths });
      },
      onError: h.onError,
      onEnd: h.onEnd,
    }), (e) => onEvent(e), options);
  return handle;
}

/**
 * A lean watch (RouteDecoder) of one WatchEvent request: every answer is decoded and passed on,
 * with the lifecycle events of resilientWatch.
 */
export function watchDecoded(
  transport: GobgpTransport,
  probe: () => Promise<unknown>,
  request: Record<string, unknown>,
  decoder: RouteDecoder,
  onEvent: (event: RouteWatchEvent) => void,
  options: BackoffOptions = {},
): WatchHandle {
  const handle = resilientWatch(transport, probe, (h) =>
    transport.watchRaw("WatchEvent", request, {
      onData: (message) => {
        if (!h.onData()) return;
        const m = decoder.watchEvent(message);
        if (handle.stopped) return;
        if (m.kind === "routes") {
          if (m.routes.length > 0) onEvent({ type: "routes", routes: m.routes });
        } else if (m.kind === "peer") {
          onEvent({ type: "peer", peer: m.peer, state: m.state, kind: m.event });
        }
      },
      onError: h.onError,
      onEnd: h.onEnd,
    }), (e) => onEvent(e), options);
  return handle;
}
