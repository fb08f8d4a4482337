"""python-gitlab 8.x, library and `gitlab` command line, unmodified, against relinks.

The Rust test `tests/clients.rs` starts relinks and runs this with GITLAB_URL and
GITLAB_ROOT_TOKEN (an administrator's token) in the environment.
"""

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import gitlab
import pytest
import requests
from gitlab.const import AccessLevel

URL = os.environ["GITLAB_URL"]
ROOT_TOKEN = os.environ["GITLAB_ROOT_TOKEN"]


@pytest.fixture(scope="module")
def admin():
    gl = gitlab.Gitlab(URL, private_token=ROOT_TOKEN)
    gl.auth()
    return gl


@pytest.fixture(scope="module")
def developer(admin):
    """A user made as an administrator would: the user, then a token for them."""
    name = f"dev{uuid.uuid4().hex[:8]}"
    user = admin.users.create(
        {"username": name, "name": "Dev", "email": f"{name}@example.com", "password": "ignored-1234", "skip_confirmation": True}
    )
    token = user.personal_access_tokens.create({"name": "ci", "scopes": ["api"]})
    gl = gitlab.Gitlab(URL, private_token=token.token)
    gl.auth()
    return gl


@pytest.fixture(scope="module")
def project(admin, developer):
    created = admin.projects.create({"name": f"app-{uuid.uuid4().hex[:6]}", "visibility": "private"})
    created.members.create({"user_id": developer.user.id, "access_level": AccessLevel.DEVELOPER})
    # The developer works on the project by path, as CI jobs do.
    return developer.projects.get(created.path_with_namespace)


def test_auth_returns_the_current_user(admin):
    assert admin.user.username == "root"
    assert admin.user.is_admin is True


def test_version_is_readable(admin):
    version, revision = admin.version()
    assert version.startswith("17.")
    assert revision.startswith("relinks")


def test_a_release_with_links_and_the_links_api(project):
    release = project.releases.create(
        {
            "name": "First",
            "tag_name": "v1.0.0",
            "description": "notes",
            "assets": {
                "links": [
                    {"name": "linux", "url": "https://e.x/app-linux", "link_type": "package", "direct_asset_path": "/bin/linux"},
                    {"name": "docs", "url": "https://e.x/docs", "link_type": "runbook"},
                ]
            },
        }
    )
    assert release.tag_name == "v1.0.0"
    release = project.releases.get("v1.0.0")
    links = release.links.list(get_all=True)
    assert sorted(link.name for link in links) == ["docs", "linux"]
    linux = next(link for link in links if link.name == "linux")
    assert linux.direct_asset_url.endswith(f"/{project.path_with_namespace}/-/releases/v1.0.0/downloads/bin/linux")

    created = release.links.create({"name": "mac", "url": "https://e.x/app-mac", "filepath": "/bin/mac", "link_type": "package"})
    assert created.id > 0
    fetched = release.links.get(created.id)
    assert fetched.url == "https://e.x/app-mac"

    fetched.name = "macOS"
    fetched.save()
    assert fetched.name == "macOS"
    assert release.links.get(created.id).name == "macOS"
    assert release.links.get(created.id).link_type == "package", "relinks keeps the type on a partial PUT"

    updated = release.links.update(created.id, {"url": "https://e.x/app-mac-2"})
    assert updated["url"] == "https://e.x/app-mac-2"

    fetched.delete()
    with pytest.raises(gitlab.exceptions.GitlabGetError) as missing:
        release.links.get(created.id)
    assert missing.value.response_code == 404
    assert missing.value.error_message == "404 Not found"


def test_pagination_over_several_pages(project):
    release = project.releases.create({"tag_name": "v2.0.0"})
    release = project.releases.get("v2.0.0")
    for i in range(7):
        release.links.create({"name": f"file{i}", "url": f"https://e.x/file{i}"})
    everything = release.links.list(get_all=True, per_page=3)
    assert [link.name for link in everything] == [f"file{i}" for i in reversed(range(7))]
    lazily = release.links.list(iterator=True, per_page=2)
    assert len(lazily) == 7
    assert lazily.total_pages == 4
    assert [link.name for link in lazily] == [f"file{i}" for i in reversed(range(7))]
    first_page = release.links.list(page=1, per_page=3)
    assert len(first_page) == 3


