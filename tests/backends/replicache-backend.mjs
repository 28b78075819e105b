// A second Replicache backend, written apart from promptdeck-server from the Replicache
// documentation's per-space-version strategy, with an in-memory store. It lays its
// endpoints out differently on purpose, so Promptdeck is shown to follow settings rather
// than assume promptdeck-server:
//   POST /spaces/<space>/push   POST /spaces/<space>/pull   GET /spaces/<space>/poke (SSE)
// It wants the raw token in Authorization (no "Bearer "), answers pushes with a plain-text
// body, and hands out cookies as objects with an `order` (or, with --cookie string, as
// zero-padded strings).
//   node replicache-backend.mjs --token TOKEN [--port 0] [--cookie object|string] [--no-poke]
// Prints "listening PORT" once it accepts connections.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { mutators } from '../interop/mutators.mjs';

const { values: options } = parseArgs({
  options: {
    token: { type: 'string' },
    port: { type: 'string', default: '0' },
    cookie: { type: 'string', default: 'object' },
    'no-poke': { type: 'boolean', default: false },
  },
});

const spaces = new Map();
const space = (id) => {
  if (!spaces.has(id)) {
    spaces.set(id, { version: 0, entries: new Map(), clients: new Map(), groups: new Set(), listeners: new Set() });
  }
  return spaces.get(id);
};

const cookieFor = (version) => (options.cookie === 'string'
  ? String(version).padStart(12, '0')
  : { order: version, issuedBy: 'tests/backends' });
const versionOf = (cookie) => {
  if (cookie === null) return 0;
  if (typeof cookie === 'string') return Number(cookie);
  return cookie.order;
};

// The WriteTransaction the mutators expect, over one space at one version.
const transaction = (s, version) => ({
  async get(key) {
    const entry = s.entries.get(key);
    return entry && !entry.deleted ? structuredClone(entry.value) : undefined;
  },
  async has(key) {
    return (await this.get(key)) !== undefined;
  },
  async set(key, value) {
    s.entries.set(key, { value: structuredClone(value), deleted: false, version });
  },
  async del(key) {
    if (s.entries.has(key)) s.entries.set(key, { value: null, deleted: true, version });
  },
});

async function push(s, body) {
  if (body.pushVersion !== 1) return { error: 'VersionNotSupported', versionType: 'push' };
  s.groups.add(body.clientGroupID);
  for (const m of body.mutations) {
    const client = s.clients.get(m.clientID) ?? { group: body.clientGroupID, lastMutationID: 0, version: 0 };
    if (m.id <= client.lastMutationID) continue;
    if (m.id > client.lastMutationID + 1) throw new Error(`mutation ${m.id} came before ${client.lastMutationID + 1}`);
    const next = s.version + 1;
    try {
      await mutators[m.name](transaction(s, next), m.args);
    } catch (error) {
      // Error mode: processed without effect, so the client is not wedged.
      console.error(`mutation ${m.name} ${m.id} failed: ${error.message}`);
    }
    s.clients.set(m.clientID, { ...client, lastMutationID: m.id, version: next });
    s.version = next;
  }
  for (const listener of s.listeners) listener.write('data: poke\n\n');
  return 'OK';
}

function pull(s, body) {
  if (body.pullVersion !== 1) return { error: 'VersionNotSupported', versionType: 'pull' };
  const since = versionOf(body.cookie);
  if (body.cookie !== null && !s.groups.has(body.clientGroupID)) return { error: 'ClientStateNotFound' };
  s.groups.add(body.clientGroupID);
  const patch = body.cookie === null ? [{ op: 'clear' }] : [];
  for (const [key, entry] of s.entries) {
    if (entry.version <= since) continue;
    patch.push(entry.deleted ? { op: 'del', key } : { op: 'put', key, value: entry.value });
  }
  const lastMutationIDChanges = {};
  for (const [id, client] of s.clients) {
    if (client.group === body.clientGroupID && client.version > since) lastMutationIDChanges[id] = client.lastMutationID;
  }
  return { cookie: cookieFor(s.version), lastMutationIDChanges, patch, servedBy: 'tests/backends' };
}

const readBody = async (request) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

const server = createServer(async (request, response) => {
  const match = /^\/spaces\/([^/?]+)\/(push|pull|poke)$/.exec(new URL(request.url, 'http://x').pathname);
  if (!match) return response.writeHead(404).end();
  if (request.headers.authorization !== options.token) return response.writeHead(401).end('token');
  const [, id, action] = match;
  const s = space(decodeURIComponent(id));
  try {
    if (action === 'poke') {
      if (options['no-poke']) return response.writeHead(404).end();
      response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      response.write(': connected\n\n');
      s.listeners.add(response);
      request.on('close', () => s.listeners.delete(response));
      return undefined;
    }
    const body = await readBody(request);
    const answer = action === 'push' ? await push(s, body) : pull(s, body);
    if (typeof answer === 'string') return response.writeHead(200, { 'Content-Type': 'text/plain' }).end(answer);
    return response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
  } catch (error) {
    return response.writeHead(400, { 'Content-Type': 'text/plain' }).end(error.message);
  }
});
server.listen(Number(options.port), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
