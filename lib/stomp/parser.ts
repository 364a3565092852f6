import { StompParseError } from './errors.js';
import { DEFAULT_STOMP_LIMITS, isStompCommand, isUnescapedCommand, type StompCommand, type StompFrame, type StompHeaders, type StompLimits } from './frame.js';

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const MAX_COMMAND_BYTES = 32;
const EMPTY = Buffer.alloc(0);

const enum State {
  /** Between frames: EOLs here are heart-beats. */
  Idle,
  /** Reading the command line and the headers. */
  Head,
  /** Reading the body. */
  Body,
}

/** What the parser hands to its owner. */
export interface StompParserEvents {
  /** A complete frame was read. */
  frame(frame: StompFrame): void;
  /** An EOL arrived between frames: a heart-beat. */
  heartbeat(): void;
  /**
   * A frame's body passes `maxBodyBytes`. Called with its command and headers (the body empty)
   * as soon as that is known: from its `content-length`, or once that many bytes came without
   * one. Return true to take it as such: the parser then reads the body to its end without
   * keeping it and goes on with the next frame. Absent, or false: the stream fails with a
   * `BODY_TOO_LARGE` {@link StompParseError}.
   */
  oversize?(frame: StompFrame): boolean;
}

/**
 * Streaming STOMP 1.2 parser. Feed it the bytes of a socket in whatever chunks they come; it calls
 * `frame` for each complete frame and `heartbeat` for each EOL between frames.
 *
 * Written by hand rather than taken from a library because it sits on the hot path of every
 * message and is shared with the embedded broker: whole frames inside one chunk are decoded
 * without copying the body, and only a frame split across chunks is buffered.
 *
 * The first error (a {@link StompParseError}) is fatal: the stream cannot be resynchronised, and
 * every later `push` throws the same error. A body over `maxBodyBytes` is the exception when the
 * owner takes it through `oversize`: where such a body ends is known without reading it, from its
 * `content-length`, or, without one, from the first NUL, as for any body (STOMP 1.2 "Body": a body
 * without `content-length` ends at the first NUL and cannot hold one). The bytes already kept of
 * such a body (at most `maxBodyBytes`) are dropped, and the rest is passed over without a copy.
 */
export class StompParser {
  private readonly limits: StompLimits;
  private state = State.Idle;
  /** Bytes of an unfinished command/header block. */
  private head: Buffer = EMPTY;
  private command: StompCommand | undefined;
  private headers: StompHeaders = Object.create(null) as StompHeaders;
  private headerCount = 0;
  /** Bytes still to read before the NUL, or -1 when the frame has no content-length. */
  private bodyRemaining = -1;
  private bodyChunks: Buffer[] = [];
  private bodyLength = 0;
  /** The body is over the limit and taken by `oversize`: read to its end, not kept. */
  private skipping = false;
  private failure: StompParseError | undefined;
  /**
   * Undoes the escaping of a header name or value (CONNECT, STOMP and CONNECTED have none): STOMP
   * 1.2's. The embedded broker sets the rules of an older version once its client agreed one.
   */
  decodeHeader: (text: string, command: StompCommand) => string = unescapeHeader;

  /**
   * A parser between frames, with the given limits over the defaults.
   *
   * @param events Called with each frame and heart-beat, synchronously from `push`.
   * @param limits Overrides of {@link DEFAULT_STOMP_LIMITS}.
   */
  constructor(
    private readonly events: StompParserEvents,
    limits: Partial<StompLimits> = {},
  ) {
    this.limits = { ...DEFAULT_STOMP_LIMITS, ...limits };
  }