def test_errors_surface_as_python_gitlab_exceptions(project):
    release = project.releases.get("v1.0.0")
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as duplicate:
        release.links.create({"name": "linux", "url": "https://e.x/app-linux"})
    assert duplicate.value.response_code == 400
    assert duplicate.value.error_message == ["Url has already been taken", "Name has already been taken"]

    with pytest.raises(gitlab.exceptions.GitlabCreateError) as bad_url:
        release.links.create({"name": "x", "url": "ssh://e.x/x"})
    assert bad_url.value.error_message == ["Url is blocked: Only allowed schemes are http, https, ftp"]

    with pytest.raises(gitlab.exceptions.GitlabCreateError) as exists:
        project.releases.create({"tag_name": "v1.0.0"})
    assert exists.value.response_code == 409
    assert exists.value.error_message == "Release already exists"

    stranger = gitlab.Gitlab(URL, private_token="glpat-not-a-real-token")
    with pytest.raises(gitlab.exceptions.GitlabAuthenticationError) as unauthorized:
        stranger.auth()
    assert unauthorized.value.response_code == 401


def test_releases_update_and_delete(project):
    release = project.releases.create({"tag_name": "v3.0.0", "description": "before"})
    release = project.releases.get("v3.0.0")
    release.description = "after"
    release.save()
    assert project.releases.get("v3.0.0").description == "after"
    assert "v3.0.0" in [r.tag_name for r in project.releases.list(get_all=True)]
    project.releases.delete("v3.0.0")
    with pytest.raises(gitlab.exceptions.GitlabGetError):
        project.releases.get("v3.0.0")


def test_tags_with_slashes(project):
    release = project.releases.create({"tag_name": "release/4.0", "ref": "main"})
    assert release.tag_name == "release/4.0"
    links = project.releases.get("release/4.0").links
    link = links.create({"name": "n", "url": "https://e.x/n", "direct_asset_path": "/n/x"})
    assert "/-/releases/release%2F4.0/downloads/n/x" in link.direct_asset_url
    assert [l.name for l in links.list(get_all=True)] == ["n"]


