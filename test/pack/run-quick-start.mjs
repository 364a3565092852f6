// Runs the README's quick start as a user would (scripts/pack-test.sh, in a fresh app): starts
// `node MAIN` on a free port, waits for the curl line it prints, POSTs that order, and expects the
// reply {"total":25} and the event handler's `placed: 2 × book = 25` line. Exits 0 when both came,
// 1 with the app's output otherwise (the app exiting, a wrong reply, 60 s without them).
//   node run-quick-start.mjs path/to/main.js
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const main = process.argv[2];
if (!main) {
  console.error('usage: node run-quick-start.mjs path/to/main.js');
  process.exit(2);
}

const port = await new Promise((resolve, reject) => {
  const server = createServer().once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

const app = spawn(process.execPath, [main], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
let done = false;
const finish = (code, message) => {
  if (done) return;
  done = true;
  clearTimeout(timer);
  app.kill('SIGTERM');
  process.stdout.write(output);
  console.log(message);
  process.exitCode = code;
};
const timer = setTimeout(() => finish(1, 'FAIL quick start: no reply and placed line within 60 s'), 60_000);
app.once('exit', (code, signal) => finish(1, `FAIL quick start: the app exited (${signal ?? code}) before it was done`));

let posted = false;
let reply;
const check = () => {
  if (reply !== undefined && /^placed: 2 × book = 25 \(from \S+, redelivered: false\)$/m.test(output)) finish(0, `quick start: reply ${reply}, event handled`);
};
const onData = (chunk) => {
  output += chunk;
  const url = /^curl -X POST (http:\/\/127\.0\.0\.1:\d+\/orders) /m.exec(output)?.[1];
  if (url && !posted) {
    posted = true;
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'book', quantity: 2 }) })
      .then(async (response) => {
        const text = await response.text();
        if (response.status !== 201 || JSON.stringify(JSON.parse(text)) !== '{"total":25}') return finish(1, `FAIL quick start: POST /orders answered ${response.status} ${text}`);
        reply = text;
        check();
      })
      .catch((error) => finish(1, `FAIL quick start: POST /orders: ${error.message}`));
  }
  check();
};
app.stdout.setEncoding('utf8').on('data', onData);
app.stderr.setEncoding('utf8').on('data', onData);
