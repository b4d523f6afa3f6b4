// The Node.js baseline of bench/idp.py: oidc-provider (panva; OpenID Certified), configured like the
// Python provider under test: authorization code flow with PKCE S256 required, a client_secret_basic
// and a private_key_jwt static client, ES256 ID tokens, offline_access refresh tokens that rotate on
// every use (bound to the client), the development sign-in and consent pages (any password: no
// hashing), in-memory storage (a plain Map). One process (one event loop), like one uvicorn worker.
// Input: one JSON argument {port, secret_client, jwt_client, keys: [private JWKs], accounts: {...}}.
import Provider from 'oidc-provider';

// Storage: one Map, without the size limit of oidc-provider's quick-start adapter (an LRU of 1,000
// entries, which evicts the interactions of a benchmark's hundreds of concurrent logins).
const items = new Map();
const byGrant = new Map();
const byUid = new Map();

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    items.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null });
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId).add(key);
    }
    if (payload.uid) byUid.set(payload.uid, id);
  }

  async find(id) {
    const item = items.get(this.key(id));
    if (!item || (item.expiresAt !== null && item.expiresAt <= Date.now())) return undefined;
    return item.payload;
  }

  async findByUid(uid) {
    const id = byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const item = items.get(this.key(id));
    if (item) item.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    items.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of byGrant.get(grantId) || []) items.delete(key);
    byGrant.delete(grantId);
  }
}

const input = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${input.port}`;
const common = {
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  id_token_signed_response_alg: 'ES256',
};

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      ...common,
      client_id: input.secret_client.client_id,
      client_secret: input.secret_client.secret,
      redirect_uris: [input.secret_client.redirect_uri],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      ...common,
      client_id: input.jwt_client.client_id,
      redirect_uris: [input.jwt_client.redirect_uri],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: input.jwt_client.jwks,
    },
  ],
  jwks: { keys: input.keys },
  cookies: { keys: [input.cookie_key] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: { openid: ['sub'], profile: ['given_name', 'family_name'], email: ['email', 'email_verified'] },
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email_verified: true, ...(input.accounts[sub] || {}) }),
  }),
  issueRefreshToken: async (_ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  rotateRefreshToken: () => true,
  features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
});
provider.listen(input.port, '127.0.0.1');
