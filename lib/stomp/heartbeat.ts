/** Heart-beat intervals agreed between client and broker, in ms; 0 means none. */
export interface HeartbeatIntervals {
  /** This side sends something at least this often. */
  readonly sendEvery: number;
  /** The broker sends something at least this often. */
  readonly expectEvery: number;
}

/**
 * The longest interval a Node.js timer holds (2^31 - 1 ms, about 24.8 days): a longer delay is
 * silently turned into 1 ms by `setTimeout`/`setInterval`.
 */
export const MAX_HEARTBEAT_MS = 2 ** 31 - 1;

/**
 * STOMP 1.2 "Heart-beating": with CONNECT `heart-beat:cx,cy` and CONNECTED `heart-beat:sx,sy`,
 * the client sends every max(cx, sy) unless either is 0, and expects the server every max(sx, cy)
 * unless either is 0. A missing header means `0,0`. A value past 2^31 - 1 ms is
 * refused with a `RangeError`: no timer can keep it, and Node would fire it every millisecond.
 */
export function negotiateHeartbeat(offered: readonly [number, number], connectedHeader: string | undefined): HeartbeatIntervals {
  const [cx, cy] = offered;
  const match = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(connectedHeader ?? '0,0');
  const sx = match ? Number(match[1]) : 0;
  const sy = match ? Number(match[2]) : 0;
  if (sx > MAX_HEARTBEAT_MS || sy > MAX_HEARTBEAT_MS || cx > MAX_HEARTBEAT_MS || cy > MAX_HEARTBEAT_MS) {
    throw new RangeError(`heart-beat ${sx},${sy} (offered ${cx},${cy}) passes ${MAX_HEARTBEAT_MS} ms, the longest a timer can wait`);
  }
  return {
    sendEvery: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
    expectEvery: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
  };
}
