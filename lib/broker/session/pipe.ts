import { Duplex } from 'node:stream';

/**
 * Two connected in-memory streams: what one side writes, the other reads. The `vm://` transport
 * uses them between a client and the embedded broker in the same process, so no socket is
 * opened. Writes are handed over asynchronously (as a socket's would be), never re-entrantly.
 */
export function duplexPair(): [Duplex, Duplex] {
  let right!: Duplex;
  const side = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        const target = peer();
        setImmediate(() => {
          if (!target.destroyed) target.push(chunk);
          callback();
        });
      },
      writev(chunks, callback) {
        const target = peer();
        const joined = Buffer.concat(chunks.map((c) => c.chunk as Buffer));
        setImmediate(() => {
          if (!target.destroyed) target.push(joined);
          callback();
        });
      },
      final(callback) {
        peer().push(null);
        callback();
      },
      destroy(error, callback) {
        const target = peer();
        if (!target.destroyed) target.destroy();
        callback(error);
      },
    });
  const left = side(() => right);
  right = side(() => left);
  return [left, right];
}
