// A local OpenID Connect provider for the sign-in tests (tests/hosted/test_proconnect.py): panva's
// certified oidc-provider, configured as ProConnect presents itself to a service (scopes named
// after their claims, client_secret_post, userinfo answered as a signed JWT), with a minimal
// interaction of its own: POST /interaction/:uid/login logs in the e-mail given, POST
// /interaction/:uid/abort refuses (access_denied). Consent is granted to the one first-party client.
//
// Usage: node provider.mjs <port> <client_id> <client_secret> <redirect_uri> <post_logout_redirect_uri>
// Prints one line « ready <issuer> » once it listens on 127.0.0.1.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const [port, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const SCOPES = 'openid email given_name usual_name siret';

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
    userinfo_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signing] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: SCOPES.split(' '),
  claims: {
    openid: ['sub'],
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    siret: ['siret'],
  },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  ttl: { IdToken: 60, AccessToken: 60, AuthorizationCode: 30, Interaction: 600, Session: 3600, Grant: 3600 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // The subject is opaque, as ProConnect's: the e-mail given at login, in hexadecimal.
  async findAccount(ctx, id) {
    const email = Buffer.from(id, 'hex').toString();
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, given_name: 'Camille', usual_name: 'Martin', siret: '21330063500017' };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; if (body.length > 10000) reject(new Error('too large')); });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  const match = path.match(/^\/interaction\/([\w-]+)(\/login|\/abort)?$/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET' && !match[2]) {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ uid: details.uid, prompt: details.prompt.name }));
    }
    if (req.method === 'POST' && match[2] === '/login') {
      const form = await readForm(req);
      const login = Buffer.from(form.get('login') || '').toString('hex');
      return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
    if (req.method === 'POST' && match[2] === '/abort') {
      return provider.interactionFinished(
        req, res, { error: 'access_denied', error_description: "L'agent a refusé la connexion." },
        { mergeWithLastSubmission: false },
      );
    }
    res.statusCode = 405;
    return res.end();
  } catch (error) {
    res.statusCode = 400;
    return res.end(String(error));
  }
});

server.listen(Number(port), '127.0.0.1', () => { console.log(`ready ${issuer}`); });
