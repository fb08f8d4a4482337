// @semantic-release/gitlab 13.x with semantic-release 24.x, unmodified, driven as in a CI job:
// a local git repository with a `feat:` commit, GITLAB_URL and GITLAB_TOKEN, CI=true. Git traffic
// for the project's URL goes to a local bare repository; the API calls go to relinks. Built files
// are uploaded both ways the plugin knows (project_upload, generic_package) and downloaded back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyConditions } from '@semantic-release/gitlab';
import { host, rootToken, api, createProject, randomFile, assertLinksServe } from './artifacts.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const semanticRelease = join(here, '..', 'node_modules', 'semantic-release', 'bin', 'semantic-release.js');
const suffix = Math.random().toString(36).slice(2, 8);

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

/**
 * A clone of a new project with one `feat:` commit, `files` (path → bytes) written beside it as a
 * build leaves them, and semantic-release run in it with @semantic-release/gitlab's `gitlab`
 * options. Git traffic for the project's URL goes to a local bare repository.
 */
async function release(project, gitlab, files = {}) {
  const path = project.path_with_namespace;
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
      ['@semantic-release/gitlab', gitlab],
    ],
  }));
  writeFileSync(join(work, 'README.md'), 'hello\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'feat: the first feature');
  git(work, 'remote', 'add', 'origin', repositoryUrl);
  // The release branch exists on the remote, as it would in any CI job.
  git(work, 'push', '-q', bare, 'main');
  for (const [file, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    writeFileSync(join(work, file), bytes);
  }

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
  return run;
}

test('semantic-release publishes a release with asset links into relinks', async () => {
  const project = await api('POST', '/projects', { name: `sr-${suffix}`, visibility: 'private' });
  assert.equal(project.status, 201);
  const path = project.body.path_with_namespace;
  await release(project.body, {
    assets: [
      { url: 'https://downloads.example.com/app-1.0.0.tar.gz', label: 'app.tar.gz', type: 'package', filepath: '/dist/app.tar.gz' },
      { url: 'https://docs.example.com/1.0.0', label: 'Documentation', type: 'runbook' },
    ],
    successCommentCondition: false,
    failCommentCondition: false,
  });

  const encoded = encodeURIComponent(path);
  const shown = await api('GET', `/projects/${encoded}/releases/v1.0.0`);
  assert.equal(shown.status, 200);
  assert.equal(shown.body.tag_name, 'v1.0.0');
  assert.match(shown.body.description, /first feature/);
  const links = await api('GET', `/projects/${encoded}/releases/v1.0.0/assets/links`);
  assert.deepEqual(links.body.map((l) => [l.name, l.link_type]).sort(), [['Documentation', 'runbook'], ['app.tar.gz', 'package']]);
  const archive = links.body.find((l) => l.name === 'app.tar.gz');
  assert.equal(archive.direct_asset_url, `${host}/${path}/-/releases/v1.0.0/downloads/dist/app.tar.gz`);
  const tag = await api('GET', `/projects/${encoded}/repository/tags/v1.0.0`);
  assert.equal(tag.status, 200, 'the tag semantic-release pushed elsewhere is recorded');
});

test('semantic-release uploads a built file to the project and links it (project_upload)', async () => {
  const project = await createProject(`sr-up-${suffix}`, 'private');
  const files = { 'dist/app.tar.gz': randomFile(2 * 1024 * 1024), 'dist/checksums.txt': randomFile(100 * 1024) };
  // The success step is left at its defaults: it asks for each commit's merge requests.
  const run = await release(project, {
    assets: [
      { path: 'dist/app.tar.gz', label: 'App (Linux)', type: 'package', filepath: '/dist/app.tar.gz' },
      { path: 'dist/checksums.txt' },
    ],
  }, files);
  assert.match(run.stdout, new RegExp(`Uploaded file: ${host}/-/project/${project.id}/uploads/[0-9a-f]{32}/app\\.tar\\.gz`));

  const links = await assertLinksServe(project, 'v1.0.0', { 'App (Linux)': files['dist/app.tar.gz'], 'checksums.txt': files['dist/checksums.txt'] }, rootToken);
  const app = links.find((l) => l.name === 'App (Linux)');
  assert.match(app.url, new RegExp(`^${host}/-/project/${project.id}/uploads/[0-9a-f]{32}/app\\.tar\\.gz$`));
  assert.equal(app.link_type, 'package');
  assert.equal(app.direct_asset_url, `${project.web_url}/-/releases/v1.0.0/downloads/dist/app.tar.gz`);
  const sums = links.find((l) => l.name === 'checksums.txt');
  assert.equal(sums.link_type, 'other');
  assert.equal(sums.direct_asset_url, sums.url);
});

test('semantic-release publishes a built file as a generic package (generic_package)', async () => {
  const project = await createProject(`sr-gp-${suffix}`, 'public');
  const files = { 'dist/app.tar.gz': randomFile(3 * 1024 * 1024), 'dist/app.sbom.json': randomFile(150 * 1024) };
  const run = await release(project, {
    assets: [
      { path: 'dist/app.tar.gz', label: 'app-${nextRelease.version}.tar.gz', target: 'generic_package', packageName: 'app', filepath: '/dist/app.tar.gz' },
      { path: 'dist/app.sbom.json', target: 'generic_package', packageName: 'app', status: 'hidden' },
    ],
  }, files);
  // semantic-release logs the `file.url` of the package file record relinks answers.
  assert.match(run.stdout, /Uploaded file: \S+\/packages\/generic\/app\/1\.0\.0\/app-1\.0\.0\.tar\.gz \(\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\/packages\/\d+\/files\/\d+\/app-1\.0\.0\.tar\.gz\)/);

  const links = await assertLinksServe(project, 'v1.0.0', { 'app-1.0.0.tar.gz': files['dist/app.tar.gz'], 'app.sbom.json': files['dist/app.sbom.json'] }, rootToken);
  const api4 = `${host}/api/v4/projects/${encodeURIComponent(project.path_with_namespace)}`;
  const app = links.find((l) => l.name === 'app-1.0.0.tar.gz');
  assert.equal(app.url, `${api4}/packages/generic/app/1.0.0/app-1.0.0.tar.gz`);
  assert.equal(app.link_type, 'package');
  assert.equal(app.direct_asset_url, `${project.web_url}/-/releases/v1.0.0/downloads/dist/app.tar.gz`);
  // `status: hidden` hides the package from the list; its files stay downloadable (above).
  const listed = await api('GET', `/projects/${project.id}/packages`);
  assert.deepEqual(listed.body, []);
  const hidden = await api('GET', `/projects/${project.id}/packages?status=hidden`);
  assert.deepEqual(hidden.body.map((p) => [p.name, p.version, p.package_type]), [['app', '1.0.0', 'generic']]);
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
