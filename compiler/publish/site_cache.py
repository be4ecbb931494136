"""Publish stage (site): MkDocs pages taken from the build cache when nothing they depend on changed.

MkDocs builds every page in two steps, and docs-compile caches both, in the content-addressed build cache
(compiler/cache.py):

- **read** (`_populate_page`): the page's Markdown to HTML, with its table of contents, title and anchors. The
  entry is found by the page's path and Markdown and the site's shell (`shell`: the compiler's code, the
  library versions, the configuration files and theme). A page's HTML also depends on which other files exist
  (a link to `../pdf/x.pdf` is rewritten when the file is there, and left with a warning when not), so the
  entry records every file the page looked up and is used only when each lookup gives the same answer.
  MkDocs' warnings about the page are recorded and told again on a hit, so a build says the same with or
  without the cache.
- **write** (`_build_page`): the page through the theme's templates. Its entry adds the navigation (every
  title and address, so a renamed model re-renders every page that lists it), the page's own address and
  title, and its search index sections, which are added to the index on a hit.

Only the plugins docs-compile knows (search and its own) are allowed around a cached page: a repository's
mkdocs.yml that adds another plugin turns the page cache off for its builds, since a plugin may make a page
depend on anything.

Memory: a page's HTML is kept in the cache, not in memory, between the two steps and dropped once the page is
written, so a catalog of thousands of models does not hold every page at once (MkDocs itself does).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from compiler.cache import Cache, code_fingerprint, digest, sha256_bytes
from compiler.publish.site_config import SiteConfiguration

KIND_READ = "site-read"
KIND_WRITE = "site-write"
KNOWN_PLUGINS = frozenset({"search", "material/search", "docs-compile-sanitize", "docs-compile-error-page"})
"""Plugins whose effect on a page depends only on what the keys hold."""
_PAGES_LOGGER = "mkdocs.structure.pages"


def shell_digest(site: SiteConfiguration) -> str:
    """What every page depends on besides itself and the navigation: the compiler's code and libraries (the
    Markdown dialect, the sanitiser, MkDocs and Material), the configuration files, the theme overrides and the
    repository's own extra pages and theme folder (by their names and bytes)."""
    roots = [Path(__file__).resolve().parent.parent, *([site.own.resolve().parent] if site.own else [])]
    files = [[_relative(path.resolve(), roots), sha256_bytes(path.read_bytes())] for path in site.files]
    return digest(code_fingerprint(), files)


def _relative(path: Path, roots: list[Path]) -> str:
    """A file's name as the same on every machine: under the package or beside the repository's mkdocs.yml."""
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.name


@contextmanager
def cached_pages(cache: Cache | None, config: Any, shell: str) -> Iterator[None]:
    """Within the block, MkDocs' build reads and writes pages through the cache (when the plugins allow it)."""
    import mkdocs.commands.build as mkdocs_build

    if cache is None or not set(config.plugins) <= KNOWN_PLUGINS or not _known_mkdocs(mkdocs_build):
        yield
        return
    pages = _PageCache(cache, shell, config.plugins.get("material/search") or config.plugins.get("search"))
    saved = (mkdocs_build._populate_page, mkdocs_build._build_page)
    original_build = mkdocs_build._build_page
    mkdocs_build._populate_page = pages.populate
    mkdocs_build._build_page = lambda *args, **kwargs: pages.build(original_build, *args, **kwargs)
    try:
        yield
    finally:
        mkdocs_build._populate_page, mkdocs_build._build_page = saved


def _known_mkdocs(module: Any) -> bool:
    """Whether MkDocs' build steps are the ones this cache stands in for (MkDocs 1.6); any other version builds
    every page itself."""
    import inspect

    expected = {
        "_populate_page": ["page", "config", "files", "dirty"],
        "_build_page": ["page", "config", "doc_files", "nav", "env", "dirty", "excluded"],
    }
    return all(
        list(inspect.signature(getattr(module, name, None) or (lambda: None)).parameters) == params
        for name, params in expected.items()
    )


class _Lookups:
    """The build's `Files`, recording every path a page's links look up and what was found."""

    def __init__(self, files: Any) -> None:
        self._files = files
        self.seen: dict[str, list[Any] | None] = {}

    def get_file_from_path(self, path: str) -> Any:
        found = self._files.get_file_from_path(path)
        self.seen[path] = _answer(found)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._files, name)


def _answer(file: Any) -> list[Any] | None:
    return None if file is None else [file.url, bool(file.inclusion.is_excluded())]