def cli(tmp_path: Path, token: str, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "python-gitlab.cfg"
    config.write_text(f"[global]\ndefault = relinks\n\n[relinks]\nurl = {URL}\nprivate_token = {token}\napi_version = 4\n")
    gitlab_cli = Path(sys.executable).with_name("gitlab")
    return subprocess.run(
        [str(gitlab_cli), "-c", str(config), "-o", "json", *args], capture_output=True, text=True, timeout=60
    )


def test_the_gitlab_command_line(project, developer, tmp_path):
    project.releases.create({"tag_name": "v5.0.0"})
    token = developer.private_token
    scope = ["--project-id", project.path_with_namespace, "--tag-name", "v5.0.0"]
    created = cli(tmp_path, token, "project-release-link", "create", *scope, "--name", "cli", "--url", "https://e.x/cli", "--link-type", "image")
    assert created.returncode == 0, created.stderr
    link = json.loads(created.stdout)
    assert link["name"] == "cli" and link["link_type"] == "image"

    listed = cli(tmp_path, token, "project-release-link", "list", *scope)
    assert listed.returncode == 0, listed.stderr
    assert [l["name"] for l in json.loads(listed.stdout)] == ["cli"]

    deleted = cli(tmp_path, token, "project-release-link", "delete", *scope, "--id", str(link["id"]))
    assert deleted.returncode == 0, deleted.stderr

    missing = cli(tmp_path, token, "project-release-link", "get", *scope, "--id", str(link["id"]))
    assert missing.returncode != 0
    assert "404" in missing.stderr

    bad = cli(tmp_path, "glpat-wrong", "project-release-link", "list", *scope)
    assert bad.returncode != 0


# Release artifacts: files uploaded with python-gitlab, linked from a release, then fetched back
# over plain HTTP through the link's `url` and its permanent `direct_asset_url`.


def own_project(admin, developer, visibility: str):
    """A new project of root's, `private` or `public`, with the developer as a member, seen by them."""
    created = admin.projects.create({"name": f"files-{uuid.uuid4().hex[:6]}", "visibility": visibility})
    created.members.create({"user_id": developer.user.id, "access_level": AccessLevel.DEVELOPER})
    return developer.projects.get(created.id)


def fetch(url: str, token: str | None = None) -> requests.Response:
    """GET as a download script would, following redirects, with the token when there is one."""
    return requests.get(url, headers={"PRIVATE-TOKEN": token} if token else {}, timeout=60)


def assert_refused_anonymously(url: str) -> None:
    """An anonymous GET of a private file: 401 from the API, sign-in from the web, 404 for a permanent link."""
    response = requests.get(url, allow_redirects=False, timeout=60)
    path = urlsplit(url).path
    if path.startswith("/api/v4/"):
        assert response.status_code == 401, url
    elif "/-/releases/" in path:
        assert response.status_code == 404, url
    else:
        assert response.status_code == 302, url
        assert urlsplit(response.headers["Location"]).path == "/users/sign_in", url


def assert_link_serves(project, link, data: bytes, token: str) -> None:
    for url in (link.url, link.direct_asset_url):
        response = fetch(url, token)
        assert response.status_code == 200, url
        assert response.content == data, url
        if project.visibility == "private":
            assert_refused_anonymously(url)
        else:
            anonymous = fetch(url)
            assert anonymous.status_code == 200, url
            assert anonymous.content == data, url


@pytest.mark.parametrize("visibility", ["private", "public"])
def test_generic_packages_upload_download_and_release_links(visibility, admin, developer, tmp_path):
    project = own_project(admin, developer, visibility)
    token = developer.private_token
    packages = project.generic_packages
    archive = os.urandom(2 * 1024 * 1024 + 17)
    notes = os.urandom(100 * 1024)

    created = packages.upload("app", "2.0.0", "app-linux.tar.gz", data=archive)
    assert created.message == "201 Created"
    (tmp_path / "notes.txt").write_bytes(notes)
    record = packages.upload("app", "2.0.0", "notes.txt", path=tmp_path / "notes.txt", select="package_file")
    assert (record.file_name, record.size) == ("notes.txt", len(notes))
    assert record.file_sha256 == hashlib.sha256(notes).hexdigest()
    assert record.file["url"].endswith("/notes.txt")

    assert packages.download("app", "2.0.0", "app-linux.tar.gz") == archive
    chunks = []
    packages.download("app", "2.0.0", "notes.txt", streamed=True, action=chunks.append)
    assert b"".join(chunks) == notes
    with pytest.raises(gitlab.exceptions.GitlabGetError) as missing:
        packages.download("app", "2.0.0", "nothing.txt")
    assert missing.value.response_code == 404

    base = f"{URL}/api/v4/projects/{project.id}/packages/generic/app/2.0.0"
    release = project.releases.create(
        {
            "tag_name": "v2.0.0",
            "assets": {
                "links": [
                    {"name": "Linux", "url": f"{base}/app-linux.tar.gz", "link_type": "package", "direct_asset_path": "/bin/app-linux.tar.gz"},
                    {"name": "Notes", "url": f"{base}/notes.txt", "link_type": "other", "filepath": "/notes.txt"},
                ]
            },
        }
    )
    links = {link.name: link for link in project.releases.get(release.tag_name).links.list(get_all=True)}
    assert links["Linux"].direct_asset_url == f"{project.web_url}/-/releases/v2.0.0/downloads/bin/app-linux.tar.gz"
    assert_link_serves(project, links["Linux"], archive, token)
    assert_link_serves(project, links["Notes"], notes, token)


@pytest.mark.parametrize("visibility", ["private", "public"])
def test_project_upload_and_a_release_link_to_it(visibility, admin, developer):
    project = own_project(admin, developer, visibility)
    token = developer.private_token
    data = os.urandom(1024 * 1024 + 3)
    uploaded = project.upload("app-3.0.0.zip", filedata=data)
    assert uploaded["alt"] == "app-3.0.0.zip"
    assert uploaded["url"].startswith("/uploads/") and uploaded["url"].endswith("/app-3.0.0.zip")
    assert uploaded["full_path"] == f"/-/project/{project.id}{uploaded['url']}"
    assert uploaded["markdown"] == f"[app-3.0.0.zip]({uploaded['url']})"

    release = project.releases.create({"tag_name": "v3.0.0", "description": f"Get {uploaded['markdown']}"})
    release = project.releases.get(release.tag_name)
    release.links.create({"name": "zip", "url": f"{URL}{uploaded['full_path']}", "link_type": "package", "filepath": "/app.zip"})
    [link] = release.links.list(get_all=True)
    assert link.direct_asset_url == f"{project.web_url}/-/releases/v3.0.0/downloads/app.zip"
    assert_link_serves(project, link, data, token)
    # The same file at the project's legacy address, which the Markdown's relative `url` means.
    legacy = fetch(f"{project.web_url}{uploaded['url']}", token)
    assert (legacy.status_code, legacy.content) == (200, data)
