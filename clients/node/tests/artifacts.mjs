// Shared by the client tests that upload release artifacts (not a test file itself): the plain
// HTTP a CI job or a user's browser would use to fetch what a tool uploaded, and the set-up the
// tools need (projects, users, tokens) made with relinks' REST API.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

export const host = process.env.GITLAB_URL;
export const rootToken = process.env.GITLAB_ROOT_TOKEN;

/** A unique tag for this run's names (projects, users). */
export const suffix = () => Math.random().toString(36).slice(2, 8);

/** `size` random bytes, so that any mangling of a file shows as a difference. */
export const randomFile = (size) => randomBytes(size);

/** A JSON call to the REST API, answered with its status and parsed body. */
export async function api(method, path, body, token = rootToken) {
  const response = await fetch(`${host}/api/v4${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': token, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A project of root's, `visibility` `private` or `public`. */
export async function createProject(name, visibility) {
  const project = await api('POST', '/projects', { name, visibility });
  assert.equal(project.status, 201, JSON.stringify(project.body));
  return project.body;
}

/** A new user with an `api` token, added to `project` with `accessLevel` (30: Developer). */
export async function memberWithToken(project, username, accessLevel = 30) {
  const user = await api('POST', '/users', { username, name: username, email: `${username}@example.com`, password: 'ignored-1234', skip_confirmation: true });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const token = await api('POST', `/users/${user.body.id}/personal_access_tokens`, { name: 'ci', scopes: ['api'] });
  assert.equal(token.status, 201, JSON.stringify(token.body));
  const member = await api('POST', `/projects/${project.id}/members`, { user_id: user.body.id, access_level: accessLevel });
  assert.equal(member.status, 201, JSON.stringify(member.body));
  return { user: user.body, token: token.body.token };
}

/** GET `url` following redirects, with `PRIVATE-TOKEN` when a token is given. */
export async function download(url, token) {
  const response = await fetch(url, { headers: token ? { 'PRIVATE-TOKEN': token } : {} });
  return { status: response.status, url: response.url, redirected: response.redirected, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** GET `url` without following a redirect: its status and `Location`. */
export async function probe(url, token) {
  const response = await fetch(url, { headers: token ? { 'PRIVATE-TOKEN': token } : {}, redirect: 'manual' });
  await response.arrayBuffer();
  return { status: response.status, location: response.headers.get('location') };
}

/** Asserts that `url` answers 200 with exactly `bytes` (after redirects). */
export async function assertServes(url, bytes, token) {
  const got = await download(url, token);
  assert.equal(got.status, 200, `GET ${url} (${token ? 'with' : 'without'} a token)`);
  assert.equal(got.bytes.length, bytes.length, `size of ${url}`);
  assert.ok(got.bytes.equals(bytes), `bytes of ${url}`);
  return got;
}

/**
 * Asserts that an anonymous GET of a private project's file is refused, as GitLab refuses it:
 * the API answers 401, a web route sends the browser to sign in, a permanent link is 404.
 */
export async function assertRefusedAnonymously(url) {
  const got = await probe(url);
  const path = new URL(url).pathname;
  if (path.startsWith('/api/v4/')) {
    assert.equal(got.status, 401, `anonymous GET ${url}`);
  } else if (path.includes('/-/releases/')) {
    assert.equal(got.status, 404, `anonymous GET ${url}`);
  } else {
    assert.equal(got.status, 302, `anonymous GET ${url}`);
    assert.match(got.location, /\/users\/sign_in(\?|$)/, `anonymous GET ${url}`);
  }
}

/**
 * The release's links, and for each one named in `files` (name → bytes), its `url` and its
 * `direct_asset_url` (the permanent link) serve exactly those bytes: with `token`, and for a
 * private project not without it; for a public project anonymously too.
 */
export async function assertLinksServe(project, tag, files, token) {
  const links = await api('GET', `/projects/${project.id}/releases/${encodeURIComponent(tag)}/assets/links`, undefined, token);
  assert.equal(links.status, 200);
  assert.deepEqual(links.body.map((l) => l.name).sort(), Object.keys(files).sort());
  for (const link of links.body) {
    const bytes = files[link.name];
    const urls = [link.url, link.direct_asset_url];
    for (const url of urls) {
      await assertServes(url, bytes, token);
      if (project.visibility === 'private') await assertRefusedAnonymously(url);
      else await assertServes(url, bytes);
    }
  }
  return links.body;
}
