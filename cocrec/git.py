"""The one place GitPython is used. It is imported lazily: most commands never touch git.

Adding and committing go through git itself (`repo.git.add`): GitPython's
own index writer is 13x slower on a rekey's 10,000 files (MEASURED.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

from .errors import RepoError


def _module() -> Any:
    import git as gitpython

    return gitpython


def open_repo(root: Path) -> Any:
    gitpython = _module()
    try:
        return gitpython.Repo(root)
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        raise RepoError(f"{root}: not a git repository; run `git init` there or `cocrec init {root}`") from None


def is_repo(root: Path) -> bool:
    gitpython = _module()
    try:
        gitpython.Repo(root, search_parent_directories=False)
        return True
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        return False


def init(root: Path) -> None:
    """`git init` where there is no repository yet (an existing one is left as it is)."""
    if not is_repo(root):
        _module().Repo.init(root)


def set_config(root: Path, key: str, value: str) -> None:
    open_repo(root).git.config("--local", key, value)


def get_config(root: Path, key: str) -> Optional[str]:
    repo = open_repo(root)
    try:
        return str(repo.git.config("--local", "--get", key))
    except _module().GitCommandError:
        return None


def is_dirty(root: Path) -> bool:
    return bool(open_repo(root).is_dirty(untracked_files=True))


def commit(root: Path, paths: Iterable[Path], message: str) -> str:
    """Stage `paths` and commit them with `message` (which names ids and steps, never people)."""
    repo = open_repo(root)
    rel = [str(p.relative_to(root)) if p.is_absolute() else str(p) for p in paths]
    repo.git.add("--all", "--", *rel)
    repo.git.commit("-m", message, "--", *rel)
    return str(repo.head.commit.hexsha)


def gc_auto(root: Path) -> None:
    """A rekey leaves thousands of loose objects; let git pack them when it thinks it should."""
    open_repo(root).git.gc("--auto", "--quiet")
