// @gitbeaker/rest 43.x, unmodified, against relinks: releases, links, and the files it uploads
// (Markdown uploads, generic packages). Run by tests/clients.rs with GITLAB_URL and
// GITLAB_ROOT_TOKEN (an administrator's token) in the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Gitlab } from '@gitbeaker/rest';
import { randomFile, download, assertServes, assertRefusedAnonymously, assertLinksServe } from './artifacts.mjs';

const host = process.env.GITLAB_URL;
const admin = new Gitlab({ host, token: process.env.GITLAB_ROOT_TOKEN });
const suffix = Math.random().toString(36).slice(2, 8);

async function developerWithProject() {
  const username = `gb${suffix}`;
  const user = await admin.Users.create({ username, name: 'Beaker', email: `${username}@example.com`, password: 'ignored-1234', skipConfirmation: true });
  const token = await admin.Users.createPersonalAccessToken(user.id, 'ci', ['api']);
  const project = await admin.Projects.create({ name: `beaker-${suffix}`, visibility: 'private' });
  await admin.ProjectMembers.add(project.id, 30, { userId: user.id });
  const api = new Gitlab({ host, token: token.token });
  return { api, user, project, token: token.token };
}

const setup = developerWithProject();

test('the current user', async () => {
  const me = await admin.Users.showCurrentUser();
  assert.equal(me.username, 'root');
});

test('releases: create, show, all, edit, remove', async () => {
  const { api, project } = await setup;
  const created = await api.ProjectReleases.create(project.id, {
    tagName: 'v1.0.0',
    name: 'One',
    description: 'first',
    assets: { links: [{ name: 'linux', url: 'https://e.x/linux', linkType: 'package', directAssetPath: '/bin/linux' }] },
  });
  assert.equal(created.tag_name, 'v1.0.0');
  assert.equal(created.assets.links[0].link_type, 'package');
  const shown = await api.ProjectReleases.show(project.path_with_namespace, 'v1.0.0');
  assert.equal(shown.name, 'One');
  const edited = await api.ProjectReleases.edit(project.id, 'v1.0.0', { description: 'changed' });
  assert.equal(edited.description, 'changed');
  await api.ProjectReleases.create(project.id, { tagName: 'v0.9.0' });
  const all = await api.ProjectReleases.all(project.id);
  assert.deepEqual(all.map((r) => r.tag_name).sort(), ['v0.9.0', 'v1.0.0']);
  const removed = await api.ProjectReleases.remove(project.id, 'v0.9.0');
  assert.equal(removed.tag_name, 'v0.9.0');
});

test('release links: all, show, create, edit, remove', async () => {
  const { api, project } = await setup;
  await api.ProjectReleases.create(project.id, { tagName: 'v2.0.0' });
  const link = await api.ReleaseLinks.create(project.id, 'v2.0.0', 'mac', 'https://e.x/mac', { linkType: 'image', directAssetPath: '/bin/mac' });
  assert.equal(link.link_type, 'image');
  assert.ok(link.direct_asset_url.endsWith('/-/releases/v2.0.0/downloads/bin/mac'));
  const shown = await api.ReleaseLinks.show(project.id, 'v2.0.0', link.id);
  assert.equal(shown.url, 'https://e.x/mac');
  const edited = await api.ReleaseLinks.edit(project.id, 'v2.0.0', link.id, { name: 'macOS' });
  assert.equal(edited.name, 'macOS');
  assert.equal(edited.link_type, 'image');
  const removed = await api.ReleaseLinks.remove(project.id, 'v2.0.0', link.id);
  assert.equal(removed.id, link.id);
  assert.deepEqual(await api.ReleaseLinks.all(project.id, 'v2.0.0'), []);
});

test('offset pagination over several pages', async () => {
  const { api, project } = await setup;
  await api.ProjectReleases.create(project.id, { tagName: 'v3.0.0' });
  for (let i = 0; i < 7; i++) {
    await api.ReleaseLinks.create(project.id, 'v3.0.0', `file${i}`, `https://e.x/file${i}`);
  }
  const all = await api.ReleaseLinks.all(project.id, 'v3.0.0', { perPage: 2 });
  assert.deepEqual(all.map((l) => l.name), ['file6', 'file5', 'file4', 'file3', 'file2', 'file1', 'file0']);
  const page = await api.ReleaseLinks.all(project.id, 'v3.0.0', { perPage: 3, page: 2, showExpanded: true });
  assert.deepEqual(page.data.map((l) => l.name), ['file3', 'file2', 'file1']);
  assert.equal(page.paginationInfo.total, 7);
  assert.equal(page.paginationInfo.totalPages, 3);
  assert.equal(page.paginationInfo.next, 3);
  assert.equal(page.paginationInfo.previous, 1);
});

