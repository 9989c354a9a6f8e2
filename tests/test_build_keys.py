"""The build cache's keys: what code keys a part, and the memo that spares re-reading unchanged folders."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from claimgraph.stream import memo as memo_mod
from claimgraph.stream.cache import PartMeta
from claimgraph.stream.keys import _PACKAGE, article_key, code_files
from claimgraph.stream.memo import KeyMemo

SERVICE = _PACKAGE.parent


def test_code_key_covers_every_module_a_part_compile_imports() -> None:
    # What a fresh interpreter actually loads to compile a part must all be in the key: a module
    # left out would let a changed build reuse stale parts.
    probe = ("import sys, claimgraph.stream.part, claimgraph.stream.register\n"
             "print('\\n'.join(m.__file__ for n, m in sys.modules.items() "
             "if n.startswith('claimgraph.') and getattr(m, '__file__', None)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SERVICE)}).stdout
    loaded = {Path(line).resolve() for line in out.split()}
    assert loaded, "the probe loaded nothing"
    assert loaded <= set(code_files()), sorted(str(p) for p in loaded - set(code_files()))


def test_code_key_leaves_out_what_only_assembles_the_store() -> None:
    names = {f.relative_to(_PACKAGE).as_posix() for f in code_files()}
    assert "stream/part.py" in names and "triples/article.py" in names
    for not_an_input in ("stream/compiler.py", "stream/assemble.py", "stream/update.py", "stream/memo.py",
                         "build.py", "store/search_index.py"):
        assert not_an_input not in names


def _folder(root: Path, name: str, reading: str = "a: 1\n", text: str = "Text.\n") -> Path:
    f = root / name
    f.mkdir(parents=True, exist_ok=True)
    (f / "reading.yaml").write_text(reading)
    (f / "article.txt").write_text(text)
    return f


def _age(folder: Path, seconds: float) -> None:
    then = time.time() - seconds
    for name in memo_mod.FILES:
        os.utime(folder / name, (then, then))


def test_memo_trusts_old_unchanged_files_without_reading_them(tmp_path, monkeypatch) -> None:
    f = _folder(tmp_path / "articles", "one")
    _age(f, 60)  # mtime; ctime moves to now, which utime cannot set back: no racy margin here
    monkeypatch.setattr(memo_mod, "RACY_NS", 0)
    time.sleep(0.02)
    first = KeyMemo(tmp_path / "keys.json")
    key = first.key("shared", f)
    assert key == article_key("shared", f)
    first.save({"one": PartMeta("one", 5, 1, 0, "rules")})

    hashed: list[Path] = []
    monkeypatch.setattr(memo_mod, "article_key", lambda s, p: hashed.append(p) or article_key(s, p))
    second = KeyMemo(tmp_path / "keys.json")
    assert second.key("shared", f) == key
    assert hashed == []
    assert second.meta("one", key) == PartMeta("one", 5, 1, 0, "rules")
    # Another shared key (a register or code change) is never answered from the memo.
    assert second.key("other", f) == article_key("other", f)
    assert hashed == [f]


def test_memo_rehashes_a_changed_file_even_with_the_same_size_and_mtime(tmp_path) -> None:
    f = _folder(tmp_path / "articles", "one", reading="stance: a\n")
    _age(f, 60)
    m = KeyMemo(tmp_path / "keys.json")
    before = m.key("s", f)
    m.save({})
    st = os.stat(f / "reading.yaml")
    (f / "reading.yaml").write_text("stance: b\n")  # same size
    os.utime(f / "reading.yaml", ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime; ctime moves
    after = KeyMemo(tmp_path / "keys.json").key("s", f)
    assert after != before and after == article_key("s", f)


def test_memo_does_not_trust_files_younger_than_the_memo(tmp_path, monkeypatch) -> None:
    # A file written in the same tick as the build that read it may change again unseen by stat:
    # such entries are hashed again until they are older than the memo by RACY_NS.
    f = _folder(tmp_path / "articles", "fresh")
    m = KeyMemo(tmp_path / "keys.json")
    m.key("s", f)
    m.save({})
    hashed: list[Path] = []
    monkeypatch.setattr(memo_mod, "article_key", lambda s, p: hashed.append(p) or article_key(s, p))
    KeyMemo(tmp_path / "keys.json").key("s", f)
    assert hashed == [f]


def test_a_broken_memo_is_ignored(tmp_path) -> None:
    f = _folder(tmp_path / "articles", "one")
    (tmp_path / "keys.json").write_text("{not json")
    assert KeyMemo(tmp_path / "keys.json").key("s", f) == article_key("s", f)
    (tmp_path / "keys.json").write_text('{"made": 1, "folders": {"one": {"shared": "s", "stat": [1], "key": "x"}}}')
    assert KeyMemo(tmp_path / "keys.json").key("s", f) == article_key("s", f)
