"""``gongshu api`` and ``gongshu serve``: the sharing API alone, or the whole platform as a service."""

from __future__ import annotations

from typing import Annotated

import typer

from .params import fail


def api(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to listen on")] = 8600,
) -> None:
    """Serve the sharing API (数据共享接口) with uvicorn; its OpenAPI document is at /docs."""
    import uvicorn

    from gongshu.api.app import PREFIX, create_app

    application = create_app()
    typer.echo(f"sharing API on http://{host}:{port}{PREFIX} (documentation: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level="info")


def serve(
    host: Annotated[str, typer.Option("--host", help="address every service listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Prefect's server and UI")] = 4200,
    api_port: Annotated[int, typer.Option("--api-port", min=1, max=65535, help="the sharing API")] = 8600,
    server: Annotated[
        bool, typer.Option("--server/--no-server", help="start Prefect's server (--no-server: use $PREFECT_API_URL)")
    ] = True,
    deploy: Annotated[
        bool, typer.Option("--deploy/--no-deploy", help="register the deployments of prefect.yaml")
    ] = True,
    paused: Annotated[
        bool, typer.Option("--paused", help="pause every schedule after registering: runs only by hand or trigger")
    ] = False,
    api: Annotated[bool, typer.Option("--api/--no-api", help="serve the sharing API")] = True,
    worker_limit: Annotated[
        int, typer.Option("--worker-limit", min=1, help="flow runs this host's worker runs at once")
    ] = 2,
) -> None:
    """Run the platform as a service: Prefect's server, the deployments of prefect.yaml, a worker of the
    gongshu-process pool and the sharing API, until Ctrl-C or SIGTERM (docs/runbook.md)."""
    from ..serve import ServeError, ServeOptions, run_service

    options = ServeOptions(
        host=host,
        port=port,
        api_port=api_port,
        server=server,
        deploy=deploy,
        paused=paused,
        api=api,
        worker_limit=worker_limit,
    )
    try:
        code = run_service(options)
    except ServeError as exc:
        fail(str(exc), code=1)
    raise typer.Exit(code)
