export * from './frame.js';
export * from './errors.js';
export { encodeFrame, escapeHeader } from './encoder.js';
export { StompParser, unescapeHeader, type StompParserEvents } from './parser.js';
// The frame writer and the heart-beat ticker stay internal: the connections' machinery, not a toolkit.
export { negotiateHeartbeat, parseHeartbeatHeader, type HeartbeatIntervals } from './heartbeat.js';
