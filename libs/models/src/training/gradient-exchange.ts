/**
 * The shared memory through which data-parallel replicas (worker threads) combine one step's
 * gradients. Each replica writes its contribution (loss, gradients, batch norm moving statistics:
 * one flat float32 vector) into its own slot, announces it on an arrival counter, waits until every
 * replica has, and reduces all slots itself in replica order: the same float operations in every
 * thread, so every replica gets the same bits. Two banks of slots alternate by round, so a replica
 * can write round r + 1 while a slower one still reads round r (round r + 2 reuses the bank only
 * after every replica arrived at r + 1, i.e. finished reading r).
 */

// Int32 words at the start of the buffer.
const ARRIVED = 0;
const ABORTED_BY = 1;
const CONTROL_BYTES = 16;

// Atomics.waitAsync is in Node 16+ but in TypeScript's lib only from es2024 (the workspace is on es2023).
type WaitAsync = (typed: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** A replica stopped the group (it failed, or the run ended early). */
export class ExchangeAbortedError extends Error {
  override name = 'ExchangeAbortedError';
  constructor(readonly abortedBy: number) {
    super(`the data-parallel exchange was aborted by replica ${abortedBy}`);
  }
}

export class GradientExchange {
  private readonly control: Int32Array;
  private readonly banks: Float32Array[][];

  /** A buffer for `replicas` contributions of `floatsPerReplica` floats each. */
  static allocate(replicas: number, floatsPerReplica: number): SharedArrayBuffer {
    return new SharedArrayBuffer(CONTROL_BYTES + 2 * replicas * floatsPerReplica * Float32Array.BYTES_PER_ELEMENT);
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly replicas: number,
    readonly floatsPerReplica: number,
  ) {
    if (buffer.byteLength !== CONTROL_BYTES + 2 * replicas * floatsPerReplica * Float32Array.BYTES_PER_ELEMENT) {
      throw new Error(`the exchange buffer has ${buffer.byteLength} bytes, ${replicas} replicas of ${floatsPerReplica} floats need another size`);
    }
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / Int32Array.BYTES_PER_ELEMENT);
    this.banks = [0, 1].map((bank) =>
      Array.from(
        { length: replicas },
        (_, replica) =>
          new Float32Array(buffer, CONTROL_BYTES + (bank * replicas + replica) * floatsPerReplica * Float32Array.BYTES_PER_ELEMENT, floatsPerReplica),
      ),
    );
  }

  /** Where `replica` writes its contribution to `round` (0-based, counted by every replica alike). */
  slot(round: number, replica: number): Float32Array {
    return this.banks[round % 2][replica];
  }

  /** Announces that `slot(round, replica)` is written; throws if the group was aborted. */
  arrive(): void {
    for (;;) {
      const arrived = Atomics.load(this.control, ARRIVED);
      if (arrived < 0) throw new ExchangeAbortedError(Atomics.load(this.control, ABORTED_BY) - 1);
      if (Atomics.compareExchange(this.control, ARRIVED, arrived, arrived + 1) === arrived) break;
    }
    Atomics.notify(this.control, ARRIVED);
  }

  /** Blocks (a worker thread) until every replica arrived at `round`. */
  waitForRound(round: number): void {
    const target = this.replicas * (round + 1);
    for (;;) {
      const arrived = Atomics.load(this.control, ARRIVED);
      if (arrived < 0) throw new ExchangeAbortedError(Atomics.load(this.control, ABORTED_BY) - 1);
      if (arrived >= target) return;
      Atomics.wait(this.control, ARRIVED, arrived);
    }
  }

  /**
   * The same without blocking the event loop (the main thread, which must still hear a worker's
   * failure); `failure` settles (rejects) when a worker fails.
   */
  async waitForRoundAsync(round: number, failure: Promise<never>): Promise<void> {
    const target = this.replicas * (round + 1);
    for (;;) {
      const arrived = Atomics.load(this.control, ARRIVED);
      if (arrived < 0) {
        // The failing replica posts why right after aborting; that message is the error to report.
        await failure;
        throw new ExchangeAbortedError(Atomics.load(this.control, ABORTED_BY) - 1);
      }
      if (arrived >= target) return;
      const wait = waitAsync(this.control, ARRIVED, arrived);
      if (wait.async) await Promise.race([wait.value, failure]);
    }
  }

  /** Stops the group: every replica waiting or arriving from now on throws ExchangeAbortedError. */
  abort(replica: number): void {
    Atomics.compareExchange(this.control, ABORTED_BY, 0, replica + 1);
    Atomics.store(this.control, ARRIVED, -1);
    Atomics.notify(this.control, ARRIVED);
  }

  /**
   * out[j] = sum over replicas r, in order, of weights[r] * slot(round, r)[j], accumulated in double
   * precision and rounded once: the same value in every thread that calls it.
   */
  reduce(round: number, weights: readonly number[], out: Float32Array): void {
    const slots = this.banks[round % 2];
    for (let j = 0; j < this.floatsPerReplica; j += 1) {
      let sum = 0;
      for (let r = 0; r < this.replicas; r += 1) sum += weights[r] * slots[r][j];
      out[j] = sum;
    }
  }
}