class _Told(logging.Handler):
    """MkDocs' messages while one page is read, to tell again when the page comes from the cache."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[list[Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.records.append([record.levelno, record.getMessage()])


class _PageCache:
    def __init__(self, cache: Cache, shell: str, search: Any) -> None:
        self.cache, self.shell, self.search = cache, shell, search
        self.read_keys: dict[str, str] = {}
        """Each page's read key (by source path), which its write key builds on."""
        self.nav_digest: str | None = None
        self.files: Any = None

    # -- read: Markdown to HTML -----------------------------------------------------------------------------

    def populate(self, page: Any, config: Any, files: Any, dirty: bool = False) -> None:
        config._current_page = page
        self.files = files
        try:
            page = config.plugins.on_pre_page(page, config=config, files=files)
            page.read_source(config)
            page.markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
            key = digest(self.shell, page.file.src_uri, page.markdown)
            self.read_keys[page.file.src_uri] = key
            if not self._read_from_cache(page, key, files):
                self._read(page, key, config, files)
            page.markdown = None  # the key holds it; the theme never shows Markdown
        except Exception as exc:
            logging.getLogger("mkdocs.commands.build").error(f"Error reading page '{page.file.src_uri}': {exc}")
            raise
        finally:
            config._current_page = None

    def _read(self, page: Any, key: str, config: Any, files: Any) -> None:
        lookups, told = _Lookups(files), _Told()
        logger = logging.getLogger("mkdocs")
        logger.addHandler(told)
        try:
            page.render(config, lookups)
        finally:
            logger.removeHandler(told)
        page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
        meta = {
            "lookups": lookups.seen,
            "told": told.records,
            "title": page._title_from_render,
            "toc": [_toc_item(item) for item in page.toc],
            "anchors": sorted(page.present_anchor_ids or ()),
            "links": {f.src_uri: links for f, links in (page.links_to_anchors or {}).items()},
        }
        unwritable = self.cache.count(KIND_READ, "unwritable")
        self.cache.put(KIND_READ, key, {"content.html": page.content.encode()}, meta)
        if self.cache.count(KIND_READ, "unwritable") == unwritable:
            page.content = None  # read back from the cache when the page is written

    def _read_from_cache(self, page: Any, key: str, files: Any) -> bool:
        entry = self.cache.get(KIND_READ, key)
        if entry is None:
            return False
        meta = entry.meta
        if any(_answer(files.get_file_from_path(path)) != seen for path, seen in meta["lookups"].items()):
            return False
        from mkdocs.structure.toc import get_toc

        page._title_from_render = meta["title"]
        page.toc = get_toc(meta["toc"])
        page.present_anchor_ids = set(meta["anchors"])
        page.links_to_anchors = {files.get_file_from_path(uri): links for uri, links in meta["links"].items()}
        page.content = None
        logger = logging.getLogger(_PAGES_LOGGER)
        for level, message in meta["told"]:
            logger.log(level, message)
        return True

    # -- write: the page through the theme ----------------------------------------------------------------

    def build(self, original: Any, page: Any, config: Any, doc_files: Any, nav: Any, *args: Any, **kwargs: Any) -> None:
        """MkDocs' `_build_page(page, config, doc_files, nav, env, dirty=False, excluded=False)`, from the cache."""
        if self.nav_digest is None:
            self.nav_digest = digest([_nav_item(item) for item in nav.items])
        excluded = bool(kwargs["excluded"] if "excluded" in kwargs else len(args) > 2 and args[2])
        read_key = self.read_keys[page.file.src_uri]
        key = digest(read_key, self.nav_digest, page.url, page.title, excluded)
        entry = self.cache.get(KIND_WRITE, key)
        if entry is not None and (self.search is None) == ("search.json" not in entry.files):
            _write_file(page.file.abs_dest_path, entry.files["page.html"])
            if self.search is not None:  # sections as the index holds them, their keys in order
                self.search.search_index.entries.extend(json.loads(entry.files["search.json"]))
            return
        if page.content is None:
            page.content = self._content(page, config, read_key)
        index = self.search.search_index.entries if self.search is not None else None
        before = len(index) if index is not None else 0
        original(page, config, doc_files, nav, *args, **kwargs)
        page.content = None
        with open(page.file.abs_dest_path, "rb") as handle:
            written = handle.read()
        files = {"page.html": written}
        if index is not None:
            files["search.json"] = json.dumps(index[before:], ensure_ascii=False).encode()
        self.cache.put(KIND_WRITE, key, files, {})

    def _content(self, page: Any, config: Any, read_key: str) -> str:
        """The page's HTML as it was read: from the cache, or read again if the entry went missing meanwhile."""
        read = self.cache.get(KIND_READ, read_key)
        if read is not None:
            return read.files["content.html"].decode()
        page.read_source(config)
        page.render(config, self.files)
        return str(config.plugins.on_page_content(page.content, page=page, config=config, files=self.files))


def _toc_item(item: Any) -> dict[str, Any]:
    return {
        "level": item.level,
        "id": item.id,
        "name": item.title,
        "children": [_toc_item(child) for child in item.children],
    }


def _nav_item(item: Any) -> list[Any]:
    children = [_nav_item(child) for child in getattr(item, "children", None) or []]
    return [type(item).__name__, item.title, getattr(item, "url", None), children]


def _write_file(path: str, body: bytes) -> None:
    from mkdocs import utils

    utils.write_file(body, path)


__all__ = ["KIND_READ", "KIND_WRITE", "cached_pages", "shell_digest"]
