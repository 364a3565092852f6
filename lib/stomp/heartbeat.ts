/** Heart-beat intervals agreed between client and broker, in ms; 0 means none. */
export interface HeartbeatIntervals {
  /** This side sends something at least this often. */
  readonly sendEvery: number;
  /** The peer sends something at least this often. */
  readonly expectEvery: number;
}

/**
 * The longest interval a Node.js timer holds (2^31 - 1 ms, about 24.8 days): a longer delay is
 * silently turned into 1 ms by `setTimeout`/`setInterval`.
 */
export const MAX_HEARTBEAT_MS = 2 ** 31 - 1;

const HEART_BEAT = /^\s*(\d+)\s*,\s*(\d+)\s*$/;
const NONE: readonly [number, number] = Object.freeze([0, 0] as const);

/**
 * The two numbers of a `heart-beat` header (STOMP 1.2 "Heart-beating": `heart-beat:<x>,<y>`, two
 * whole numbers of ms). A missing header means `0,0`; anything that is not two whole numbers
 * (signs, fractions, a third value, text) gives `undefined`, for the caller to refuse or ignore.
 * Values past `MAX_HEARTBEAT_MS` are returned as they are: what to do with them is the
 * caller's policy.
 */
export function parseHeartbeatHeader(header: string | undefined): readonly [number, number] | undefined {
  if (header === undefined) return NONE;
  const match = HEART_BEAT.exec(header);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * STOMP 1.2 "Heart-beating": with CONNECT `heart-beat:cx,cy` and CONNECTED `heart-beat:sx,sy`,
 * the client sends every max(cx, sy) unless either is 0, and expects the server every max(sx, cy)
 * unless either is 0. A missing header, or one that is not two whole numbers, means `0,0`. A value
 * past 2^31 - 1 ms is refused with a `RangeError`: no timer can keep it, and Node would fire it
 * every millisecond.
 */
export function negotiateHeartbeat(offered: readonly [number, number], connectedHeader: string | undefined): HeartbeatIntervals {
  const [cx, cy] = offered;
  const [sx, sy] = parseHeartbeatHeader(connectedHeader) ?? NONE;
  if (sx > MAX_HEARTBEAT_MS || sy > MAX_HEARTBEAT_MS || cx > MAX_HEARTBEAT_MS || cy > MAX_HEARTBEAT_MS) {
    throw new RangeError(`heart-beat ${sx},${sy} (offered ${cx},${cy}) passes ${MAX_HEARTBEAT_MS} ms, the longest a timer can wait`);
  }
  return {
    sendEvery: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
    expectEvery: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
  };
}

/** What a {@link HeartbeatTicker} asks of its connection. */
export interface HeartbeatEvents {
  /** This side has been silent for `sendEvery`: write a heart-beat EOL now. */
  beat(): void;
  /**
   * The peer has been silent for `silentMs`, past `expectEvery × grace`. Called again at each
   * later check until the peer is heard, the count restarts or the ticker stops: the connection
   * decides (a broker that stopped reading the peer itself waits).
   */
  dead(silentMs: number): void;
}

/**
 * The heart-beat timers of one connection, either side (STOMP 1.2 "Heart-beating"): this side must
 * send something at least every `sendEvery` ms, and may consider the connection dead when the peer
 * sent nothing for longer than `expectEvery` ms (with a grace: `expectEvery × grace`).
 *
 * One tick rate for both directions and both sides: every half interval. Outgoing, the connection
 * calls {@link wrote} on each write (a flag, no clock read on the hot path) and a tick beats only
 * when a whole tick went by without output; a write just after a tick is seen at the next one and
 * the beat follows one tick later, so no silence passes `sendEvery` (two half intervals). The beat
 * itself counts as output, so an idle side beats once per `sendEvery`, not twice. Incoming, a check
 * every half interval declares the peer dead at most half an interval after its silence passed the
 * allowance. Both timers are `unref`'d: heart-beats never keep the process alive.
 */
export class HeartbeatTicker {
  private written = true;
  private heardAt = Date.now();
  private readonly sendTimer: NodeJS.Timeout | undefined;
  private readonly readTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly intervals: HeartbeatIntervals,
    private readonly events: HeartbeatEvents,
    /** The peer is dead after `expectEvery × grace` ms of silence. */
    readonly grace = 3,
  ) {
    const { sendEvery, expectEvery } = intervals;
    if (sendEvery > 0) {
      this.sendTimer = setInterval(() => this.sendTick(), halfOf(sendEvery));
      this.sendTimer.unref();
    }
    if (expectEvery > 0) {
      const allowed = expectEvery * grace;
      this.readTimer = setInterval(() => {
        const silent = Date.now() - this.heardAt;
        if (silent > allowed) this.events.dead(silent);
      }, halfOf(expectEvery));
      this.readTimer.unref();
    }
  }

  /** This side wrote something: the next tick needs no beat. */
  wrote(): void {
    this.written = true;
  }

  /** Something came from the peer. */
  heard(): void {
    this.heardAt = Date.now();
  }

  /**
   * The peer's silence is counted from now: for a silence this side caused (it stopped reading,
   * so what the peer sent waits unread).
   */
  restart(): void {
    this.heardAt = Date.now();
  }

  /** Stops both timers; nothing is called after this. */
  stop(): void {
    clearInterval(this.sendTimer);
    clearInterval(this.readTimer);
  }

  private sendTick(): void {
    if (this.written) {
      this.written = false;
      return;
    }
    this.written = true;
    this.events.beat();
  }
}

/** Half an interval, at least 1 ms (a 0 ms timer would spin). */
function halfOf(interval: number): number {
  return Math.max(1, Math.floor(interval / 2));
}
