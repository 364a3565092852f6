import type { DelayProxy, LoggedFrame } from './delay-proxy.js';
import { brokerKind } from './broker.js';

/**
 * What a frame's `destination` header holds on the wire for `destination` (a transport
 * destination, `/queue/x` or `/topic/x`) on this project's broker: the same on Classic and the
 * embedded broker; on Artemis the bare address, its routing type in `destination-type` (SEND) or
 * `subscription-type` (SUBSCRIBE) (the Artemis documentation's STOMP page, "Routing Semantics";
 * lib/wire/broker-dialect.ts).
 */
export function wireDestination(destination: string): string {
  if (brokerKind() !== 'artemis') return destination;
  const prefixed = /^\/(queue|topic)\/(.+)$/.exec(destination);
  return prefixed ? prefixed[2]! : destination;
}

/** The routing type an Artemis frame carries for `destination`, or undefined elsewhere. */
function routingType(destination: string): 'ANYCAST' | 'MULTICAST' | undefined {
  if (brokerKind() !== 'artemis') return undefined;
  if (destination.startsWith('/queue/')) return 'ANYCAST';
  if (destination.startsWith('/topic/')) return 'MULTICAST';
  return undefined;
}

/** Whether `frame` (a client frame a proxy logged) was addressed to `destination` as this broker reads it. */
export function addressedTo(frame: LoggedFrame, command: string, destination: string): boolean {
  if (frame.command !== command || frame.headers['destination'] !== wireDestination(destination)) return false;
  const type = routingType(destination);
  if (type === undefined) return true;
  const header = command === 'SUBSCRIBE' ? 'subscription-type' : 'destination-type';
  return frame.headers[header] === type;
}

/** The frames of `command` to `destination` (a transport destination) that `proxy` has seen so far. */
export function sentTo(proxy: DelayProxy, command: string, destination: string): LoggedFrame[] {
  return proxy.frames.filter((f) => addressedTo(f, command, destination));
}

/** The first frame of `command` to `destination` (a transport destination), seen already or when it comes. */
export function seenTo(proxy: DelayProxy, command: string, destination: string): Promise<LoggedFrame> {
  return proxy.frame((f) => addressedTo(f, command, destination));
}

/**
 * The SUBSCRIBE headers that let a drain take `messages` ahead of its acknowledgements: Classic's
 * `activemq.prefetchSize`; on Artemis, which counts a STOMP subscriber's window in bytes
 * (`consumer-window-size`, the Artemis documentation's "Flow Control" page), no limit.
 */
export function drainWindow(messages: number): Record<string, string> {
  return brokerKind() === 'artemis' ? { 'consumer-window-size': '-1' } : { 'activemq.prefetchSize': String(messages) };
}
