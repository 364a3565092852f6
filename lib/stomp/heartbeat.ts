/** Heart-beat intervals agreed between client and broker, in ms; 0 means none. */
export interface HeartbeatIntervals {
  /** This side sends something at least this often. */
  readonly sendEvery: number;
  /** The broker sends something at least this often. */
  readonly expectEvery: number;
}

/**
 * STOMP 1.2 "Heart-beating": with CONNECT `heart-beat:cx,cy` and CONNECTED `heart-beat:sx,sy`,
 * the client sends every max(cx, sy) unless either is 0, and expects the server every max(sx, cy)
 * unless either is 0. A missing header means `0,0`.
 */
export function negotiateHeartbeat(offered: readonly [number, number], connectedHeader: string | undefined): HeartbeatIntervals {
  const [cx, cy] = offered;
  const match = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(connectedHeader ?? '0,0');
  const sx = match ? Number(match[1]) : 0;
  const sy = match ? Number(match[2]) : 0;
  return {
    sendEvery: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
    expectEvery: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
  };
}
