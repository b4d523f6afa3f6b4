// Drives the identity provider with openid-client (panva, an OpenID Certified relying party library),
// every check it offers switched on. Two steps, each one process, JSON in (argv[2]) and JSON out:
//   start:  discovery, PKCE S256, state, nonce -> the authorization URL (plain or pushed, RFC 9126)
//   finish: code exchange with all checks (iss RFC 9207, state, nonce, PKCE, ID token signature
//           via enableNonRepudiationChecks, claims), userinfo with the subject check, refresh, revocation
import * as client from 'openid-client';

const input = JSON.parse(process.argv[2]);

async function configuration() {
  const key = await crypto.subtle.importKey(
    'jwk', input.private_jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const config = await client.discovery(
    new URL(input.issuer), input.client_id,
    { id_token_signed_response_alg: input.id_token_alg || 'ES256' },
    client.PrivateKeyJwt({ key, kid: input.private_jwk.kid }));
  client.enableNonRepudiationChecks(config);
  return config;
}

async function start() {
  const config = await configuration();
  const verifier = client.randomPKCECodeVerifier();
  const parameters = {
    redirect_uri: input.redirect_uri,
    scope: input.scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: client.randomState(),
    nonce: client.randomNonce(),
  };
  if (input.claims) parameters.claims = JSON.stringify(input.claims);
  if (input.vtr) parameters.vtr = JSON.stringify(input.vtr);
  const url = input.par
    ? await client.buildAuthorizationUrlWithPAR(config, parameters)
    : client.buildAuthorizationUrl(config, parameters);
  return { url: url.href, verifier, state: parameters.state, nonce: parameters.nonce };
}

async function finish() {
  const config = await configuration();
  const tokens = await client.authorizationCodeGrant(config, new URL(input.callback_url), {
    pkceCodeVerifier: input.verifier,
    expectedState: input.state,
    expectedNonce: input.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const refreshedClaims = refreshed.claims();
  await client.tokenRevocation(config, refreshed.refresh_token);
  let revokedRefreshRefused = false;
  try {
    await client.refreshTokenGrant(config, refreshed.refresh_token);
  } catch (error) {
    revokedRefreshRefused = error.error === 'invalid_grant';
  }
  return {
    id_token_claims: claims,
    userinfo,
    token_type: tokens.token_type,
    refreshed_sub: refreshedClaims ? refreshedClaims.sub : null,
    revoked_refresh_refused: revokedRefreshRefused,
  };
}

try {
  const result = input.step === 'start' ? await start() : await finish();
  process.stdout.write(JSON.stringify(result));
} catch (error) {
  process.stdout.write(JSON.stringify({
    failed: true, name: error.name, code: error.code || null, message: error.message,
    error: error.error || null, error_description: error.error_description || null,
  }));
  process.exitCode = 1;
}
