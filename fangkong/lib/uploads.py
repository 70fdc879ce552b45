"""Uploaded files as paths, for the readers that read paths (spreadsheets, YAML)."""

import contextlib
import tempfile
from pathlib import Path


@contextlib.contextmanager
def saved_upload(upload):
    """The upload saved to a temporary file (keeping its suffix); removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="fangkong-upload-") as directory:
        path = Path(directory) / f"upload{Path(upload.name).suffix.lower()}"
        with path.open("wb") as saved:
            for chunk in upload.chunks():
                saved.write(chunk)
        yield path
