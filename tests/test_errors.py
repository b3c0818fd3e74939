"""``except smtplearn.Error`` catches every error smtplearn raises on purpose, and nothing else.

(Warnings are not errors: they keep their own categories.)

Each error class defined in the package derives from ``smtplearn.Error``; no module raises a
bare ``ValueError``, ``KeyError``, ``TypeError``, ``RuntimeError`` or ``Exception`` (they become
``UsageError``, ``NotFoundError``, ``WrongTypeError``, ``NotNowError``: the same built-in
error underneath, so ``except ValueError`` keeps working).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import smtplearn
from smtplearn import Error, NotFoundError, UsageError

PACKAGE_DIR = Path(smtplearn.__file__).parent
SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))
MODULES = [p for p in SOURCES if p.name != "__main__.py"]  # importing it would run the CLI
#: built-in errors the package must not raise bare
BARE = {"ValueError", "KeyError", "TypeError", "RuntimeError", "Exception"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_no_bare_builtin_errors_are_raised(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bare = [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
            and isinstance(node.exc.func, ast.Name) and node.exc.func.id in BARE]
    assert not bare, f"{path.name} raises a bare built-in error at lines {bare}; use smtplearn.protocol.errors"


def test_every_error_class_derives_from_error() -> None:
    classes = {}
    for path in MODULES:
        module = importlib.import_module(_module(path))
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException) and not issubclass(value, Warning)
                    and value.__module__ == module.__name__):
                classes[f"{module.__name__}.{name}"] = value
    assert len(classes) >= 15
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, Error))
    assert outside == []


def test_a_user_catches_everything_with_one_except() -> None:
    caught = []
    for mistake in (lambda: smtplearn.Reply(700, "x"), lambda: smtplearn.Limits(command_line=5),
                    lambda: smtplearn.lookup_mx("a..b"), lambda: smtplearn.Command(smtplearn.Verb.MAIL),
                    lambda: smtplearn.MiniInternet().host("nobody.test"),
                    lambda: smtplearn.protocol.reply("no such reply")):
        try:
            mistake()
        except smtplearn.Error as err:
            caught.append(type(err))
    assert len(caught) == 6
    assert issubclass(UsageError, ValueError) and issubclass(NotFoundError, KeyError)


def test_not_found_reads_as_a_sentence() -> None:
    """A KeyError would print its message in quotes; the error says it plainly."""
    with pytest.raises(NotFoundError) as caught:
        smtplearn.protocol.reply("no such reply")
    assert str(caught.value).startswith("no reply named 'no such reply'")
