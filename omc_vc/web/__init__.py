"""The verifier web service: the employer's page, the VC-API (VCALM) endpoints and hosted documents.

Build the ASGI app with :func:`omc_vc.web.app.create_app` from a :class:`omc_vc.web.config.WebConfig`;
``omc serve`` runs it with uvicorn (docs/adr/0005-web-framework.md). The service is a thin layer:
every decision is the library's (verify, verdict, status, qr); this package only moves bytes, caps
them, and renders the result.
"""
