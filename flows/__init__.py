"""Prefect flows, one module per stage, the pipeline, and the ``gongshu`` CLI."""

from gongshu.settings import configure_prefect_env

configure_prefect_env()
