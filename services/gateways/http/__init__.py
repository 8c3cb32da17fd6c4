"""The HTTP ingest gateway (FastAPI): `services.gateways.http.app.build_app(settings)`."""
