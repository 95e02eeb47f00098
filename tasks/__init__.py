"""Prefect tasks: thin wrappers over the ``gongshu`` core adding names, tags, retries and artifacts.
Tasks never import flows."""

from gongshu.settings import configure_prefect_env

configure_prefect_env()
