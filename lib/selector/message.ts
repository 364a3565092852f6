/**
 * A message as a selector sees it: the STOMP headers of its MESSAGE frame, all strings
 * (`message-id`, `priority`, `timestamp`, `expires`, `persistent`, `correlation-id`, `type`,
 * `redelivered`, `JMSXGroupID`, and the sender's own headers), and how many times it has been
 * delivered, this delivery included (`JMSXDeliveryCount`; 1 when not given).
 */
export type SelectorMessage = {
  /** The MESSAGE frame's headers, by name. */
  readonly headers: Readonly<Record<string, string>>;
  /** The deliveries of the message so far, this one included: 1 on the first delivery. */
  readonly deliveryCount?: number;
};
