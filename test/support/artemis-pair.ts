import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/artemis.sh');

/** A member of the pair: the one started as primary, or the one started as its backup. */
export type PairMember = 'primary' | 'backup';

/**
 * An Apache ActiveMQ Artemis primary/backup pair with shared-nothing replication, started by
 * `scripts/artemis.sh start-pair` in a temp directory of its own (DIR/primary, DIR/backup). The
 * script's header says what a member does when it starts again (no failback: it joins the active
 * member as its backup).
 */
export class ArtemisPair {
  private constructor(readonly dir: string) {}

  /** Starts a new pair; resolves once the primary is active and the backup synchronized with it. */
  static async start(): Promise<ArtemisPair> {
    const pair = new ArtemisPair(mkdtempSync(join(tmpdir(), 'nestjs-artemis-pair-')));
    try {
      await pair.script('start-pair', pair.dir);
    } catch (error) {
      await pair.clean().catch(() => undefined);
      throw error;
    }
    return pair;
  }

  /** `failover:(stomp://…primary,stomp://…backup)`, credentials included. */
  async url(): Promise<string> {
    return this.script('url', this.dir);
  }

  /** One member's `stomp://` URL. */
  async memberUrl(member: PairMember): Promise<string> {
    return this.script('url', this.memberDir(member));
  }

  /** `127.0.0.1:port` of a member's STOMP acceptor, as the transport's `connect` event names it. */
  endpoint(member: PairMember): string {
    const env = readFileSync(join(this.memberDir(member), 'broker.env'), 'utf8');
    return `127.0.0.1:${/^STOMP_PORT=(\d+)$/m.exec(env)?.[1] ?? '?'}`;
  }

  /** The member that is active now. */
  async live(): Promise<PairMember> {
    const dir = await this.script('live', this.dir);
    return dir.endsWith('/primary') ? 'primary' : 'backup';
  }

  /** kill -9 of one member: a crash. */
  async kill(member: PairMember): Promise<void> {
    await this.script('kill', this.memberDir(member));
  }

  /** Starts a member again; resolves once it is active or a synchronized backup. */
  async restart(member: PairMember): Promise<void> {
    await this.script('restart', this.memberDir(member));
  }

  /** Stops both members and removes the directory. */
  async clean(): Promise<void> {
    await this.script('clean', this.dir);
  }

  private memberDir(member: PairMember): string {
    return join(this.dir, member);
  }

  private async script(verb: string, target: string): Promise<string> {
    const { stdout } = await run('bash', [SCRIPT, verb, target], { env: process.env, timeout: 300_000 });
    return stdout.trim();
  }
}
