// gRPC's length-prefixed messages (the "PROTOCOL-HTTP2" spec): each message on the HTTP/2 stream is
// a compressed flag (one byte) and its length (four bytes, big-endian), then its bytes. DATA frames
// cut the stream anywhere: a message may span chunks, a chunk may hold several messages or a
// message of zero bytes.
import { GrpcCallError } from './status.js';

/** A message with its 5-byte prefix, uncompressed. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/**
 * Reads messages out of a stream's chunks as they come. It holds at most one message in part (its
 * prefix's length is checked against the bound before any of it is kept), so a stream of any
 * length is read in bounded memory.
 */
export class MessageReader {
  private readonly prefix = Buffer.alloc(5);
  private prefixFill = 0;
  /** The message being filled, once its prefix is whole. */
  private body: Buffer | undefined;
  private bodyFill = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Whether a message has begun and not ended (a stream that stops here was cut short). */
  get midMessage(): boolean {
    return this.prefixFill > 0;
  }

  /**
   * Feeds one chunk; `onMessage` gets each message it completes, in order (a message wholly inside
   * the chunk is a view of it, not a copy). Throws GrpcCallError for a compressed message (none is
   * asked for) or one longer than the bound; the stream is unusable after that.
   */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.prefixFill < 5) {
        // The common case: a prefix and its whole message inside the chunk.
        if (this.prefixFill === 0 && chunk.length - at >= 5) {
          const length = this.lengthOf(chunk, at);
          if (chunk.length - at - 5 >= length) {
            onMessage(chunk.subarray(at + 5, at + 5 + length));
            at += 5 + length;
            continue;
          }
        }
        const n = Math.min(5 - this.prefixFill, chunk.length - at);
        chunk.copy(this.prefix, this.prefixFill, at, at + n);
        this.prefixFill += n;
        at += n;
        if (this.prefixFill < 5) return;
        const length = this.lengthOf(this.prefix, 0);
        if (length === 0) {
          this.prefixFill = 0;
          onMessage(Buffer.alloc(0));
          continue;
        }
        this.body = Buffer.allocUnsafe(length);
        this.bodyFill = 0;
        continue;
      }
      const body = this.body!;
      const n = Math.min(body.length - this.bodyFill, chunk.length - at);
      chunk.copy(body, this.bodyFill, at, at + n);
      this.bodyFill += n;
      at += n;
      if (this.bodyFill === body.length) {
        this.body = undefined;
        this.prefixFill = 0;
        onMessage(body);
      }
    }
  }

  /** A prefix's length, once its flag and length are checked. */
  private lengthOf(buf: Buffer, at: number): number {
    if (buf[at] !== 0) throw new GrpcCallError('INTERNAL', 'compressed message (none was asked for)');
    const length = buf.readUInt32BE(at + 1);
    if (length > this.maxMessageBytes)
      throw new GrpcCallError(
        'RESOURCE_EXHAUSTED',
        `message of ${length} bytes, larger than the limit of ${this.maxMessageBytes}`,
      );
    return length;
  }
}
