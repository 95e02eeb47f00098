"""``python -m flows.cli``: the ``gongshu`` command (``gongshu serve`` starts its API this way)."""

from . import main

main()
