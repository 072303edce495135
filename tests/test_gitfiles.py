"""harness.commands.gitfiles on a real temporary git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.commands.gitfiles import (
    Change,
    changed_files,
    is_git_repo,
    merge_base_with_default_branch,
    resolve_ref,
    revision_files,
)
from harness.errors import UsageError
from tests.gitproject import commit, git, make_project


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def test_not_a_repo(tmp_path: Path) -> None:
    assert not is_git_repo(tmp_path)


def test_unknown_ref_names_the_ref(repo: Path) -> None:
    with pytest.raises(UsageError, match="no-such-branch"):
        resolve_ref(repo, "no-such-branch")


def test_option_like_ref_is_refused(repo: Path) -> None:
    with pytest.raises(UsageError, match="invalid git ref"):
        resolve_ref(repo, "--output=/tmp/x")


def test_clean_tree_has_no_changes(repo: Path) -> None:
    assert changed_files(repo, "HEAD") == []


def test_uncommitted_untracked_deleted_and_renamed(repo: Path) -> None:
    (repo / "prompts/a.yaml").write_text((repo / "prompts/a.yaml").read_text() + "# edit\n")
    (repo / "prompts/new.yaml").write_text("id: n\nversion: '1'\ntemplate: hi\n")
    (repo / "suites/s3.yaml").unlink()
    git(repo, "mv", "suites/s2.yaml", "suites/renamed.yaml")
    changes = set(changed_files(repo, "HEAD"))
    assert changes == {Change("modified", "prompts/a.yaml"), Change("added", "prompts/new.yaml"),
                       Change("deleted", "suites/s3.yaml"),
                       Change("renamed", "suites/renamed.yaml", "suites/s2.yaml")}


def test_plain_mv_is_paired_as_rename(repo: Path) -> None:
    (repo / "prompts/b.yaml").rename(repo / "prompts/b2.yaml")
    assert changed_files(repo, "HEAD") == [Change("renamed", "prompts/b2.yaml", "prompts/b.yaml")]


def test_ignored_files_are_left_out(repo: Path) -> None:
    (repo / ".harness").mkdir()
    (repo / ".harness/cache.db").write_text("x")
    assert changed_files(repo, "HEAD") == []


def test_revision_reader_reads_old_content(repo: Path) -> None:
    old = (repo / "prompts/a.yaml").read_text()
    (repo / "prompts/a.yaml").write_text("changed\n")
    (repo / "prompts/extra.yaml").write_text("new\n")
    files = revision_files(repo, "HEAD")
    assert files.read_text("prompts/a.yaml") == old
    assert not files.exists("prompts/extra.yaml")
    with pytest.raises(FileNotFoundError):
        files.read_bytes("prompts/extra.yaml")
    with pytest.raises(IsADirectoryError):
        files.read_bytes("prompts")


def test_project_in_subfolder_of_repo(tmp_path: Path) -> None:
    outer = tmp_path / "mono"
    make_project(outer / "evals")
    # make_project ran `git init` inside evals/; make a monorepo with evals/ as a folder instead
    git(outer / "evals", "rev-parse", "HEAD")
    import shutil
    shutil.rmtree(outer / "evals" / ".git")
    git(outer, "init", "-q", "-b", "main")
    git(outer, "config", "user.email", "t@example.com")
    git(outer, "config", "user.name", "t")
    (outer / "README").write_text("x")
    commit(outer, "mono")
    root = outer / "evals"
    (root / "prompts/a.yaml").write_text("id: a\nversion: '2'\ntemplate: x\n")
    (outer / "README").write_text("y")
    assert changed_files(root, "HEAD") == [Change("modified", "prompts/a.yaml")]
    assert "Answer briefly" in revision_files(root, "HEAD").read_text("prompts/a.yaml")


def test_merge_base_with_main(repo: Path) -> None:
    main_head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "prompts/a.yaml").write_text("id: a\nversion: '2'\ntemplate: x\n")
    commit(repo, "feature work")
    branch, base = merge_base_with_default_branch(repo)
    assert (branch, base) == ("main", main_head)


def test_no_default_branch(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    git(repo, "branch", "-m", "main", "trunk")
    with pytest.raises(UsageError, match="--base"):
        merge_base_with_default_branch(repo)