  /** Parses one chunk. Throws a {@link StompParseError} if the stream is not valid STOMP 1.2. */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    try {
      this.consume(chunk);
    } catch (error) {
      if (error instanceof StompParseError) this.failure = error;
      throw error;
    }
  }

  /** True when the parser is between frames (nothing half-read). */
  get idle(): boolean {
    return this.state === State.Idle && this.head.length === 0;
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    const length = chunk.length;
    while (offset < length) {
      if (this.state === State.Idle) {
        const byte = chunk[offset]!;
        if (byte === LF) {
          offset++;
          this.events.heartbeat();
          continue;
        }
        if (byte === CR) {
          offset++; // the CR of a CRLF heart-beat; the LF that follows reports it
          continue;
        }
        this.state = State.Head;
      }
      if (this.state === State.Head) {
        offset = this.readHead(chunk, offset);
      } else {
        offset = this.readBody(chunk, offset);
      }
    }
  }

  /** Reads command and header lines; returns the offset after what it consumed. */
  private readHead(chunk: Buffer, offset: number): number {
    let buffer = chunk;
    let start = offset;
    if (this.head.length > 0) {
      // Resume a head split across chunks: join just the unfinished line with the new bytes.
      buffer = Buffer.concat([this.head, chunk.subarray(offset)]);
      start = 0;
    }
    const carried = this.head.length;
    let lineStart = start;
    for (;;) {
      const newline = buffer.indexOf(LF, lineStart);
      if (newline === -1) {
        const pending = buffer.length - lineStart;
        this.checkLineLength(pending);
        this.head = Buffer.from(buffer.subarray(lineStart)); // own copy: the chunk may be reused
        return chunk.length;
      }
      const lineEnd = newline > lineStart && buffer[newline - 1] === CR ? newline - 1 : newline;
      this.checkLineLength(lineEnd - lineStart);
      if (this.command === undefined) {
        this.command = this.parseCommand(buffer, lineStart, lineEnd);
      } else if (lineEnd === lineStart) {
        this.head = EMPTY;
        this.beginBody();
        // Offset in `chunk` just after the blank line.
        return buffer === chunk ? newline + 1 : offset + (newline + 1 - carried);
      } else {
        this.parseHeader(buffer, lineStart, lineEnd);
      }
      lineStart = newline + 1;
    }
  }

  private checkLineLength(bytes: number): void {
    if (this.command === undefined) {
      if (bytes > MAX_COMMAND_BYTES) {
        throw new StompParseError('COMMAND_TOO_LONG', `a frame's command line is longer than ${MAX_COMMAND_BYTES} bytes: not STOMP`);
      }
    } else if (bytes > this.limits.maxHeaderLineBytes) {
      throw new StompParseError('HEADER_TOO_LARGE', `a header line of ${this.command} is longer than the limit of ${this.limits.maxHeaderLineBytes} bytes (maxHeaderLineBytes)`);
    }
  }

  private parseCommand(buffer: Buffer, start: number, end: number): StompCommand {
    const text = buffer.toString('latin1', start, end);
    if (!isStompCommand(text)) {
      throw new StompParseError('UNKNOWN_COMMAND', `'${printable(text)}' is not a STOMP 1.2 command`);
    }
    return text;
  }

  private parseHeader(buffer: Buffer, start: number, end: number): void {
    const command = this.command!;
    if (++this.headerCount > this.limits.maxHeaders) {
      throw new StompParseError('TOO_MANY_HEADERS', `${command} has more than the limit of ${this.limits.maxHeaders} headers (maxHeaders)`);
    }
    const line = buffer.toString('utf8', start, end);
    const colon = line.indexOf(':');
    if (colon === -1) {
      throw new StompParseError('MALFORMED_HEADER', `a header line of ${command} has no colon: '${printable(line.slice(0, 64))}'`);
    }
    let name = line.slice(0, colon);
    let value = line.slice(colon + 1);
    if (!isUnescapedCommand(command)) {
      name = this.decodeHeader(name, command);
      value = this.decodeHeader(value, command);
    }
    if (!(name in this.headers)) this.headers[name] = value;
  }

  private beginBody(): void {
    const declared = this.headers['content-length'];
    if (declared === undefined) {
      this.bodyRemaining = -1;
    } else {
      if (!/^\d{1,15}$/.test(declared)) {
        throw new StompParseError('INVALID_CONTENT_LENGTH', `content-length '${printable(declared)}' of ${this.command} is not a byte count`);
      }
      const bytes = Number(declared);
      if (bytes > this.limits.maxBodyBytes && !this.skipBody()) {
        throw new StompParseError('BODY_TOO_LARGE', `${this.command} declares a ${bytes}-byte body, over the limit of ${this.limits.maxBodyBytes} bytes (maxBodyBytes)`);
      }
      this.bodyRemaining = bytes;
    }
    this.state = State.Body;
  }

  /** Reads body bytes and the closing NUL; returns the offset after what it consumed. */
  private readBody(chunk: Buffer, offset: number): number {
    if (this.bodyRemaining >= 0) {
      const available = chunk.length - offset;
      if (available <= this.bodyRemaining) {
        this.addBody(chunk.subarray(offset));
        this.bodyRemaining -= available;
        return chunk.length;
      }
      const end = offset + this.bodyRemaining;
      if (chunk[end] !== NUL) {
        throw new StompParseError('MISSING_NUL', `${this.command}'s body does not end with NUL after its content-length of ${this.headers['content-length']} bytes`);
      }
      this.addBody(chunk.subarray(offset, end));
      this.finishFrame();
      return end + 1;
    }
    const nul = chunk.indexOf(NUL, offset);
    const end = nul === -1 ? chunk.length : nul;
    if (!this.skipping && this.bodyLength + (end - offset) > this.limits.maxBodyBytes && !this.skipBody()) {
      throw new StompParseError('BODY_TOO_LARGE', `${this.command}'s body is over the limit of ${this.limits.maxBodyBytes} bytes (maxBodyBytes)`);
    }
    this.addBody(chunk.subarray(offset, end));
    if (nul === -1) return chunk.length;
    this.finishFrame();
    return nul + 1;
  }

  /** Offers the frame, its body over the limit, to `oversize`; true if taken (its body is then skipped). */
  private skipBody(): boolean {
    if (!this.events.oversize?.({ command: this.command!, headers: this.headers, body: EMPTY })) return false;
    this.skipping = true;
    this.bodyChunks = [];
    this.bodyLength = 0;
    return true;
  }

  private addBody(part: Buffer): void {
    if (part.length === 0 || this.skipping) return;
    this.bodyChunks.push(part);
    this.bodyLength += part.length;
  }

  private finishFrame(): void {
    const chunks = this.bodyChunks;
    const body = chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.bodyLength);
    const frame: StompFrame = { command: this.command!, headers: this.headers, body };
    const skipped = this.skipping;
    this.state = State.Idle;
    this.command = undefined;
    this.headers = Object.create(null) as StompHeaders;
    this.headerCount = 0;
    this.bodyChunks = [];
    this.bodyLength = 0;
    this.bodyRemaining = -1;
    this.skipping = false;
    // An oversize frame was handed over when its size was known.
    if (!skipped) this.events.frame(frame);
  }
}

/**
 * Undoes STOMP 1.2 header escaping; an undefined escape is a fatal protocol error, as the spec says.
 * Copies the runs between escapes whole rather than a character at a time: ActiveMQ Classic escapes
 * the colons of its ids, so three headers of each of its MESSAGE frames hold escapes.
 */
export function unescapeHeader(text: string, command = 'frame'): string {
  let escape = text.indexOf('\\');
  if (escape === -1) return text;
  let out = '';
  let from = 0;
  while (escape !== -1) {
    out += text.slice(from, escape);
    const next = text[escape + 1];
    if (next === 'c') out += ':';
    else if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else {
      throw new StompParseError('INVALID_ESCAPE', `a header of ${command} holds the undefined escape '\\${next === undefined ? '' : printable(next)}'`);
    }
    from = escape + 2;
    escape = text.indexOf('\\', from);
  }
  return out + text.slice(from);
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}
