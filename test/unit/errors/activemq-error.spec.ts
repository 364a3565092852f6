import { describe, expect, it } from '@jest/globals';
import { BrokerProtocolError } from '../../../lib/broker/core/contracts.js';
import { InvalidUriError, InvalidUriParameterError, UnknownOptionError, UnknownUriParameterError } from '../../../lib/config/errors.js';
import { BrokerUnreachableError } from '../../../lib/connection/connect-to-first.js';
import { ActiveMQError, InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { ActiveMQClientClosedError, ActiveMQConnectionLostError, ActiveMQRequestTimeoutError, ActiveMQSerializationError } from '../../../lib/errors/client-errors.js';
import { MessageTooLargeForWindowError, SendInDoubtError, TransactionError } from '../../../lib/producer/errors.js';
import {
  StompAuthenticationError,
  StompBrokerError,
  StompConnectionClosedError,
  StompEncodeError,
  StompError,
  StompFrameTooLargeError,
  StompHeartbeatTimeoutError,
  StompParseError,
  StompTimeoutError,
} from '../../../lib/stomp/errors.js';
import { PayloadDecodeError } from '../../../lib/wire/payload-codec.js';

/** A Node socket error, as `net` raises it. */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

describe('ActiveMQError', () => {
  it('is an Error named after its class, keeping its cause', () => {
    const cause = new Error('underneath');
    const error = new SendInDoubtError('in doubt', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ActiveMQError);
    expect(error.name).toBe('SendInDoubtError');
    expect(error.message).toBe('in doubt');
    expect(error.cause).toBe(cause);
    expect(new SendInDoubtError('no cause')).not.toHaveProperty('cause');
  });

  it.each([
    [new ActiveMQError('x'), 'ACTIVEMQ'],
    [new StompError('x'), 'STOMP'],
    [new SendInDoubtError('x'), 'SEND_IN_DOUBT'],
    [new TransactionError('x'), 'TRANSACTION'],
    [new MessageTooLargeForWindowError(10, 5), 'MESSAGE_TOO_LARGE_FOR_WINDOW'],
    [new ActiveMQRequestTimeoutError('p', 5), 'REQUEST_TIMEOUT'],
    [new ActiveMQConnectionLostError('x'), 'CONNECTION_LOST'],
    [new ActiveMQClientClosedError('emit()'), 'CLIENT_CLOSED'],
    [new ActiveMQSerializationError('p', new Error('x')), 'SERIALIZATION'],
    [new InvalidUriError('x'), 'INVALID_URI'],
    [new InvalidUriParameterError('a', 'b'), 'INVALID_URI_PARAMETER'],
    [new UnknownUriParameterError('a', undefined, []), 'UNKNOWN_URI_PARAMETER'],
    [new UnknownOptionError('a', undefined, [], 'X'), 'UNKNOWN_OPTION'],
    [new InvalidOptionError('prefetch', 'x'), 'INVALID_OPTION'],
    [new PayloadDecodeError('x', undefined), 'PAYLOAD_DECODE'],
    [new BrokerProtocolError('x'), 'BROKER_PROTOCOL'],
    [new StompEncodeError('x'), 'ENCODE'],
    [new StompFrameTooLargeError('x'), 'FRAME_TOO_LARGE'],
    [new StompTimeoutError('x'), 'TIMEOUT'],
    [new StompBrokerError({ message: 'm' }, Buffer.alloc(0), 'b:1'), 'BROKER'],
    [new StompAuthenticationError({ message: 'm' }, Buffer.alloc(0), 'b:1'), 'AUTHENTICATION'],
    [new StompConnectionClosedError('x'), 'CONNECTION_CLOSED'],
    [new StompHeartbeatTimeoutError('x'), 'HEARTBEAT_TIMEOUT'],
    [new BrokerUnreachableError('x'), 'BROKER_UNREACHABLE'],
  ])('%p has the code derived from its class name: %s', (error, code) => {
    expect(error.code).toBe(code);
  });

  it('a parse error keeps the rule it names as its code', () => {
    expect(new StompParseError('BODY_TOO_LARGE', 'x').code).toBe('BODY_TOO_LARGE');
  });

  it('a code given explicitly wins over the class name', () => {
    expect(new ActiveMQError('x', { code: 'CUSTOM' }).code).toBe('CUSTOM');
  });

  it('a subclass defined elsewhere gets its code the same way', () => {
    class ActiveMQQuotaExceededError extends ActiveMQError {}
    class HTTP2GatewayError extends ActiveMQError {}
    expect(new ActiveMQQuotaExceededError('x').code).toBe('QUOTA_EXCEEDED');
    expect(new HTTP2GatewayError('x').code).toBe('HTTP2_GATEWAY');
  });

  it('InvalidOptionError names its option', () => {
    const error = new InvalidOptionError('prefetch', 'prefetch must be a whole number >= 1, got 0');
    expect([error.option, error.message, error.name]).toEqual(['prefetch', 'prefetch must be a whole number >= 1, got 0', 'InvalidOptionError']);
  });
});

describe('network codes on closed-connection errors', () => {
  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE'])('StompConnectionClosedError keeps a socket error’s %s as its code', (code) => {
    expect(new StompConnectionClosedError('lost', { cause: socketError(code) }).code).toBe(code);
  });

  it('BrokerUnreachableError keeps the network code of the last attempt, also through a closed-connection error', () => {
    expect(new BrokerUnreachableError('down', { cause: socketError('ECONNREFUSED') }).code).toBe('ECONNREFUSED');
    const wrapped = new StompConnectionClosedError('lost', { cause: socketError('ECONNRESET') });
    expect(new BrokerUnreachableError('down', { cause: wrapped }).code).toBe('ECONNRESET');
  });

  it('takes no code from a cause that is not a network error', () => {
    expect(new BrokerUnreachableError('down', { cause: new StompConnectionClosedError('closed') }).code).toBe('BROKER_UNREACHABLE');
    expect(new BrokerUnreachableError('down', { cause: new StompParseError('BODY_TOO_LARGE', 'x') }).code).toBe('BROKER_UNREACHABLE');
    expect(new StompConnectionClosedError('lost', { cause: new StompTimeoutError('slow') }).code).toBe('CONNECTION_CLOSED');
    expect(new StompConnectionClosedError('lost', { cause: 'a string' }).code).toBe('CONNECTION_CLOSED');
    expect(new StompConnectionClosedError('lost', { cause: { code: 42 } }).code).toBe('CONNECTION_CLOSED');
    // This package's own codes are not network codes, whatever error carries them.
    expect(new StompConnectionClosedError('lost', { cause: new InvalidOptionError('o', 'bad') }).code).toBe('CONNECTION_CLOSED');
    expect(new BrokerUnreachableError('down', { cause: Object.assign(new Error('stopped'), { code: 'BROKER_STOPPED' }) }).code).toBe('BROKER_UNREACHABLE');
    expect(new BrokerUnreachableError('down', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }).code).toBe('ECONNREFUSED');
  });

  it('a heart-beat timeout wrapped by an unreachable-broker error is not a network code', () => {
    expect(new BrokerUnreachableError('down', { cause: new StompHeartbeatTimeoutError('silent') }).code).toBe('BROKER_UNREACHABLE');
  });
});
