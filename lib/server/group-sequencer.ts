import type { GateTask } from './concurrency-gate.js';
/**
 * Keeps each message group in order in front of a handler gate: a group's next message starts
 * only when its previous one finished, while different groups (and messages without a group) run
 * side by side up to the gate's limit. The broker already gives all of one group to one consumer
 * (`JMSXGroupID`, the ActiveMQ Classic documentation's "Message Groups" page; Artemis' "Message
 * Grouping" page), in order; without this, a server running 16 handlers at once would still finish
 * them out of order.
 *
 * `submit(group, task)` hands `task` to `start` (the gate) at once when its group is idle, or
 * queues it behind the group's running task. `clear()` forgets every queued task (their messages,
 * unacknowledged, come back from the broker) and starts a new era: a task of the old era that
 * finishes later does not start what was queued in the new one out of turn.
 */
export class GroupSequencer {
  /** Per group, the tasks waiting for the one that runs; a group is present while one of its tasks runs or waits at the gate. */
  private readonly groups = new Map<string, GateTask[]>();
  private era = 0;

  constructor(private readonly start: (task: GateTask) => boolean) {}

  /** Groups with a task running or waiting. */
  get size(): number {
    return this.groups.size;
  }

  /**
   * Runs `task` in its group's order; without a group, at once (through `start`). True when it was
   * handed to `start` and started there; false when it waits (in its group, or at the gate).
   */
  submit(group: string | undefined, task: GateTask): boolean {
    if (group === undefined) return this.start(task);
    const queued = this.groups.get(group);
    if (queued) {
      queued.push(task);
      return false;
    }
    this.groups.set(group, []);
    return this.launch(group, task);
  }

  /** Drops what waits in every group and starts over (the gate dropped what waited there too). */
  clear(): void {
    this.groups.clear();
    this.era++;
  }

  private launch(group: string, task: GateTask): boolean {
    const era = this.era;
    // The group's next message waits for this one to end, not for its place to be released.
    return this.start(async (release) => {
      try {
        await task(release);
      } finally {
        if (era === this.era) this.next(group);
      }
    });
  }

  private next(group: string): void {
    const queued = this.groups.get(group);
    const task = queued?.shift();
    if (task === undefined) this.groups.delete(group);
    else void this.launch(group, task);
  }
}
