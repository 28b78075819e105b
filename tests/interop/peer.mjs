// The official Replicache client as a peer of a Promptdeck server, driven by
// server/tests/interop.rs through its standard output:
//   node peer.mjs BASE_URL SPACE TOKEN
// 1. creates prompt/from-node, waits until the server acknowledged it, prints "created";
// 2. pulls until it sees prompt/from-rust and the Rust side's rename of from-node,
//    then prints both as one JSON line and exits. Gives up after 30 s.
import { Replicache } from 'replicache';
import { mutators } from './mutators.mjs';

const [base, space, token] = process.argv.slice(2);
const url = (path) => `${base}/api/replicache/${path}?space=${space}`;
const rep = new Replicache({
  name: `peer-${process.pid}`, kvStore: 'mem', schemaVersion: '1',
  pushURL: url('push'), pullURL: url('pull'), auth: `Bearer ${token}`,
  mutators, pullInterval: null,
});
const deadline = Date.now() + 30_000;
const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
const until = async (check) => {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await rep.pull();
    await pause();
  }
};

await rep.mutate.createPrompt({
  id: 'from-node', title: 'From Node', body: 'written by the official client', tags: ['interop'],
  createdAt: 1732460000000,
});
await until(async () => (await rep.experimentalPendingMutations()).length === 0);
console.log('created');

const read = (key) => rep.query((tx) => tx.get(key));
await until(async () => (await read('prompt/from-rust')) !== undefined
  && (await read('prompt/from-node'))?.title === 'Renamed by Rust');
console.log(JSON.stringify({ fromRust: await read('prompt/from-rust'), fromNode: await read('prompt/from-node') }));
await rep.close();
