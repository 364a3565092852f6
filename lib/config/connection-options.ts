import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { StompConnectionOptions } from '../connection/stomp-connection.js';
import { InvalidUriParameterError } from './errors.js';
import type { BrokerEndpoint, ParsedActiveMQUri } from './uri-options.js';

/**
 * Opens a stream to the in-process broker named `name` (`vm://name`). The glue that may start the
 * embedded broker passes it in, so that this folder knows no broker.
 */
export type InProcessConnector = (name: string) => Duplex;

/**
 * What a STOMP connection to `endpoint` needs from a parsed URI. Credentials written in the
 * address win over `login`/`passcode` parameters; `extraTls` (e.g. a `ca` given in code) is merged
 * over what the URI says.
 */
export function stompConnectionOptions(parsed: ParsedActiveMQUri, endpoint: BrokerEndpoint, extraTls?: TlsOptions, inProcess?: InProcessConnector): StompConnectionOptions {
  const o = parsed.options;
  const login = endpoint.login ?? parsed.login;
  const passcode = endpoint.passcode ?? parsed.passcode;
  let tls: TlsOptions | undefined;
  if (endpoint.scheme === 'stomp+ssl') {
    tls = { ...extraTls };
    if (o.caFile !== undefined) {
      try {
        tls.ca = readFileSync(o.caFile);
      } catch (error) {
        throw new InvalidUriParameterError('caFile', 'a readable PEM file', `caFile '${o.caFile}' cannot be read: ${(error as Error).message}`);
      }
    }
    if (o.rejectUnauthorized === false) tls.rejectUnauthorized = false;
    if (o.servername !== undefined) tls.servername = o.servername;
  }
  const limits = {
    ...(o.maxHeaders === undefined ? {} : { maxHeaders: o.maxHeaders }),
    ...(o.maxHeaderLineBytes === undefined ? {} : { maxHeaderLineBytes: o.maxHeaderLineBytes }),
    ...(o.maxBodyBytes === undefined ? {} : { maxBodyBytes: o.maxBodyBytes }),
  };
  return {
    host: endpoint.host,
    port: endpoint.port,
    // vm://<name>: the in-process embedded broker of that name, started on first use.
    ...(endpoint.scheme === 'vm' ? { stream: () => inProcessStream(endpoint.host, inProcess) } : {}),
    ...(tls ? { tls } : {}),
    ...(login === undefined ? {} : { login }),
    ...(passcode === undefined ? {} : { passcode }),
    ...(o.virtualHost === undefined ? {} : { virtualHost: o.virtualHost }),
    ...(o.clientId === undefined ? {} : { clientId: o.clientId }),
    ...(o.heartBeat === undefined ? {} : { heartBeat: o.heartBeat }),
    ...(o.heartBeatGraceMultiplier === undefined ? {} : { heartBeatGraceMultiplier: o.heartBeatGraceMultiplier }),
    ...(o.connectTimeout === undefined ? {} : { connectTimeout: o.connectTimeout }),
    limits,
  };
}

function inProcessStream(name: string, inProcess: InProcessConnector | undefined): Duplex {
  if (!inProcess)
    throw new InvalidUriParameterError('vm', 'a URI of a client or server', `vm://${name} names an in-process broker, which only ClientActiveMQ and ServerActiveMQ start`);
  return inProcess(name);
}
