export * from './frame.js';
export * from './errors.js';
export { encodeFrame, escapeHeader } from './encoder.js';
export { StompParser, unescapeHeader, type StompParserEvents } from './parser.js';
export { negotiateHeartbeat, type HeartbeatIntervals } from './heartbeat.js';
