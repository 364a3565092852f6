import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { thrown } from '../../support/thrown.js';
import { checkAllowedReplyTo, ReplyDestinations } from '../../../lib/server/reply-destinations.js';
import { BrokerDialect } from '../../../lib/wire/broker-dialect.js';

describe('reply destinations', () => {
  it('allows temporary destinations, as ActiveMQ names them, and the allowed patterns only', () => {
    const replies = new ReplyDestinations(checkAllowedReplyTo(['/queue/replies.*', '/topic/answers.>', '/queue/exact']));
    for (const allowed of ['/remote-temp-queue/ID:host-1-2:3:1', '/temp-queue/mine', '/remote-temp-topic/ID:x:1', '/queue/replies.a', '/topic/answers.a.b', '/queue/exact']) {
      expect([allowed, replies.allows(allowed)]).toEqual([allowed, true]);
    }
    for (const refused of ['/queue/orders', '/queue/replies.a.b', '/queue/replies', '/queue/exactly', '/topic/answers', '/queue/ID:host-1-2:3:1', 'replies.a']) {
      expect([refused, replies.allows(refused)]).toEqual([refused, false]);
    }
  });
});

describe('ReplyDestinations: patterns', () => {
  const allows = (patterns: string[], destination: string) => new ReplyDestinations(checkAllowedReplyTo(patterns)).allows(destination);

  it('without allowedReplyTo, only temporary destinations are allowed', () => {
    const replies = new ReplyDestinations(checkAllowedReplyTo(undefined));
    expect(['/temp-queue/r', '/temp-topic/r', '/remote-temp-queue/ID:a:1', '/remote-temp-topic/ID:a:1'].map((d) => replies.allows(d))).toEqual([true, true, true, true]);
    expect(['/queue/r', '/topic/r', '/temp-queue/', '/remote-temp-queue/', '/tmp-queue/r'].map((d) => replies.allows(d))).toEqual([false, false, false, false, false]);
  });

  it("'*' stands for exactly one name segment", () => {
    expect(['/queue/a.x.b', '/queue/a.xyz.b', '/queue/a.b', '/queue/a.x.y.b', '/queue/a..b'].map((d) => allows(['/queue/a.*.b'], d))).toEqual([true, true, false, false, false]);
  });

  it("'>' stands for one or more segments at the end", () => {
    expect(['/topic/a.b', '/topic/a.b.c', '/topic/a', '/topic/a.'].map((d) => allows(['/topic/a.>'], d))).toEqual([true, true, false, false]);
    expect(allows(['/queue/>'], '/queue/anything.at.all')).toBe(true);
  });

  it('a queue pattern does not allow the topic of the same name, nor the other way round', () => {
    expect(allows(['/queue/replies'], '/topic/replies')).toBe(false);
    expect(allows(['/topic/replies'], '/queue/replies')).toBe(false);
  });

  it('characters that mean something in a regular expression are taken literally', () => {
    expect(allows(['/queue/a+b'], '/queue/aab')).toBe(false);
    expect(allows(['/queue/a+b'], '/queue/a+b')).toBe(true);
    expect(allows(['/queue/(x)|y'], '/queue/y')).toBe(false);
    expect(allows(['/queue/a.b'], '/queue/aXb')).toBe(false);
  });

  it('a pattern matches the whole destination, not a part of it', () => {
    expect(allows(['/queue/replies'], '/queue/replies.more')).toBe(false);
    expect(allows(['/queue/replies'], 'x/queue/replies')).toBe(false);
  });
});

describe('checkAllowedReplyTo', () => {
  it('gives back the patterns it checked, and none for undefined', () => {
    const patterns = ['/queue/replies.*', '/topic/answers.>'];
    expect(checkAllowedReplyTo(patterns)).toBe(patterns);
    expect(checkAllowedReplyTo(undefined)).toEqual([]);
  });

  it.each([
    ['a string instead of an array', '/queue/replies.*', "allowedReplyTo must be an array of destinations such as '/queue/replies.*', got string"],
    ['a number entry', [7], "allowedReplyTo entries are destinations starting with /queue/ or /topic/ (e.g. '/queue/replies.*'), got 7"],
    ['a name without prefix', ['replies'], 'allowedReplyTo entries are destinations starting with /queue/ or /topic/ (e.g. \'/queue/replies.*\'), got "replies"'],
    ['a prefix without a name', ['/queue/'], 'allowedReplyTo entries are destinations starting with /queue/ or /topic/ (e.g. \'/queue/replies.*\'), got "/queue/"'],
    ['a temporary queue', ['/temp-queue/x'], 'allowedReplyTo entries are destinations starting with /queue/ or /topic/ (e.g. \'/queue/replies.*\'), got "/temp-queue/x"'],
    ["'>' before the last segment", ['/queue/a.>.b'], "allowedReplyTo '/queue/a.>.b': '>' matches the rest of a name, so it can only be its last segment"],
    ['a partial wildcard', ['/topic/a.b*'], "allowedReplyTo '/topic/a.b*': '*' and '>' stand for whole name segments (between dots), as in '/queue/replies.*'"],
  ])('refuses %s with an InvalidOptionError that says what is wrong', (_label, value, message) => {
    const error = thrown(() => checkAllowedReplyTo(value)) as InvalidOptionError;
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect([error.option, error.message]).toEqual(['allowedReplyTo', message]);
  });
});

describe('ReplyDestinations: Artemis JMS reply-to names', () => {
  const artemis = BrokerDialect.of('ActiveMQ-Artemis/2.40.0 ActiveMQ Artemis Messaging Engine');

  it("queue:// and topic:// (how Artemis' JMS client writes JMSReplyTo) are checked as /queue/ and /topic/ against allowedReplyTo", () => {
    const replies = new ReplyDestinations(checkAllowedReplyTo(['/queue/replies.*']));
    expect(['queue://replies.a', 'topic://replies.a', 'queue://orders', 'replies.a'].map((d) => replies.allows(d, artemis))).toEqual([true, false, false, true]);
  });

  it('a JMS temporary queue is allowed without allowedReplyTo', () => {
    const replies = new ReplyDestinations(checkAllowedReplyTo(undefined));
    expect(replies.allows('temp-queue://0f8fad5b-d9cb-469f-a165-70867728950e', artemis)).toBe(true);
    expect(replies.allows('temp-queue://orders', artemis)).toBe(false);
  });
});
