// release-it 20.x (the last line that runs on Node 20), unmodified, through its command line as a
// CI job runs it: `release-it --ci <version>` in a clone whose `origin` is a local bare repository
// (git fetch works, nothing is pushed), with its GitLab plugin pointed at relinks by
// `gitlab.origin` and at the project by `git.pushRepo` (the project's URL, from which release-it
// takes the project path). Its assets are real files, uploaded either as Markdown uploads (the
// default) or into the generic package registry, then downloaded back through the release links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  host, rootToken, suffix, randomFile, api, createProject, memberWithToken,
  assertServes, assertRefusedAnonymously, assertLinksServe,
} from './artifacts.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const releaseIt = join(here, '..', 'node_modules', 'release-it', 'bin', 'release-it.js');
const identity = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

/** A clean environment: no CI vendor variables, so release-it sees a plain CI job. */
function ciEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(CI|CI_.*|GITLAB_.*|GITHUB_.*|NODE_DEBUG)$/.test(key)) env[key] = value;
  }
  return { ...env, ...identity, CI: 'true', ...extra };
}

function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...identity } });
}

/**
 * A clone of `project` with one commit and `files` (name → bytes) under `dist/` (ignored by git,
 * as build output is), and release-it's configuration with `gitlab` merged in.
 */
function workingCopy(project, files, gitlab) {
  const dir = mkdtempSync(join(tmpdir(), 'relinks-ri-'));
  const bare = join(dir, 'remote.git');
  const work = join(dir, 'work');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  writeFileSync(join(work, '.gitignore'), 'dist/\n');
  writeFileSync(join(work, 'README.md'), 'hello\n');
  writeFileSync(join(work, '.release-it.json'), JSON.stringify({
    git: { tagName: 'v${version}', commit: false, push: false, requireUpstream: false, pushRepo: project.http_url_to_repo },
    npm: false,
    gitlab: { release: true, origin: host, assets: ['dist/*'], ...gitlab },
  }));
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'feat: the first feature');
  git(work, 'remote', 'add', 'origin', bare);
  git(work, 'push', '-q', '-u', 'origin', 'main');
  mkdirSync(join(work, 'dist'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(work, 'dist', name), bytes);
  return work;
}

function runReleaseIt(work, version, token) {
  const run = spawnSync(process.execPath, [releaseIt, '--ci', version], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120000,
    env: ciEnv({ GITLAB_TOKEN: token, NODE_DEBUG: 'release-it:gitlab' }),
  });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  return run;
}

test('release-it uploads its assets as Markdown uploads and links them by the legacy path', async () => {
  const project = await createProject(`ri-md-${suffix()}`, 'private');
  const { token } = await memberWithToken(project, `ri${suffix()}`, 30);
  const files = { 'app-linux.tar.gz': randomFile(1536 * 1024), 'app-macos.zip': randomFile(100 * 1024) };
  const work = workingCopy(project, files, {});

  const run = runReleaseIt(work, '1.0.0', token);
  assert.match(run.stdout, new RegExp(`${project.web_url}/-/releases/v1\\.0\\.0`));

  const release = await api('GET', `/projects/${project.id}/releases/v1.0.0`, undefined, token);
  assert.equal(release.status, 200);
  assert.equal(release.body.name, 'Release 1.0.0');
  assert.match(release.body.description, /the first feature/);
  const links = await assertLinksServe(project, 'v1.0.0', files, token);
  for (const link of links) {
    // `useIdsForUrls: false` (the default) builds `<origin>/<group>/<project>` + the upload's `url`.
    assert.match(link.url, new RegExp(`^${project.web_url}/uploads/[0-9a-f]{32}/${link.name.replace(/\./g, '\\.')}$`));
    assert.equal(link.direct_asset_url, link.url, 'a link without a filepath has its url as permanent link');
    assert.equal(link.link_type, 'other');
    // The same upload at its ID-based address, the one GitLab 17.2+ writes in `full_path`.
    const secret = link.url.split('/').at(-2);
    await assertServes(`${host}/-/project/${project.id}/uploads/${secret}/${link.name}`, files[link.name], token);
    await assertRefusedAnonymously(`${host}/-/project/${project.id}/uploads/${secret}/${link.name}`);
  }
  const tag = await api('GET', `/projects/${project.id}/repository/tags/v1.0.0`, undefined, token);
  assert.equal(tag.status, 200, 'the release made the tag release-it did not push');
});

test('release-it with useIdsForUrls links the uploads by their ID-based path', async () => {
  const project = await createProject(`ri-ids-${suffix()}`, 'public');
  const files = { 'notes.pdf': randomFile(300 * 1024) };
  const work = workingCopy(project, files, { useIdsForUrls: true });

  runReleaseIt(work, '2.1.0', rootToken);

  const links = await assertLinksServe(project, 'v2.1.0', files, rootToken);
  assert.match(links[0].url, new RegExp(`^${host}/-/project/${project.id}/uploads/[0-9a-f]{32}/notes\\.pdf$`));
});

test('release-it puts its assets into the generic package registry', async () => {
  const project = await createProject(`ri-gp-${suffix()}`, 'public');
  const files = { 'app-linux.tar.gz': randomFile(3 * 1024 * 1024), 'checksums.txt': randomFile(100 * 1024) };
  const work = workingCopy(project, files, { useGenericPackageRepositoryForAssets: true });

  runReleaseIt(work, '1.2.0', rootToken);

  const links = await assertLinksServe(project, 'v1.2.0', files, rootToken);
  for (const link of links) {
    assert.equal(link.url, `${host}/api/v4/projects/${encodeURIComponent(project.path_with_namespace)}/packages/generic/release-it/1.2.0/${link.name}`);
  }
  const packages = await api('GET', `/projects/${project.id}/packages?package_type=generic`);
  assert.deepEqual(packages.body.map((p) => [p.name, p.version, p.status]), [['release-it', '1.2.0', 'default']]);
  const packageFiles = await api('GET', `/projects/${project.id}/packages/${packages.body[0].id}/package_files`);
  assert.deepEqual(packageFiles.body.map((f) => [f.file_name, f.size]).sort(), Object.entries(files).map(([n, b]) => [n, b.length]).sort());
});

test('release-it refuses a user who is not a Developer of the project', async () => {
  const project = await createProject(`ri-rep-${suffix()}`, 'private');
  const { token, user } = await memberWithToken(project, `rir${suffix()}`, 20);
  const work = workingCopy(project, { 'a.bin': randomFile(1024) }, {});
  const run = spawnSync(process.execPath, [releaseIt, '--ci', '1.0.0'], { cwd: work, encoding: 'utf8', timeout: 120000, env: ciEnv({ GITLAB_TOKEN: token }) });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr + run.stdout, new RegExp(`User ${user.username} is not a collaborator for ${project.path_with_namespace}`));
  const releases = await api('GET', `/projects/${project.id}/releases`);
  assert.deepEqual(releases.body, []);
});
