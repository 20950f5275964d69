/**
 * The newest bytes of an audio stream, up to a fixed capacity, in one buffer allocated once.
 *
 * Why not an array of the frames: a call keeps up to 10 s of caller speech for the STT replay,
 * and 200 calls' worth of 20 ms Buffers (thousands of small objects, each pinning a slice of
 * Node's shared pool) survived every young-generation GC and were copied by each one. Copying
 * 160 bytes into a ring costs less than the collector's work on the object it replaces.
 */
export class AudioTail {
  private readonly buf: Buffer;
  private start = 0;
  private len = 0;

  constructor(readonly capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  get length(): number {
    return this.len;
  }

  /** Appends `bytes`, then keeps only the newest `keep` bytes (and never more than the capacity). */
  push(bytes: Uint8Array, keep = this.capacity): void {
    const cap = this.capacity;
    let src = bytes;
    if (src.length >= cap) {
      src = src.subarray(src.length - cap);
      this.start = 0;
      this.len = 0;
    }
    const end = (this.start + this.len) % cap;
    const first = Math.min(src.length, cap - end);
    this.buf.set(first === src.length ? src : src.subarray(0, first), end);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.len += src.length;
    const limit = Math.min(keep, cap);
    if (this.len > limit) {
      this.start = (this.start + this.len - limit) % cap;
      this.len = limit;
    }
  }

  clear(): void {
    this.start = 0;
    this.len = 0;
  }

  /** The kept bytes, oldest first, in a new Buffer of their own. */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    const first = Math.min(this.len, this.capacity - this.start);
    this.buf.copy(out, 0, this.start, this.start + first);
    if (first < this.len) this.buf.copy(out, first, 0, this.len - first);
    return out;
  }
}
