"""Which released file a download may serve: :func:`release_file` (the endpoint is
``gongshu.api.routers.downloads``).

The file name a caller sends is only ever compared with the names the release lists
(``open_release.files``); the path served is built from the release's own folder and that listed
name, and checked to lie inside the folder. A name that is not listed (``../``, an encoded
``%2e%2e``, an absolute path, a file lying next to the release) is refused before any path is made
from it.
"""

from __future__ import annotations

from pathlib import Path as FilePath

from .datasets import Dataset


class NotServed(LookupError):
    """The name is not a file of the release (or the file is missing); the message is safe to show."""


def release_file(home: FilePath, dataset: Dataset, name: str) -> FilePath:
    """The path of ``name`` in the dataset's release, when the release lists it."""
    release = dataset.release
    if name not in release.files:
        listed = ", ".join(sorted(release.files)) or "none"
        raise NotServed(f"not a file of {dataset.qualified} v{release.version}; its files: {listed}")
    root = home.resolve()
    folder = (root / release.folder).resolve()
    path = (folder / name).resolve()
    if not (folder.is_relative_to(root) and path.is_relative_to(folder) and path != folder):
        raise NotServed(f"not a file of {dataset.qualified} v{release.version}")
    if not path.is_file():
        raise NotServed(f"{name} of {dataset.qualified} v{release.version} is missing on the server")
    return path
