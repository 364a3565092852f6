import { EventEmitter } from 'node:events';
import { ActiveMQConnectionLostError } from '../errors/client-errors.js';
import { ActiveMQStatus, type ActiveMQEvents } from '../events/activemq.events.js';
import { StompConnectionClosedError, type StompError } from '../stomp/errors.js';
import { connectToFirst, type StartupPolicy } from './connect-to-first.js';
import { logAttempt, logStartupRetry, reconnect, watchPrimary, type ReconnectPolicy } from './reconnection.js';
import type { StompConnection, StompConnectionOptions } from './stomp-connection.js';

/** The logger the supervisor writes to (Nest's `Logger` fits). */
export interface SupervisorLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** Why a connection is being prepared. */
export type PreparationReason = 'start' | 'reconnect' | 'primary';

/**
 * What the client or the server does at the supervisor's joints. The supervisor owns the
 * connection's life (start-up, reconnection, the move back to the primary broker, status, events,
 * the log lines of an outage); the role owns what runs on a connection.
 */
export interface SupervisedRole {
  /**
   * Makes a new connection ready before it is reported connected: the client opens its reply
   * queue and re-sends what is unconfirmed, the server subscribes its handlers. A throw gives the
   * connection up; so does the connection ending meanwhile (the next broker is then tried).
   */
  prepare(connection: StompConnection, reason: PreparationReason): Promise<void>;
  /** Before the backup is left for the primary broker: let what is in flight there finish, within a bound. */
  drainBackup(backup: StompConnection): Promise<void>;
  /** The current connection ended; `error` is undefined for a requested close (or the move to the primary). */
  lost(connection: StompConnection, error: StompError | undefined): void;
  /** Reconnection gave up, or is off: nothing will re-establish the connection by itself. */
  gaveUp(error: Error): void;
  /** Words added to the outage's log lines (the server: its handlers still running). */
  lossDetail?(): string;
  /** Words added to the "reconnected" line (the server: how many subscriptions it consumes again). */
  reconnectedDetail?(): string;
  /** What no longer happens once reconnection gave up, for the log (the server: "the server consumes no more"). */
  readonly afterGivingUp?: string;
}

/** How a {@link ConnectionSupervisor} connects and reports. */
export interface SupervisorOptions {
  /** The brokers, in the URI's order. */
  readonly brokers: readonly StompConnectionOptions[];
  /** How hard the first connection is tried. */
  readonly startup: Omit<StartupPolicy, 'onRetry'>;
  /** How a lost connection is re-established. */
  readonly reconnect: ReconnectPolicy;
  readonly logger: SupervisorLogger;
  /** Receives each status change (Nest's `_status$.next`). */
  readonly status: (status: ActiveMQStatus) => void;
  readonly role: SupervisedRole;
}

/**
 * One connection's life, for the client and the server alike: the first connection as the
 * start-up policy says, reconnection after a loss as the reconnection policy says, the move back
 * to the first broker (`priorityBackup`), the status and the typed events. One rule for `error`
 * events: they go to listeners, and an outage is logged once whether or not anyone listens.
 */
export class ConnectionSupervisor {
  private current: StompConnection | undefined;
  /** The start-up, a reconnection or the move to the primary while it lasts: what a caller of `connect()` waits for. */
  private opening: Promise<StompConnection> | undefined;
  private closing = false;
  private readonly events = new EventEmitter();
  private readonly logger: SupervisorLogger;
  /** Connections re-established after a loss. */
  reconnections = 0;
  /** Why the latest connection ended or could not be opened. */
  lastFailure: unknown;

  constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger;
  }

  /** The open connection, if there is one now. */
  get connection(): StompConnection | undefined {
    return this.current && !this.current.isClosed ? this.current : undefined;
  }

  /** `close()` was called and `connect()` not since. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** A reconnection or a move to the primary is under way. */
  get isReopening(): boolean {
    return this.opening !== undefined && this.current === undefined;
  }

  /** Adds a listener of the `connect`, `disconnect` or `error` events. */
  on<K extends keyof ActiveMQEvents>(event: K, listener: ActiveMQEvents[K]): void {
    this.events.on(event, listener as (...args: unknown[]) => void);
  }

  /**
   * The open connection, or the one being opened or re-established (concurrent callers share the
   * attempt). Rejects when no broker could be reached within the start-up policy, or when the
   * first connection ended while it was prepared (reconnection then goes on in the background).
   */
  connect(): Promise<StompConnection> {
    const open = this.connection;
    if (open) return Promise.resolve(open);
    if (this.opening) return this.opening;
    this.closing = false;
    const first = this.openFirst();
    this.opening = first;
    const done = () => {
      if (this.opening === first) this.opening = undefined;
    };
    first.then(done, done);
    return first;
  }

  /**
   * Stops reconnecting, runs `beforeDisconnect` (the server's drain of its handlers: a loss meanwhile
   * is not reconnected), then disconnects (DISCONNECT with a receipt).
   */
  async close(beforeDisconnect?: () => Promise<void>): Promise<void> {
    this.closing = true;
    await this.opening?.catch(() => undefined);
    await beforeDisconnect?.();
    // Its 'close' is handled as any requested close: the role's `lost`, `disconnect`, CLOSED.
    await this.current?.disconnect();
    this.current = undefined;
    this.options.status(ActiveMQStatus.CLOSED);
  }

  private async openFirst(): Promise<StompConnection> {
    const { brokers, startup, logger } = this.options;
    this.options.status(ActiveMQStatus.CONNECTING);
    const retries = startup.retries ?? 0;
    let connection: StompConnection | undefined;
    try {
      connection = await connectToFirst(brokers, { ...startup, onRetry: (retry, delay, error) => logStartupRetry(logger, brokers, retries, retry, delay, error) });
      if (this.closing) throw new ActiveMQConnectionLostError(`closed while the connection to ${connection.broker} was being opened`);
      await this.options.role.prepare(connection, 'start');
    } catch (error) {
      connection?.destroy();
      this.lastFailure = error;
      if (!this.closing) this.options.status(ActiveMQStatus.DISCONNECTED);
      throw error;
    }
    if (!connection.isClosed) return this.adopt(connection);
    const reason = connection.closeReason;
    this.lastFailure = reason;
    if (reason && this.options.reconnect.enabled && !this.closing) {
      // Lost right after it opened: this call fails (it has no connection to give), and the loss is
      // handled like any other, in the background.
      logger.warn(`lost the connection to ${connection.broker} as it opened: ${reason.message}; reconnecting`);
      void this.startReopening().catch(() => undefined);
      throw reason;
    }
    if (!this.closing) this.options.status(ActiveMQStatus.DISCONNECTED);
    throw reason ?? new ActiveMQConnectionLostError(`the connection to ${connection.broker} ended while it was being opened`);
  }

  /** Makes an open, prepared connection the current one, in one synchronous step. */
  private adopt(connection: StompConnection): StompConnection {
    this.current = connection;
    connection.once('close', (error: StompError | undefined) => this.onClosed(connection, error));
    this.options.status(ActiveMQStatus.CONNECTED);
    this.events.emit('connect', connection.broker);
    watchPrimary(this.options.brokers, connection, this.options.reconnect, (primary) => void this.moveTo(primary, connection));
    return connection;
  }

  private onClosed(connection: StompConnection, error: StompError | undefined): void {
    if (this.current !== connection) return;
    this.current = undefined;
    this.lastFailure = error;
    const { role, logger, reconnect } = this.options;
    role.lost(connection, error);
    this.options.status(this.closing ? ActiveMQStatus.CLOSED : ActiveMQStatus.DISCONNECTED);
    this.events.emit('disconnect', error);
    if (!error || this.closing) return;
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
    const detail = role.lossDetail?.() ?? '';
    if (!reconnect.enabled) {
      // Final: one error line, as when reconnection gives up.
      logger.error(`lost the connection to ${connection.broker}: ${error.message}; reconnection is off${this.afterGivingUp()}${detail}`);
      role.gaveUp(error);
      return;
    }
    // The one line of an outage: the attempts after the first are debug, being back is one `log` line.
    logger.warn(`lost the connection to ${connection.broker}: ${error.message}; reconnecting${detail}`);
    void this.startReopening().catch(() => undefined);
  }

  /** Reconnects in the background; `opening` is that attempt while it lasts. */
  private startReopening(): Promise<StompConnection> {
    this.options.status(ActiveMQStatus.RECONNECTING);
    const reopening = this.reopen();
    this.opening = reopening;
    const done = () => {
      if (this.opening === reopening) this.opening = undefined;
    };
    reopening.then(done, (failure: Error) => {
      done();
      this.lastFailure = failure;
      this.options.role.gaveUp(failure);
      this.options.status(this.closing ? ActiveMQStatus.CLOSED : ActiveMQStatus.DISCONNECTED);
      // Closing while reconnecting is what was asked for, not an error.
      if (this.closing) this.logger.debug?.('reconnection stopped: closing');
      else this.logger.error(`${failure.message}${this.afterGivingUp()}`);
    });
    return reopening;
  }

  /**
   * Reconnects and prepares the new connection; one lost during its preparation is given up and
   * the next one tried, so that `connected` is never reported over a dead connection. A
   * preparation that fails on a live connection (the broker refused it) is final: reconnecting
   * cannot fix it.
   */
  private async reopen(): Promise<StompConnection> {
    const { brokers, reconnect: policy, role } = this.options;
    for (;;) {
      // The first attempt's warning is the loss's own line (onClosed); later ones are debug.
      const connection = await reconnect(
        brokers,
        policy,
        () => this.closing,
        (attempt) => attempt > 1 && logAttempt(this.logger, attempt),
      );
      try {
        await role.prepare(connection, 'reconnect');
      } catch (error) {
        const lost = connection.isClosed || error instanceof StompConnectionClosedError;
        connection.destroy();
        this.lastFailure = error;
        if (!lost) throw error;
      }
      if (this.closing) {
        connection.destroy();
        throw new ActiveMQConnectionLostError('closed while reconnecting');
      }
      if (!connection.isClosed) {
        this.reconnections++;
        this.logger.log(`reconnected to ${connection.broker}${role.reconnectedDetail?.() ?? ''}`);
        return this.adopt(connection);
      }
      this.lastFailure = connection.closeReason;
      this.logger.debug?.(`the connection to ${connection.broker} ended while it was being prepared (${connection.closeReason?.message ?? 'closed'}); reconnecting again`);
    }
  }

  /**
   * `priorityBackup`: the first broker answers again. What is in flight on the backup finishes
   * (the role's bounded drain), the backup is DISCONNECTed, and the primary is prepared and
   * adopted; callers of `connect()` wait meanwhile. If the move fails once the backup is gone,
   * the loss is handled as any other: reconnection.
   */
  private async moveTo(primary: StompConnection, backup: StompConnection): Promise<void> {
    if (this.current !== backup || this.closing) return primary.destroy();
    const { role } = this.options;
    let leftBackup = false;
    const moved = (async () => {
      await role.drainBackup(backup);
      if (this.current !== backup || this.closing) throw new ActiveMQConnectionLostError('the backup connection ended before the move');
      this.current = undefined;
      leftBackup = true;
      this.options.status(ActiveMQStatus.RECONNECTING);
      role.lost(backup, undefined);
      this.events.emit('disconnect', undefined);
      await backup.disconnect();
      await role.prepare(primary, 'primary');
      if (primary.isClosed) throw primary.closeReason ?? new ActiveMQConnectionLostError(`the connection to ${primary.broker} ended while it was being prepared`);
      this.adopt(primary);
      this.logger.log(`moved back to ${primary.broker} (priorityBackup)`);
      return primary;
    })();
    this.opening = moved;
    try {
      await moved;
    } catch (error) {
      primary.destroy();
      this.lastFailure = error;
      this.logger.warn(`could not move back to ${primary.broker}: ${(error as Error).message}${leftBackup ? '; reconnecting' : ''}`);
      if (leftBackup && !this.closing) void this.startReopening().catch(() => undefined);
    } finally {
      if (this.opening === moved) this.opening = undefined;
    }
  }

  private afterGivingUp(): string {
    const words = this.options.role.afterGivingUp;
    return words ? `; ${words}` : '';
  }
}
