/**
 * Collects one output stream up to a byte cap. Past the cap the rest is dropped, the stream is flagged
 * truncated and `onOverflow` fires once, so the backend can stop a program that floods its output
 * instead of letting it spin until the timeout.
 */
export class OutputCollector {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  constructor(
    private readonly capBytes: number,
    private readonly onOverflow: () => void = () => undefined,
  ) {}

  push(chunk: Buffer | string): void {
    if (this.truncated) return;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const room = this.capBytes - this.bytes;
    if (buffer.length <= room) {
      this.chunks.push(buffer);
      this.bytes += buffer.length;
      return;
    }
    if (room > 0) this.chunks.push(buffer.subarray(0, room));
    this.bytes = this.capBytes;
    this.truncated = true;
    this.onOverflow();
  }

  /** The text kept; a character the cap cut in half is dropped rather than shown as U+FFFD. */
  text(): string {
    const whole = Buffer.concat(this.chunks);
    return new TextDecoder('utf-8', { fatal: false }).decode(this.truncated ? trimPartialCharacter(whole) : whole);
  }
}

/** Drops the bytes of a UTF-8 sequence cut off at the end of the buffer. */
function trimPartialCharacter(buffer: Buffer): Buffer {
  // Walk back over continuation bytes (10xxxxxx) to the lead byte of the last sequence.
  let start = buffer.length - 1;
  while (start > 0 && start > buffer.length - 4 && (buffer[start]! & 0xc0) === 0x80) start--;
  const lead = buffer[start];
  if (lead === undefined || lead < 0xc0) return buffer;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return buffer.length - start < length ? buffer.subarray(0, start) : buffer;
}
