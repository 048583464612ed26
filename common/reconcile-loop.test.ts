import type { Logger } from "./logger.ts";
import { silentLogger } from "./logger.ts";
import { ReconcileLoop, type LoopOptions } from "./reconcile-loop.ts";
import type { LoopPassResult as PassResult } from "./reconcile-loop.ts";

const options: LoopOptions = { debounceMs: 50, resyncMs: 10_000, minBackoffMs: 100, maxBackoffMs: 400 };
const clean: PassResult = { clean: true, wakeAfterMs: undefined, again: false };

/** A runPass that records when it ran (fake-clock ms) and answers from a queue (then `clean`). */
function recorder(answers: (PassResult | Error)[] = []) {
  const at: number[] = [];
  const runPass = async (): Promise<PassResult> => {
    at.push(Date.now());
    const next = answers.shift() ?? clean;
    if (next instanceof Error) throw next;
    return next;
  };
  return { at, runPass };
}

let loop: ReconcileLoop | undefined;
let start = 0;
const since = (times: number[]) => times.map((t) => t - start);

beforeEach(() => {
  jest.useFakeTimers();
  start = Date.now();
});
afterEach(async () => {
  await loop?.stop();
  loop = undefined;
  jest.useRealTimers();
});

describe("ReconcileLoop", () => {
  it("runs a pass at once on start, then on the periodic resync", async () => {
    const r = recorder();
    loop = new ReconcileLoop(r.runPass, silentLogger, options);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(since(r.at)).toEqual([0]);
    await jest.advanceTimersByTimeAsync(10_000 + 50 - 1);
    expect(r.at).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(since(r.at)).toEqual([0, 10_050]);
    expect(loop.passes).toBe(2);
  });

  it("batches a burst of triggers into one pass after the debounce", async () => {
    const r = recorder();
    loop = new ReconcileLoop(r.runPass, silentLogger, options);
    loop.start();
    await jest.advanceTimersByTimeAsync(1000);
    for (let i = 0; i < 5; i++) {
      loop.trigger();
      await jest.advanceTimersByTimeAsync(10);
    }
    await jest.advanceTimersByTimeAsync(1000);
    expect(since(r.at)).toEqual([0, 1050]);
  });

  it("never runs two passes at once; a trigger during a pass runs another after it", async () => {
    let running = 0;
    let most = 0;
    let release: () => void = () => {};
    let count = 0;
    loop = new ReconcileLoop(async () => {
      running++;
      most = Math.max(most, running);
      count++;
      if (count === 1) await new Promise<void>((resolve) => (release = resolve));
      running--;
      return clean;
    }, silentLogger, options);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.trigger(0);
    loop.trigger();
    await jest.advanceTimersByTimeAsync(500);
    expect(count).toBe(1);
    release();
    await jest.advanceTimersByTimeAsync(50);
    expect(count).toBe(2);
    expect(most).toBe(1);
  });

  it("backs off after failed passes, doubling up to the maximum, and resets after a clean one", async () => {
    const unclean: PassResult = { ...clean, clean: false };
    const r = recorder([unclean, unclean, unclean, unclean, unclean, clean, unclean]);
    loop = new ReconcileLoop(r.runPass, silentLogger, options);
    loop.start();
    await jest.advanceTimersByTimeAsync(5000);
    // 0, +100, +200, +400, +400 (capped), then the clean pass; no more until the resync.
    expect(since(r.at)).toEqual([0, 100, 300, 700, 1100, 1500]);
    expect(loop.lastCleanPassAt).toBe(start + 1500);
    await jest.advanceTimersByTimeAsync(10_000);
    // The resync pass fails: the backoff starts over at the minimum.
    expect(since(r.at).slice(6)).toEqual([10_050, 10_150]);
  });

  it("backs off and logs when a pass throws", async () => {
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (message) => void errors.push(message) };
    const r = recorder([new Error("cache exploded")]);
    loop = new ReconcileLoop(r.runPass, log, options);
    loop.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(since(r.at)).toEqual([0, 100]);
    expect(errors).toEqual(["reconcile pass failed"]);
    expect(loop.lastCleanPassAt).toBe(start + 100);
  });

  it("runs again after wakeAfterMs, and after the debounce when a pass asks to go again", async () => {
    const r = recorder([{ ...clean, wakeAfterMs: 700 }, { ...clean, again: true }]);
    loop = new ReconcileLoop(r.runPass, silentLogger, options);
    loop.start();
    await jest.advanceTimersByTimeAsync(5000);
    expect(since(r.at)).toEqual([0, 700, 750]);
  });

  it("leaves lastCleanPassAt unset until a pass is clean", async () => {
    const r = recorder([{ ...clean, clean: false }]);
    loop = new ReconcileLoop(r.runPass, silentLogger, options);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(loop.lastCleanPassAt).toBeUndefined();
  });

  it("stops: waits for the running pass and runs no more", async () => {
    let release: () => void = () => {};
    let count = 0;
    const l = new ReconcileLoop(async () => {
      count++;
      await new Promise<void>((resolve) => (release = resolve));
      return { ...clean, wakeAfterMs: 10 };
    }, silentLogger, options);
    loop = l;
    l.start();
    await jest.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = l.stop().then(() => void (stopped = true));
    await jest.advanceTimersByTimeAsync(10);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
    l.trigger(0);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(count).toBe(1);
  });
});