test('errors carry GitLab messages and statuses', async () => {
  const { api, project } = await setup;
  await api.ProjectReleases.create(project.id, { tagName: 'v4.0.0' });
  await api.ReleaseLinks.create(project.id, 'v4.0.0', 'same', 'https://e.x/same');
  await assert.rejects(api.ReleaseLinks.create(project.id, 'v4.0.0', 'same', 'https://e.x/same'), (error) => {
    assert.equal(error.cause.response.status, 400);
    assert.equal(error.message, JSON.stringify(['Url has already been taken', 'Name has already been taken']));
    return true;
  });
  await assert.rejects(api.ReleaseLinks.show(project.id, 'v4.0.0', 999999), (error) => {
    assert.equal(error.cause.response.status, 404);
    assert.equal(error.message, '404 Not found');
    return true;
  });
  await assert.rejects(api.ReleaseLinks.all(project.id, 'nope'), (error) => error.cause.response.status === 404);
  const stranger = new Gitlab({ host, token: 'glpat-not-a-real-token' });
  await assert.rejects(stranger.Users.showCurrentUser(), (error) => {
    assert.equal(error.cause.response.status, 401);
    assert.equal(error.message, '401 Unauthorized');
    return true;
  });
});

test('markdown uploads: create, download, and a release link to the upload', async () => {
  const { api, project, token } = await setup;
  const bytes = randomFile(1200 * 1024);
  const upload = await api.ProjectMarkdownUploads.create(project.id, { content: new Blob([bytes]), filename: 'app-1.0.0.tar.gz' });
  assert.match(upload.full_path, new RegExp(`^/-/project/${project.id}/uploads/[0-9a-f]{32}/app-1\\.0\\.0\\.tar\\.gz$`));
  assert.equal(upload.url, upload.full_path.replace(`/-/project/${project.id}`, ''));
  assert.equal(upload.alt, 'app-1.0.0.tar.gz');
  assert.equal(upload.markdown, `[app-1.0.0.tar.gz](${upload.url})`);
  const secret = upload.url.split('/')[2];

  // Through the API, as gitbeaker reads it back (a Blob, for an octet stream).
  const blob = await api.ProjectMarkdownUploads.download(project.id, secret, 'app-1.0.0.tar.gz');
  assert.ok(Buffer.from(await blob.arrayBuffer()).equals(bytes));

  await api.ProjectReleases.create(project.id, { tagName: 'v5.0.0' });
  const link = await api.ReleaseLinks.create(project.id, 'v5.0.0', 'app.tar.gz', `${host}${upload.full_path}`, { linkType: 'package', directAssetPath: '/dist/app.tar.gz' });
  assert.equal(link.direct_asset_url, `${project.web_url}/-/releases/v5.0.0/downloads/dist/app.tar.gz`);
  await assertLinksServe(project, 'v5.0.0', { 'app.tar.gz': bytes }, token);
  await assertServes(`${project.web_url}${upload.url}`, bytes, token);
  await assertRefusedAnonymously(`${project.web_url}${upload.url}`);

  // Listing and removing uploads is for Maintainers; once removed, the link leads nowhere.
  await assert.rejects(api.ProjectMarkdownUploads.all(project.id), (error) => error.cause.response.status === 403);
  const listed = await admin.ProjectMarkdownUploads.all(project.id);
  assert.deepEqual(listed.map((u) => [u.id, u.filename, u.size]), [[upload.id, 'app-1.0.0.tar.gz', bytes.length]]);
  await admin.ProjectMarkdownUploads.remove(project.id, secret, 'app-1.0.0.tar.gz');
  assert.equal((await download(link.url, token)).status, 404);
});

test('generic packages: publish, download, and a release link to the package file', async () => {
  const project = await admin.Projects.create({ name: `beaker-pub-${suffix}`, visibility: 'public' });
  const bytes = randomFile(2 * 1024 * 1024);
  const published = await admin.PackageRegistry.publish(project.id, 'app', '1.0.0', { content: new Blob([bytes]), filename: 'app-linux.bin' });
  assert.deepEqual(published, { message: '201 Created' });

  // gitbeaker sends the file as a multipart form; GitLab keeps a generic package's request body
  // as it came (gitbeaker issue 3580, semantic-release/gitlab issue 490), so the stored file is
  // that form: the file's part, between the boundaries.
  const blob = await admin.PackageRegistry.download(project.id, 'app', '1.0.0', 'app-linux.bin');
  const stored = Buffer.from(await blob.arrayBuffer());
  const boundary = stored.subarray(0, stored.indexOf('\r\n')).toString();
  assert.match(boundary, /^--\S+$/);
  const form = Buffer.concat([
    Buffer.from(`${boundary}\r\nContent-Disposition: form-data; name="file"; filename="app-linux.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n${boundary}--\r\n`),
  ]);
  assert.ok(stored.equals(form), 'the stored file is the form gitbeaker sent');
  const [pkg] = await admin.Packages.all({ projectId: project.id });
  const [file] = await admin.Packages.allFiles(project.id, pkg.id);
  assert.equal(file.size, form.length);
  assert.equal(file.file_sha256, createHash('sha256').update(form).digest('hex'));

  const url = `${host}/api/v4/projects/${project.id}/packages/generic/app/1.0.0/app-linux.bin`;
  await admin.ProjectReleases.create(project.id, {
    tagName: 'v1.0.0',
    assets: { links: [{ name: 'Linux', url, linkType: 'package', directAssetPath: '/bin/app-linux' }] },
  });
  const [link] = await assertLinksServe(project, 'v1.0.0', { Linux: form }, process.env.GITLAB_ROOT_TOKEN);
  assert.equal(link.direct_asset_url, `${project.web_url}/-/releases/v1.0.0/downloads/bin/app-linux`);
});
