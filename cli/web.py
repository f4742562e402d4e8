"""``omc serve``: the verifier web service (employer's page, VC-API, hosted documents) on uvicorn."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import click

from omc_vc.errors import ConfigError
from omc_vc.i18n import Message
from omc_vc.web.config import load_config, load_institution

from ._common import VERIFIER_URL_OPTION, AliasedOption, default_registry, handle_errors
from ._lang import OmcCommand, words


@click.command("serve", cls=OmcCommand)
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (YAML or JSON); flags override it.")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535),
              help="Port to listen on (default 8000; 0: a free port the system picks).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default 1).")
@click.option(VERIFIER_URL_OPTION, "--public-url", "public_url", cls=AliasedOption, metavar="URL",
              help="The public URL this service is reached at (share links, offer links, hosted status-list URLs).")
@click.option("--registry", help="URL of the ministry's signed registry (enables the OMC verdict; default: "
                                 "env OMC_REGISTRY, else the user config file's registry:).")
@click.option("--anchors", type=click.Path(dir_okay=False, path_type=Path), help="Trust-anchor file for the registry.")
@click.option("--institution-config", type=click.Path(dir_okay=False, path_type=Path),
              help="The institution.yaml omc issue and omc status read (or institution: in --config): enables "
                   "POST /credentials/issue, /credentials/status and the hosted /status/ lists.")
@click.option("--token-env", metavar="VAR", help="Environment variable holding the bearer token for issuing.")
@click.option("--host-registry", type=click.Path(dir_okay=False, path_type=Path),
              help="Serve this registry file at /registry.json.")
@click.option("--host-registry-forms", type=click.Path(file_okay=False, path_type=Path),
              help="Serve the registry's other forms from this folder (omc registry publish --out): the OpenID "
                   "Federation trust anchor (/.well-known/openid-federation, /fetch?sub=DID, /subordinate_listing) "
                   "and /dcc-legacy-registry.json.")
@click.option("--host-status-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Serve NAME.json files of this folder at /status/NAME.")
@click.option("--host-did", "host_dids", multiple=True, metavar="PATH=FILE",
              help="Serve a DID document, e.g. /.well-known/did.json=did.json. Repeatable.")
@click.option("--offline", is_flag=True, default=None, help="Never use the network (did:web must be hosted here).")
@click.option("--allow-http-loopback", is_flag=True, default=None,
              help="Allow plain http to loopback for registry/status/DID fetches (local demo and tests only).")
@click.option("--demo", is_flag=True, default=None, help="Demo mode: accept the labelled DEMO keys (keys/demo-*).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info"]), default="warning",
              show_default=True)
@handle_errors
def serve_cmd(config_file: Path | None, host: str | None, port: int | None, workers: int | None,
              public_url: str | None, registry: str | None, anchors: Path | None,
              institution_config: Path | None, token_env: str | None, host_registry: Path | None,
              host_registry_forms: Path | None, host_status_dir: Path | None, host_dids: tuple[str, ...],
              offline: bool | None, allow_http_loopback: bool | None, demo: bool | None, log_level: str) -> None:
    """Run the verifier service: the employer's page at /, the VC-API (/credentials/verify,
    /presentations/verify, and with an institution /credentials/issue and /credentials/status),
    hosted status lists, registry and DID documents, short-mode shares, and /openapi.json.

    Nothing an employer submits is stored or logged (the access log is off).

    \b
    Example:
      omc serve --registry https://mcu.example.ca/omc/registry.json --anchors anchors.json
      omc serve --config serve.yaml --port 8443
      omc serve --host-registry public/registry.json --host-registry-forms public/ --verifier-url https://mcu.example.ca
      OMC_API_TOKEN=secret omc serve --institution-config institution.yaml --verifier-url https://verify.college.ca
      curl -H "Authorization: Bearer secret" -H "Content-Type: application/json" \\
          -d @request.json https://verify.college.ca/credentials/issue

    The bearer token is read from the variable the institution.yaml names (token_env, default
    OMC_API_TOKEN; --token-env overrides it).
    """
    from omc_vc.web.app import CONFIG_ENV, create_app
    from omc_vc.web.config import Hosted, config_to_raw
    from omc_vc.web.server import bind_listener, run_uvicorn, uvicorn_options

    config = load_config(config_file)
    config = config.with_overrides(host=host, port=port, workers=workers, public_url=public_url, registry=registry,
                                   anchors=anchors, offline=offline, allow_http_loopback=allow_http_loopback,
                                   demo=demo)
    if config.registry is None:
        # no --registry and none in --config: the default registry of omc verify and the wallet (OMC_REGISTRY,
        # then the user config file; README "A default registry"), so the page gives the verdict too
        default, default_anchors = default_registry(None, None, demo=config.demo)
        if default is not None:
            config = config.with_overrides(registry=default, anchors=config.anchors
                                           or (Path(default_anchors) if default_anchors else None))
    if institution_config is not None:
        config = config.with_overrides(institution=load_institution(institution_config))
    if token_env is not None:
        if config.institution is None:
            raise ConfigError(Message("--token-env needs an institution (--institution-config or institution: in "
                                      "--config)"))
        from dataclasses import replace

        config = config.with_overrides(institution=replace(config.institution, token_env=token_env))
    if host_registry or host_registry_forms or host_status_dir or host_dids:
        dids = dict(config.hosted.did_documents)
        for item in host_dids:
            url_path, sep, file = item.partition("=")
            if not sep or not url_path.startswith("/") or not url_path.endswith("did.json"):
                raise ConfigError(Message("--host-did {item}: expected PATH=FILE with PATH like /.well-known/did.json",
                                          item=repr(item)))
            dids[url_path] = Path(file)
        config = config.with_overrides(hosted=Hosted(
            registry_file=host_registry or config.hosted.registry_file,
            status_dir=host_status_dir or config.hosted.status_dir, did_documents=dids,
            registry_forms=host_registry_forms or config.hosted.registry_forms))
    if config.workers > 1 and config.shares.dir is None and config.shares.store is None:
        raise ConfigError(Message("with --workers > 1, shares.dir (a folder) or shares.store (PostgreSQL) must be set "
                                  "(in-memory stores are not shared between worker processes)"))
    # the socket is bound (and listening) before anything is said, so a port in use is one line and exit 2;
    # with --port 0 the port the system chose is the one the app's links and the "listening" line name
    sock = bind_listener(config.host, config.port)
    try:
        if config.port == 0:
            config = config.with_overrides(port=int(sock.getsockname()[1]))
        app = create_app(config)  # validates keys and files now, before serving (and in each worker again)
    except BaseException:
        sock.close()
        raise
    if config.demo:
        click.echo(words().gettext("DEMO MODE: demo keys are accepted. Never run a public service like this."),
                   err=True)
    click.echo(words().tr("omc serve: listening on {url} (open {url}/ in a browser)", url=config.base_url()), err=True)
    logging.getLogger("omc_vc.web").setLevel(log_level.upper())
    # no access log (request lines can carry share ids), and TCP_NODELAY on every connection: without
    # it uvicorn's many-worker socket holds each response body ~40 ms for the client's delayed ACK
    common = uvicorn_options(config.host, config.port, log_level)
    if config.workers == 1:
        run_uvicorn(app, sock, common)
        return
    os.environ[CONFIG_ENV] = json.dumps(config_to_raw(config))
    run_uvicorn("omc_vc.web.app:app_from_env", sock, common, workers=config.workers)
