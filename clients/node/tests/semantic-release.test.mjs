// @semantic-release/gitlab 13.x with semantic-release 24.x, unmodified, driven as in a CI job:
// a local git repository with a `feat:` commit, GITLAB_URL and GITLAB_TOKEN, CI=true. Git traffic
// for the project's URL goes to a local bare repository; the API calls go to relinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyConditions } from '@semantic-release/gitlab';

const host = process.env.GITLAB_URL;
const rootToken = process.env.GITLAB_ROOT_TOKEN;
const here = dirname(fileURLToPath(import.meta.url));
const semanticRelease = join(here, '..', 'node_modules', 'semantic-release', 'bin', 'semantic-release.js');
const suffix = Math.random().toString(36).slice(2, 8);

async function api(method, path, body, token = rootToken) {
  const response = await fetch(`${host}/api/v4${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': token, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

/** A clean environment: no CI vendor variables, so semantic-release sees a plain CI job. */
function ciEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(CI|CI_.*|GITLAB_CI|GITLAB_.*|GL_.*|GH_TOKEN|GITHUB_.*|GIT_CREDENTIALS|NPM_TOKEN)$/.test(key)) env[key] = value;
  }
  return { ...env, CI: 'true', ...extra };
}

function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' } });
}

test('semantic-release publishes a release with asset links into relinks', async () => {
  const project = await api('POST', '/projects', { name: `sr-${suffix}`, visibility: 'private' });
  assert.equal(project.status, 201);
  const path = project.body.path_with_namespace;

  const dir = mkdtempSync(join(tmpdir(), 'relinks-sr-'));
  const bare = join(dir, 'remote.git');
  const work = join(dir, 'work');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  const repositoryUrl = `${host}/${path}.git`;
  writeFileSync(join(work, '.releaserc.json'), JSON.stringify({
    branches: ['main'],
    repositoryUrl,
    tagFormat: 'v${version}',
    plugins: [
      '@semantic-release/commit-analyzer',
      '@semantic-release/release-notes-generator',
      ['@semantic-release/gitlab', {
        assets: [
          { url: 'https://downloads.example.com/app-1.0.0.tar.gz', label: 'app.tar.gz', type: 'package', filepath: '/dist/app.tar.gz' },
          { url: 'https://docs.example.com/1.0.0', label: 'Documentation', type: 'runbook' },
        ],
        successCommentCondition: false,
        failCommentCondition: false,
      }],
    ],
  }));
  writeFileSync(join(work, 'README.md'), 'hello\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'feat: the first feature');
  git(work, 'remote', 'add', 'origin', repositoryUrl);
  // The release branch exists on the remote, as it would in any CI job.
  git(work, 'push', '-q', bare, 'main');

  const run = spawnSync(process.execPath, [semanticRelease], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120000,
    env: ciEnv({
      GITLAB_URL: host,
      GITLAB_TOKEN: rootToken,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `url.${bare}.insteadOf`,
      GIT_CONFIG_VALUE_0: repositoryUrl,
      GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com',
    }),
  });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /Published GitLab release: v1\.0\.0/);

  const encoded = encodeURIComponent(path);
  const release = await api('GET', `/projects/${encoded}/releases/v1.0.0`);
  assert.equal(release.status, 200);
  assert.equal(release.body.tag_name, 'v1.0.0');
  assert.match(release.body.description, /first feature/);
  const links = await api('GET', `/projects/${encoded}/releases/v1.0.0/assets/links`);
  assert.deepEqual(links.body.map((l) => [l.name, l.link_type]).sort(), [['Documentation', 'runbook'], ['app.tar.gz', 'package']]);
  const archive = links.body.find((l) => l.name === 'app.tar.gz');
  assert.equal(archive.direct_asset_url, `${host}/${path}/-/releases/v1.0.0/downloads/dist/app.tar.gz`);
  const tag = await api('GET', `/projects/${encoded}/repository/tags/v1.0.0`);
  assert.equal(tag.status, 200, 'the tag semantic-release pushed elsewhere is recorded');
});

test('verifyConditions reports a bad token and a missing project in its own terms', async () => {
  const context = (token, path) => ({
    env: { GITLAB_URL: host, GITLAB_TOKEN: token },
    options: { repositoryUrl: `${host}/${path}.git` },
    logger: { log() {}, error() {} },
  });
  const project = await api('POST', '/projects', { name: `srv-${suffix}` });
  await verifyConditions({}, context(rootToken, project.body.path_with_namespace));
  await assert.rejects(verifyConditions({}, context('glpat-bad', project.body.path_with_namespace)), (error) => {
    const errors = error.errors ?? [error];
    assert.ok(errors.some((e) => e.code === 'EINVALIDGLTOKEN'), JSON.stringify(errors));
    return true;
  });
  await assert.rejects(verifyConditions({}, context(rootToken, 'root/does-not-exist')), (error) => {
    const errors = error.errors ?? [error];
    assert.ok(errors.some((e) => e.code === 'EMISSINGREPO'), JSON.stringify(errors));
    return true;
  });
});
