import { connect, uniqueQueue } from '../../support/connect.js';

const selectors = [
  "amount > 4", "amount = '5'", "amount = 5", "amount + 0 > 4", "JMSPriority > 4", "JMSType = 'OrderPlaced'",
  "JMSCorrelationID = 'c-1'", "JMSDeliveryMode = 'PERSISTENT'", "JMSMessageID IS NOT NULL", "JMSXGroupID = 'g1'",
  "region LIKE 'E_'", "missing IS NULL", "NOT (missing = 'x')", "flag = TRUE", "flag = 'true'", "JMSTimestamp > 0",
  "JMSRedelivered = FALSE", "JMSXDeliveryCount >= 1", "JMSExpiration = 0", "region IN ('EU','US')",
];

it('probe selectors', async () => {
  const out: Record<string, boolean | string> = {};
  const raw = await connect();
  for (const selector of selectors) {
    const q = uniqueQueue('sel');
    const sub = await connect();
    let got = false;
    try {
      await sub.subscribe(q, () => (got = true), { headers: { selector } });
    } catch (e) { out[selector] = `refused: ${(e as Error).message.slice(0, 80)}`; await sub.disconnect().catch(() => {}); continue; }
    await raw.send(q, { persistent: 'true', priority: '7', type: 'OrderPlaced', 'correlation-id': 'c-1', JMSXGroupID: 'g1', amount: '5', region: 'EU', flag: 'true' }, 'x', { receipt: true });
    await new Promise((r) => setTimeout(r, 300));
    out[selector] = got;
    await sub.disconnect();
  }
  console.log(JSON.stringify(out, null, 1));
  await raw.disconnect();
}, 60000);
