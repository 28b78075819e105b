// A real OAuth 2.0 / OpenID provider on loopback (oauth2-mock-server): discovery, JWKS and
// RS256-signed JWT access tokens. For tests of the server's token checks:
//   node provider.mjs
// prints "issuer URL" and "control URL". A token request may bend the token it gets, to
// make the bad tokens the server must refuse:
//   POST <issuer>/token grant_type=client_credentials&aud=A&sub=S[&iss=I][&exp_in=SECONDS]
// POST <control>/rotate publishes a new signing key and answers its kid; tokens are then
// signed with the old and new keys in turn.
import { createServer } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

const provider = new OAuth2Server();
await provider.issuer.keys.generate('RS256');
provider.service.on('beforeTokenSigning', (token, req) => {
  const asked = req.body ?? {};
  if (asked.sub) token.payload.sub = asked.sub;
  if (asked.iss) token.payload.iss = asked.iss;
  if (asked.exp_in !== undefined) token.payload.exp = Math.floor(Date.now() / 1000) + Number(asked.exp_in);
});
await provider.start(0, '127.0.0.1');

const control = createServer(async (request, response) => {
  if (request.method === 'POST' && request.url === '/rotate') {
    const key = await provider.issuer.keys.generate('RS256');
    return response.end(key.kid);
  }
  return response.writeHead(404).end();
});
control.listen(0, '127.0.0.1', () => {
  console.log(`issuer ${provider.issuer.url}`);
  console.log(`control http://127.0.0.1:${control.address().port}`);
});
