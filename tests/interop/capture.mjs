// Records the exact push and pull bodies the official Replicache client sends, for
// protocol/tests/wire_fixtures.rs. Run by hand after upgrading replicache:
//   cd tests/interop && npm ci && node capture.mjs ../../protocol/tests/fixtures
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Replicache } from 'replicache';
import { mutators } from './mutators.mjs';

const out = process.argv[2] ?? 'fixtures';
mkdirSync(out, { recursive: true });
const seen = { push: [], pull: [] };
let waiting = [];

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const kind = req.url.startsWith('/push') ? 'push' : 'pull';
    seen[kind].push({ body, headers: req.headers });
    res.setHeader('Content-Type', 'application/json');
    if (kind === 'push') {
      res.end('{}');
    } else {
      const { clientGroupID } = JSON.parse(body);
      res.end(JSON.stringify({
        cookie: 1,
        lastMutationIDChanges: {},
        patch: [{ op: 'put', key: 'prompt/from-server', value: {
          id: 'from-server', title: 'From the server', body: 'Hello', tags: [],
          createdAt: 1, updatedAt: 1, useCount: 0, lastUsedAt: null,
        } }],
      }));
      void clientGroupID;
    }
    waiting = waiting.filter((w) => !w());
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const until = (check) => new Promise((resolve) => {
  const poll = () => (check() ? (resolve(), true) : false);
  if (!poll()) waiting.push(poll);
});

const rep = new Replicache({
  name: 'promptdeck-capture', kvStore: 'mem', schemaVersion: '1',
  pushURL: `${base}/push`, pullURL: `${base}/pull`, auth: 'Bearer test-token',
  mutators, pullInterval: null,
});
await until(() => seen.pull.length >= 1);
await rep.mutate.createPrompt({
  id: '01J9ZKCAPTURE', title: 'Summarise', body: 'Summarise {{clipboard}}', tags: ['work'],
  createdAt: 1732460000000,
});
await rep.mutate.updatePrompt({ id: '01J9ZKCAPTURE', title: 'Summarise briefly', updatedAt: 1732460000500 });
await rep.mutate.markPromptUsed({ id: '01J9ZKCAPTURE', at: 1732460001000 });
await until(() => seen.push.length >= 1);
await rep.pull();
await until(() => seen.pull.length >= 2);

const write = (name, { body, headers }) => {
  writeFileSync(join(out, `${name}.json`), body + '\n');
  const picked = Object.fromEntries(Object.entries(headers)
    .filter(([k]) => ['content-type', 'authorization', 'x-replicache-requestid'].includes(k)));
  writeFileSync(join(out, `${name}.headers.json`), JSON.stringify(picked, null, 2) + '\n');
};
write('push', seen.push[0]);
write('pull-first', seen.pull[0]);
write('pull-after-cookie', seen.pull[seen.pull.length - 1]);
console.log(`captured ${seen.push.length} push and ${seen.pull.length} pull requests into ${out}`);
await rep.close();
server.close();
