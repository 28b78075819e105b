// Times the official Replicache client's initial sync of a space, for benches/sync.rs:
//   node initial-pull.mjs BASE_URL SPACE EXPECTED_COUNT
// Prints the milliseconds from creating the client to holding every prompt.
import { Replicache } from 'replicache';
import { mutators } from './mutators.mjs';

const [base, space, expected] = process.argv.slice(2);
const started = performance.now();
const rep = new Replicache({
  name: `bench-${process.pid}`, kvStore: 'mem', schemaVersion: '1',
  pullURL: `${base}/api/replicache/pull?space=${space}`,
  pushURL: `${base}/api/replicache/push?space=${space}`,
  mutators, pullInterval: null,
});
await new Promise((resolve) => {
  rep.subscribe(
    (tx) => tx.scan({ prefix: 'prompt/' }).keys().toArray(),
    { onData: (keys) => { if (keys.length >= Number(expected)) resolve(); } },
  );
});
console.log((performance.now() - started).toFixed(3));
await rep.close();
