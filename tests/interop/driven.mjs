// The official Replicache client as a peer that a Rust test drives line by line:
//   node driven.mjs PUSH_URL PULL_URL AUTH
// Each line on standard input is one JSON command; each gets one line of answer:
//   {"op": "mutate", "name": "createPrompt", "args": {...}}   -> "ok" once applied locally
//   {"op": "pushed"}        -> "ok" once the server acknowledged every local mutation
//   {"op": "converge", "expect": {"prompt/x": {"title": ..., ...}, ...}}
//                           -> "ok" once pulls made this client's prompts equal `expect`
//                              (the listed fields of each, and the same keys), else after
//                              30 s "timeout <what it has>"
//   {"op": "dump"}          -> every prompt/ entry as one JSON object
import { createInterface } from 'node:readline';
import { Replicache } from 'replicache';
import { mutators } from './mutators.mjs';

const [pushURL, pullURL, auth] = process.argv.slice(2);
const rep = new Replicache({
  name: `driven-${process.pid}`, kvStore: 'mem', schemaVersion: '1',
  pushURL, pullURL, auth, mutators, pullInterval: null,
});

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
const dump = () => rep.query(async (tx) => Object.fromEntries(
  await tx.scan({ prefix: 'prompt/' }).entries().toArray()));
const matches = (have, expect) => {
  const keys = Object.keys(have).sort();
  if (JSON.stringify(keys) !== JSON.stringify(Object.keys(expect).sort())) return false;
  return keys.every((key) => Object.entries(expect[key])
    .every(([field, value]) => JSON.stringify(have[key][field]) === JSON.stringify(value)));
};
const until = async (check) => {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await rep.pull();
    await pause();
  }
  return true;
};

const commands = {
  async mutate({ name, args }) {
    await rep.mutate[name](args);
    return 'ok';
  },
  async pushed() {
    const done = await until(async () => (await rep.experimentalPendingMutations()).length === 0);
    return done ? 'ok' : 'timeout';
  },
  async converge({ expect }) {
    const done = await until(async () => matches(await dump(), expect));
    return done ? 'ok' : `timeout ${JSON.stringify(await dump())}`;
  },
  async dump() {
    return JSON.stringify(await dump());
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  try {
    console.log(await commands[command.op](command));
  } catch (error) {
    console.log(`error ${error.message}`);
  }
}
await rep.close();
