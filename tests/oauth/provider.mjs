// A real OAuth 2.0 / OpenID provider on loopback (oauth2-mock-server): discovery, JWKS,
// authorization code with PKCE, and RS256-signed JWT access tokens.
//   node provider.mjs [audience]
// prints "issuer URL" and "control URL". Access tokens from a sign-in or a refresh carry
// `aud` = audience (default promptdeck-sync) and `sub` = johndoe.
//
// oauth2-mock-server accepts any refresh token; this wrapper makes refresh honest, as real
// providers are: refresh tokens rotate on every use, an unknown or revoked one is refused
// with invalid_grant, and reusing an old one revokes the whole sign-in.
//
// A token request may bend the token it gets, to make the bad tokens a server must refuse:
//   POST <issuer>/token grant_type=client_credentials&aud=A&sub=S[&iss=I][&exp_in=SECONDS]
// Control:
//   POST <control>/rotate            publish a new signing key; answers its kid
//   POST <control>/ttl?real=S&told=T  access tokens expire after S seconds and say they
//                                     last T (default S): T > S makes a client meet 401s
//   POST <control>/revoke            refuse every refresh token issued so far
//   GET  <control>/stats             {"signIns", "refreshes", "refused", "reuses"}
//   GET  <control>/secrets           every code, verifier and token that crossed the token
//                                     endpoint, for tests that prove none reached a log
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

const audience = process.argv[2] ?? 'promptdeck-sync';
const provider = new OAuth2Server();
await provider.issuer.keys.generate('RS256');

const lifetime = { real: null, told: null };
const stats = { signIns: 0, refreshes: 0, refused: 0, reuses: 0 };
// refresh token -> { family, used }; a family is one sign-in and its rotations.
const refreshTokens = new Map();
const revokedFamilies = new Set();
let nextFamily = 1;
const secrets = new Set();
const remember = (...values) => values.filter((v) => typeof v === 'string').forEach((v) => secrets.add(v));

provider.service.on('beforeTokenSigning', (token, req) => {
  const asked = req.body ?? {};
  // Every token is distinct, as a real provider's are, even two issued in one second.
  token.payload.jti = randomUUID();
  const signedIn = asked.grant_type === 'authorization_code' || asked.grant_type === 'refresh_token';
  // The id token names the client as its audience; the access token names the API.
  if (signedIn && token.payload.aud === undefined) token.payload.aud = audience;
  if (signedIn && lifetime.real !== null) token.payload.exp = Math.floor(Date.now() / 1000) + lifetime.real;
  if (asked.sub) token.payload.sub = asked.sub;
  if (asked.iss) token.payload.iss = asked.iss;
  if (asked.exp_in !== undefined) token.payload.exp = Math.floor(Date.now() / 1000) + Number(asked.exp_in);
});

const refuse = (response, description) => {
  stats.refused += 1;
  response.statusCode = 400;
  response.body = { error: 'invalid_grant', error_description: description };
};

provider.service.on('beforeResponse', (response, req) => {
  const asked = req.body ?? {};
  remember(asked.code, asked.code_verifier, asked.refresh_token);
  const body = response.body ?? {};
  remember(body.access_token, body.refresh_token, body.id_token);
  if (asked.grant_type === 'refresh_token') {
    const known = refreshTokens.get(asked.refresh_token);
    if (known === undefined) return refuse(response, 'the refresh token is unknown');
    if (revokedFamilies.has(known.family)) return refuse(response, 'the refresh token was revoked');
    if (known.used) {
      stats.reuses += 1;
      revokedFamilies.add(known.family);
      return refuse(response, 'the refresh token was already used; the sign-in is revoked');
    }
    known.used = true;
    stats.refreshes += 1;
    refreshTokens.set(response.body.refresh_token, { family: known.family, used: false });
  } else if (asked.grant_type === 'authorization_code') {
    stats.signIns += 1;
    refreshTokens.set(response.body.refresh_token, { family: nextFamily++, used: false });
  } else {
    return;
  }
  if (lifetime.real !== null) response.body.expires_in = lifetime.told ?? lifetime.real;
});

await provider.start(0, '127.0.0.1');

const control = createServer(async (request, response) => {
  const url = new URL(request.url, 'http://control');
  if (request.method === 'POST' && url.pathname === '/rotate') {
    const key = await provider.issuer.keys.generate('RS256');
    return response.end(key.kid);
  }
  if (request.method === 'POST' && url.pathname === '/ttl') {
    lifetime.real = Number(url.searchParams.get('real'));
    lifetime.told = url.searchParams.has('told') ? Number(url.searchParams.get('told')) : null;
    return response.end('ok');
  }
  if (request.method === 'POST' && url.pathname === '/revoke') {
    for (const { family } of refreshTokens.values()) revokedFamilies.add(family);
    return response.end('ok');
  }
  if (request.method === 'GET' && url.pathname === '/secrets') {
    response.setHeader('content-type', 'application/json');
    return response.end(JSON.stringify([...secrets]));
  }
  if (request.method === 'GET' && url.pathname === '/stats') {
    response.setHeader('content-type', 'application/json');
    return response.end(JSON.stringify(stats));
  }
  return response.writeHead(404).end();
});
control.listen(0, '127.0.0.1', () => {
  console.log(`issuer ${provider.issuer.url}`);
  console.log(`control http://127.0.0.1:${control.address().port}`);
});
