"""What `gongshu demo` adds around the pipeline: the sample departments' HTTP API (气象局's sources
are served by samples/api_server.py on 127.0.0.1:8765, the address their catalog declares)."""

from __future__ import annotations

import importlib.util
import threading
from contextlib import contextmanager
from pathlib import Path

SAMPLE_API = ("127.0.0.1", 8765)


@contextmanager
def sample_api(samples_dir: Path):
    """Serve the samples' JSON while the demo runs; say so plainly if the port is taken."""
    script = samples_dir / "api_server.py"
    if not script.is_file():
        yield None
        return
    spec = importlib.util.spec_from_file_location("gongshu_sample_api", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    try:
        server = module.serve(SAMPLE_API[0], SAMPLE_API[1], samples_dir)
        threading.Thread(target=server.serve_forever, name="sample-api", daemon=True).start()
    except OSError as exc:
        raise RuntimeError(
            f"cannot serve the sample API on {SAMPLE_API[0]}:{SAMPLE_API[1]} ({exc}); "
            "stop what uses that port, or run the other stages with --department"
        ) from exc
    try:
        yield f"http://{SAMPLE_API[0]}:{SAMPLE_API[1]}"
    finally:
        server.shutdown()
        server.server_close()
